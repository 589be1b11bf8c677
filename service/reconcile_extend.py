"""Data extension of the Reconciliation API 0.2: which properties to fetch, and their values."""

from __future__ import annotations

from typing import Any

from rdflib.namespace import RDF, SKOS, XSD

from kg.catalogue import Catalogue
from kg.namespaces import DMO, DMR, GRAPH, OBO, WIKIDATA
from kg.store import Backend, LiteralValue, Value
from service.reconcile_ids import chebi_id
from service.resources import Resources

MAX_IDS = 100
MAX_PROPERTIES = 50
# Identifiers come from skos:exactMatch, by their namespace.
IDENTIFIERS = {"wikidata": ("Wikidata identifier", str(WIKIDATA)),
               "chebi": ("ChEBI identifier", f"{OBO}CHEBI_")}
# The DMO properties that instances of a type (asserted or inferred) use in the facts, from
# them (?s ?p ?o) and towards them (?o ?p ?s, offered as "^p").
def _used(pattern: str) -> str:
    return (f"SELECT DISTINCT ?p WHERE {{ ?s a ?type . GRAPH <{GRAPH.facts}> {{ {pattern} }} "
            f'FILTER(STRSTARTS(STR(?p), "{DMO}")) }} ORDER BY ?p')


USED_FROM, USED_TOWARDS = _used("?s ?p ?o"), _used("?o ?p ?s")
# Whether some instance of a type has an identifier in a namespace.
IDENTIFIED = (f"SELECT ?x WHERE {{ ?s a ?type ; <{SKOS.exactMatch}> ?x "
              "FILTER(STRSTARTS(STR(?x), STR(?namespace))) } LIMIT 1")
INVERSE = "^"
SETTINGS = [{"name": "limit", "label": "Limit", "type": "number", "default": 0,
             "help_text": "The most values to fetch for each entity (0: all of them)"}]
INTEGERS = {str(t) for t in (XSD.integer, XSD.int, XSD.long, XSD.nonNegativeInteger,
                             XSD.positiveInteger)}
DECIMALS = {str(t) for t in (XSD.decimal, XSD.double, XSD.float)}
DATE, DATE_TIME, NIL = str(XSD.date), str(XSD.dateTime), str(RDF.nil)


class ExtendError(ValueError):
    """A data extension request that cannot be answered; the message says why."""


def _name(catalogue: Catalogue, pid: str) -> str:
    if pid in IDENTIFIERS:
        return IDENTIFIERS[pid][0]
    inverse = pid.startswith(INVERSE)
    name = catalogue.label(str(DMO[pid.removeprefix(INVERSE)])) or pid
    return f"{name} (pointing here)" if inverse else name


def _known(catalogue: Catalogue, pid: str) -> bool:
    return pid in IDENTIFIERS or catalogue.label(str(DMO[pid.removeprefix(INVERSE)])) is not None


def propose(catalogue: Catalogue, backend: Backend, type_id: str, limit: int
            ) -> dict[str, Any]:
    """Properties worth fetching for entities of type_id: those its instances use."""
    if type_id not in catalogue.type_counts():
        raise ExtendError(f"unknown type {type_id!r}: see /reconcile/suggest/type")
    bound: dict[str, Value] = {"type": f"{DMO}{type_id}"}
    pids = [str(row["p"]).removeprefix(str(DMO)) for row in backend.select(USED_FROM, bound)]
    pids += [INVERSE + str(row["p"]).removeprefix(str(DMO))
             for row in backend.select(USED_TOWARDS, bound)]
    pids += [pid for pid, (_, namespace) in IDENTIFIERS.items()
             if backend.select(IDENTIFIED, {**bound, "namespace": LiteralValue(namespace)})]
    found = [{"id": pid, "name": _name(catalogue, pid)} for pid in pids]
    return {"type": type_id, "limit": limit, "properties": found[:limit] if limit else found}


def _value(catalogue: Catalogue, term: Value) -> dict[str, Any]:
    """One value as the extension format writes it: an entity, a date, a number or a string."""
    if isinstance(term, str):  # an IRI
        entity = catalogue.get(term)
        if entity is not None:
            return {"id": entity.id, "name": entity.label()}
        return {"str": term}
    if isinstance(term, LiteralValue):
        if term.datatype == DATE:
            return {"date": f"{term}T00:00:00"}
        if term.datatype == DATE_TIME:
            return {"date": str(term)}
        if term.datatype in INTEGERS:
            return {"int": int(term.value)}
        if term.datatype in DECIMALS:
            return {"float": float(term.value)}
    return {"str": str(term)}  # years, year-months, texts in either language


def _identifier(pid: str, iri: str) -> str:
    """Write an identifier as reconciliation reads it: Q243547, CHEBI:6121."""
    return chebi_id(iri) if pid == "chebi" else iri.removeprefix(IDENTIFIERS[pid][1])


def _query(raw: Any) -> tuple[list[str], list[tuple[str, int]]]:
    if not isinstance(raw, dict):
        raise ExtendError("'extend' is an object with 'ids' and 'properties'")
    ids, properties = raw.get("ids"), raw.get("properties")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ExtendError("'ids' is a list of entity ids")
    if not isinstance(properties, list) or not properties:
        raise ExtendError("'properties' is a non-empty list of {id, settings}")
    if len(ids) > MAX_IDS or len(properties) > MAX_PROPERTIES:
        raise ExtendError(f"at most {MAX_IDS} ids and {MAX_PROPERTIES} properties at once")
    wanted = []
    for prop in properties:
        if not isinstance(prop, dict) or not isinstance(prop.get("id"), str):
            raise ExtendError("each property is an object with an 'id'")
        settings = prop.get("settings") or {}
        limit = settings.get("limit", 0) if isinstance(settings, dict) else 0
        if isinstance(limit, str) and limit.isdigit():
            limit = int(limit)  # OpenRefine sends numeric settings as text
        if not isinstance(limit, int) or limit < 0:
            raise ExtendError("the 'limit' setting is a whole number, 0 or more")
        wanted.append((prop["id"], limit))
    return ids, wanted


def extend(catalogue: Catalogue, backend: Backend, raw: Any) -> dict[str, Any]:
    """Fetch the values of the requested properties for each requested entity."""
    ids, wanted = _query(raw)
    for pid, _ in wanted:
        if not _known(catalogue, pid):
            raise ExtendError(f"unknown property {pid!r}: see /reconcile/propose_properties")
    resources = Resources(backend, catalogue)
    rows: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for ident in ids:
        entity = catalogue.by_id(ident.removeprefix(str(DMR)))
        row: dict[str, list[dict[str, Any]]] = {}
        out = resources.outgoing(entity.iri) if entity is not None else {}
        for pid, limit in wanted:
            if pid in IDENTIFIERS:
                prefix = IDENTIFIERS[pid][1]
                terms: list[Value] = [LiteralValue(_identifier(pid, str(v)))
                                    for v in out.get(str(SKOS.exactMatch), [])
                                    if str(v).startswith(prefix)]
            elif pid.startswith(INVERSE):
                predicate = str(DMO[pid.removeprefix(INVERSE)])
                terms = [subject for subject, p in resources.incoming(entity.iri)
                         if p == predicate] if entity is not None else []
            else:
                terms = out.get(str(DMO[pid]), [])
            values = sorted((_value(catalogue, t) for t in terms if t != NIL), key=str)
            row[pid] = values[:limit] if limit else values
        rows[ident] = row
    meta = [{"id": pid, "name": _name(catalogue, pid)} for pid, _ in wanted]
    return {"meta": meta, "rows": rows}
