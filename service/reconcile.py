"""The W3C Reconciliation Service API 0.2, as OpenRefine uses it, at /reconcile."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import Blueprint, Response, render_template, request
from rdflib.namespace import SKOS

from kg.catalogue import EXACT, Catalogue, CatalogueEntry, Hit, fold
from kg.namespaces import DMO, DMR, OBO, WIKIDATA
from kg.search.query import control_character
from kg.store import Backend
from kg.version import project_version
from service.errors import ServiceError, json_answer
from service.i18n import WORDS
from service.reconcile_extend import SETTINGS, ExtendError, extend, propose
from service.reconcile_ids import IdentifierHit, by_identifier, chebi_iri, linked, wikidata_iri
from service.reconcile_query import BadQuery, Condition, Query, read_reconcile_query
from service.services import services

blueprint = Blueprint("reconcile", __name__)

DEFAULT_TYPES = ("Substance", "Channel", "Actor", "Place", "Regulation", "Source", "Practice",
                 "Risk", "Factor")
# Properties a query may condition on: object properties by DMO name, plus identifiers.
IDENTIFIER_PROPERTIES = {"wikidata": "Wikidata identifier (Q…)",
                         "chebi": "ChEBI identifier (CHEBI:…)"}
MAX_QUERIES = 100
# Who has a DMO property value.
HAVING = "SELECT DISTINCT ?s WHERE { ?s ?p ?o }"
SUGGEST_SIZE = 10
PREVIEW_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
                  "base-uri 'none'; form-action 'none'; frame-ancestors *")


class BadRequest(ServiceError):
    """A reconciliation request that cannot be read; the message says what is wrong."""

    def __init__(self, message: str) -> None:
        super().__init__(400, message)


def _json(data: Any) -> Response:
    media_type, body = json_answer(data, request.args.get("callback"))
    return Response(body, content_type=media_type)


def _catalogue() -> Catalogue:
    found: Catalogue = services().catalogue
    return found


def _type(name: str) -> dict[str, str]:
    return {"id": name, "name": _catalogue().label(str(DMO[name])) or name}


def _object_properties() -> dict[str, str]:
    catalogue = _catalogue()
    found = {}
    for iri, labels in catalogue.terms.items():
        name = iri.removeprefix(str(DMO))
        if name[:1].islower():
            found[name] = labels.get("en") or name
    return found


def manifest() -> dict[str, Any]:
    """Describe the service for OpenRefine."""
    base = request.host_url.rstrip("/")
    return {
        "versions": ["0.2"],
        "name": "DMKG, the Drug-Market Knowledge Graph",
        "identifierSpace": str(DMR),
        "schemaSpace": str(DMO),
        "documentation": f"{base}/api/docs",
        "serviceVersion": project_version(),
        "defaultTypes": [_type(t) for t in DEFAULT_TYPES],
        "view": {"url": f"{base}/id/{{{{id}}}}"},
        "preview": {"url": f"{base}/reconcile/preview?id={{{{id}}}}", "width": 420,
                    "height": 260},
        "suggest": {
            "entity": {"service_url": base, "service_path": "/reconcile/suggest/entity"},
            "type": {"service_url": base, "service_path": "/reconcile/suggest/type"},
            "property": {"service_url": base, "service_path": "/reconcile/suggest/property"},
        },
        "extend": {
            "propose_properties": {"service_url": base,
                                   "service_path": "/reconcile/propose_properties"},
            "property_settings": SETTINGS,
        },
    }


def _wanted(condition: Condition) -> set[str]:
    """The condition's values in the form _related gives: outside IRIs, or folded ids/names."""
    if condition.pid in IDENTIFIER_PROPERTIES:
        read = chebi_iri if condition.pid == "chebi" else wikidata_iri
        return {iri for iri in map(read, condition.values) if iri}
    return {fold(v).removeprefix(fold(str(DMR))) for v in condition.values}


def _matches(condition: Condition, related: dict[str, set[str]]) -> bool:
    wanted = _wanted(condition)
    if condition.pid in IDENTIFIER_PROPERTIES:
        return bool(wanted & related.get(condition.pid, set()))
    names = set()
    for target in related.get(condition.pid, set()):
        other = _catalogue().by_id(target)
        names.add(fold(target))
        if other:
            names |= {fold(n) for n in other.labels.values()}
            names |= {fold(n) for _, n in other.alt_labels}
    return bool(wanted & names)


def _related(entity: CatalogueEntry) -> dict[str, set[str]]:
    """The entity's outgoing DMO relations by property name, and its identifier IRIs."""
    from service.resources import Resources

    out = Resources(_backend(), _catalogue()).outgoing(entity.iri)
    found: dict[str, set[str]] = {}
    for predicate, values in out.items():
        if predicate.startswith(str(DMO)):
            found[predicate.removeprefix(str(DMO))] = {
                str(v).removeprefix(str(DMR)) for v in values}
    for value in out.get(str(SKOS.exactMatch), []):
        text = str(value)
        if text.startswith(str(WIKIDATA)):
            found.setdefault("wikidata", set()).add(text)
        elif text.startswith(f"{OBO}CHEBI_"):
            found.setdefault("chebi", set()).add(text)
    return found


def _backend() -> Backend:
    found: Backend = services().backend
    return found


def _having(condition: Condition) -> list[CatalogueEntry]:
    """Entities that meet a condition: candidates a name search alone would not give."""
    catalogue, backend = _catalogue(), _backend()
    if condition.pid in IDENTIFIER_PROPERTIES:
        return [hit.entity for iri in sorted(_wanted(condition))
                for hit in linked(iri, catalogue, backend) if hit.exact]
    found = []
    for value in condition.values:
        target = catalogue.by_id(value.removeprefix(str(DMR)))
        targets = [target] if target else [
            hit.entity for hit in catalogue.search(value, None, limit=5) if hit.tier == EXACT]
        for entity in targets:
            rows = backend.select(HAVING, {"p": f"{DMO}{condition.pid}", "o": entity.iri})
            found += [e for e in (catalogue.get(str(row["s"])) for row in rows) if e]
    return found


def _check_properties(conditions: list[Condition]) -> None:
    known = {**_object_properties(), **IDENTIFIER_PROPERTIES}
    for condition in conditions:
        if condition.pid not in known:
            raise BadQuery(f"unknown property {condition.pid!r}: see /reconcile/suggest/property")


Scored = tuple[CatalogueEntry, Hit | None, float, list[dict[str, Any]]]


def _candidates(query: Query) -> list[Scored]:
    """Entities found by name or by a property condition, with their scores."""
    by_name: dict[str, Hit] = {}
    if query.text:
        for found in _catalogue().search(query.text, query.types or None,
                                         limit=max(query.limit * 3, 20)):
            by_name.setdefault(found.entity.iri, found)
    entities = {found.entity.iri: found.entity for found in by_name.values()}
    for condition in query.conditions:
        for entity in _having(condition):
            if not query.types or entity.types & query.types:
                entities.setdefault(entity.iri, entity)
    scored: list[Scored] = []
    for iri, entity in entities.items():
        hit: Hit | None = by_name.get(iri)
        name_score = hit.score if hit else 0.0
        features: list[dict[str, Any]] = []
        if hit:
            features.append({"id": "name_tier", "value": hit.tier})
        score = name_score
        if query.conditions:
            related = _related(entity)
            met = sum(_matches(c, related) for c in query.conditions)
            share = met / len(query.conditions)
            features.append({"id": "properties_matched", "value": met})
            # Without a name, the conditions alone score; with one, they weigh half.
            score = 100 * share if not query.text else (
                name_score * (0.5 + 0.5 * share) if hit else 50 * share)
        scored.append((entity, hit, round(score, 2), features))
    scored.sort(key=lambda s: -s[2])  # stable: equal scores keep the search engine's order
    return scored


def reconcile_one(query: Query) -> dict[str, Any]:
    """Candidates for one query, best first, with scores and a match flag."""
    _check_properties(query.conditions)
    named = by_identifier(query.text, _catalogue(), _backend()) if query.text else []
    if named:
        return {"result": _identified(named, query.types, query.limit)}
    results = _candidates(query)[:query.limit]
    answer = []
    runner_up = results[1][2] if len(results) > 1 else 0.0
    for position, (entity, hit, score, features) in enumerate(results):
        # A match: the best candidate, clearly ahead of the next, named exactly or (with no
        # name given) meeting every condition.
        exact = hit.tier == EXACT if hit else not query.text
        is_match = position == 0 and exact and score >= 85 and score - runner_up >= 5
        described = f"matched “{hit.name}”" if hit else "matched by its properties"
        answer.append({
            "id": entity.id,
            "name": entity.label(),
            "description": f"{entity.kind}; {described}",
            "type": [_type(t) for t in sorted(entity.types)],
            "score": score,
            "match": is_match,
            "features": features,
        })
    return {"result": answer}


def _identified(named: list[IdentifierHit], types: set[str], limit: int
                ) -> list[dict[str, Any]]:
    """Candidates for a query that is an identifier: an exact link is a match when alone."""
    kept = [h for h in named if not types or h.entity.types & types][:limit]
    exact = [h for h in kept if h.exact]
    return [{
        "id": hit.entity.id,
        "name": hit.entity.label(),
        "description": f"{hit.entity.kind}; {hit.relation} {hit.identifier}",
        "type": [_type(t) for t in sorted(hit.entity.types)],
        "score": hit.score,
        "match": hit.exact and len(exact) == 1,
        "features": [{"id": "identifier", "value": hit.exact}],
    } for hit in kept]


def _field(name: str) -> str | None:
    """A form or URL field, refused when its bytes are not UTF-8 (rather than garbled)."""
    sources = [request.query_string]
    if request.mimetype == "application/x-www-form-urlencoded":
        sources.append(request.get_data(cache=True))
    for raw in sources:
        for pair in raw.split(b"&"):
            key, _, value = pair.partition(b"=")
            if unquote_to_bytes(key.replace(b"+", b" ")) != name.encode():
                continue
            try:
                unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8")
            except UnicodeDecodeError as error:
                raise BadRequest(f"'{name}' is not UTF-8 (at byte {error.start})") from error
    found: str | None = request.values.get(name)
    return found


def _queries_payload() -> dict[str, Any] | None:
    raw = _field("queries")
    if raw is None:
        return None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise BadRequest(f"'queries' is not JSON: {error.msg} at character {error.pos}") from error
    if not isinstance(data, dict):
        raise BadRequest("'queries' is an object mapping keys to query objects")
    if len(data) > MAX_QUERIES:
        raise BadRequest(f"at most {MAX_QUERIES} queries in one batch")
    return data


def _answer_batch(batch: dict[str, Any]) -> dict[str, Any]:
    """Answer each query; a query that cannot be read gets no candidates and an error, and the
    batch is refused only when no query in it can be read."""
    answers: dict[str, Any] = {}
    errors = []
    for key, raw in batch.items():
        try:
            answers[key] = reconcile_one(read_reconcile_query(raw))
        except BadQuery as error:
            errors.append(f"{key}: {error}")
            answers[key] = {"result": [], "error": {"code": 400, "message": str(error)}}
    if errors and len(errors) == len(batch):
        raise BadRequest("; ".join(errors[:5]))
    return answers


@blueprint.route("/reconcile", methods=["GET", "POST"])
def reconcile() -> Response:
    """The manifest, or the answers to a batch of queries or to a data extension query."""
    extension = _field("extend")
    if extension is not None:
        try:
            wanted = json.loads(extension)
        except json.JSONDecodeError as error:
            raise BadRequest(f"'extend' is not JSON: {error.msg} at character {error.pos}"
                             ) from error
        return _json(_extension(lambda c, b: extend(c, b, wanted)))
    batch = _queries_payload()
    if batch is None:
        if request.method == "POST":
            raise BadRequest("a POST carries 'queries' or 'extend' as a form field "
                             "(application/x-www-form-urlencoded)")
        return _json(manifest())
    return _json(_answer_batch(batch))


def _extension(answer: Callable[[Catalogue, Backend], dict[str, Any]]) -> dict[str, Any]:
    try:
        return answer(_catalogue(), services().backend)
    except ExtendError as error:
        raise BadRequest(str(error)) from error


@blueprint.get("/reconcile/propose_properties")
def propose_properties() -> Response:
    """Properties to fetch for entities of a type (data extension)."""
    type_id = request.args.get("type", "")
    raw = request.args.get("limit", "0")
    if not raw.isdigit() or len(raw) > 6:
        raise BadRequest("'limit' is a whole number, 0 or more")
    return _json(_extension(lambda c, b: propose(c, b, type_id, int(raw))))


def _prefix() -> str:
    prefix = request.args.get("prefix", "")
    if not prefix.strip():
        raise BadRequest("'prefix' is required")
    if found := control_character(prefix):
        raise BadRequest(f"'prefix' holds a control character ({found})")
    return prefix[:200]


def _cursor() -> int:
    """The position of the first suggestion wanted (Suggest API 'cursor', default 0)."""
    raw = request.args.get("cursor", "0")
    if not raw.isdigit() or len(raw) > 9:
        raise BadRequest("'cursor' is a whole number, 0 or more")
    return int(raw)


@blueprint.get("/reconcile/suggest/entity")
def suggest_entity() -> Response:
    """Auto-complete entity names (or an identifier), SUGGEST_SIZE from the cursor."""
    prefix, cursor = _prefix(), _cursor()
    wanted = request.args.get("type")
    named = by_identifier(prefix, _catalogue(), services().backend)
    if named:
        entities = [h.entity for h in named if not wanted or wanted in h.entity.types]
        entities = entities[cursor:cursor + SUGGEST_SIZE]
    else:
        entities = [h.entity for h in _catalogue().search(
            prefix, {wanted} if wanted else None, offset=cursor, limit=SUGGEST_SIZE)]
    return _json({"result": [{"id": e.id, "name": e.label(), "description": e.kind,
                              "notable": [_type(t) for t in sorted(e.types)]}
                             for e in entities]})


@blueprint.get("/reconcile/suggest/type")
def suggest_type() -> Response:
    """Auto-complete type names (DMO classes with individuals)."""
    prefix, cursor = fold(_prefix()), _cursor()
    names = _catalogue().type_counts()
    found = [_type(n) for n in names
             if prefix in fold(n) or prefix in fold(_type(n)["name"])]
    return _json({"result": found[cursor:cursor + SUGGEST_SIZE]})


@blueprint.get("/reconcile/suggest/property")
def suggest_property() -> Response:
    """Auto-complete property names usable in reconciliation conditions."""
    prefix, cursor = fold(_prefix()), _cursor()
    candidates = {**_object_properties(), **IDENTIFIER_PROPERTIES}
    found = [{"id": pid, "name": name} for pid, name in sorted(candidates.items())
             if prefix in fold(pid) or prefix in fold(name)]
    return _json({"result": found[cursor:cursor + SUGGEST_SIZE]})


def _aliases(entity: CatalogueEntry) -> list[str]:
    """The entity's other names, each once (ignoring case), without its labels."""
    seen = {fold(label) for label in entity.labels.values()}
    aliases = []
    for _, name in entity.alt_labels:
        if fold(name) not in seen:
            seen.add(fold(name))
            aliases.append(name)
    return aliases


@blueprint.get("/reconcile/preview")
def preview() -> Response:
    """A small HTML card of an entity, for OpenRefine's preview pane."""
    ident = request.args.get("id", "").strip()
    if not ident:
        raise BadRequest("'id' is required: /reconcile/preview?id=substance/mdma")
    entity = _catalogue().by_id(ident.removeprefix(str(DMR)))
    if entity is None:
        raise ServiceError(404, f"no entity {ident!r}")
    html = render_template("preview.html", entity=entity, words=WORDS["en"],
                           aliases=_aliases(entity))
    response = Response(html, content_type="text/html; charset=utf-8")
    # OpenRefine shows the preview in an iframe of its own page, wherever it runs.
    response.headers["Content-Security-Policy"] = PREVIEW_POLICY
    return response
