"""A selection of claims by facets (source, kind, confidence, trend, substance, channel,
place, period): the facet values of every claim, the counts, and the same selection as SPARQL."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from rdflib.namespace import SKOS

from kg.namespaces import DMO, DMR
from kg.store import Backend
from service.description import table_order

CLAIM_KINDS = ("ReportedFinding", "EditorialStatement", "Opinion", "RegulatoryFact")
# Facet → the property linking a claim to its values (kind and period are read apart).
LINKS = {"source": DMO.statedIn, "confidence": DMO.confidence, "trend": DMO.trend,
         "substance": DMO.aboutSubstance, "channel": DMO.aboutChannel, "place": DMO.aboutPlace}
FACETS = ("source", "kind", "confidence", "trend", "substance", "channel", "place", "period")

_PREFIX = f"PREFIX dmo: <{DMO}>\nPREFIX dmr: <{DMR}>\n"
# One plain pattern a facet, read one after the other: about 0.4 s each at 1M triples in
# memory (bench.claim_facets), where one UNION of them all made a slower whole.
FACET_QUERIES = (
    ("claim", f"SELECT ?claim ?claim2 WHERE {{ ?claim a <{DMO.Claim}> BIND(?claim AS ?claim2) }}"),
    *((name, f"SELECT ?claim ?value WHERE {{ ?claim <{link}> ?value }}")
      for name, link in LINKS.items()),
    ("kind", "SELECT ?claim ?value WHERE { ?claim a ?value . VALUES ?value { "
     + " ".join(f"<{DMO[k]}>" for k in CLAIM_KINDS) + " } }"),
    ("start", f"SELECT ?claim ?value WHERE {{ ?claim <{DMO.periodStart}> ?value }}"),
    ("end", f"SELECT ?claim ?value WHERE {{ ?claim <{DMO.periodEnd}> ?value }}"),
    ("ref", f"SELECT ?claim ?value WHERE {{ ?claim a <{DMO.Claim}> ; <{SKOS.notation}> ?value }}"),
)


def _year(text: str) -> int | None:
    head = text[:4]
    return int(head) if head.isdigit() else None


@dataclass
class ClaimFacets:
    """One claim's values for each facet: entity ids, kind names, years of its period."""

    iri: str
    values: dict[str, set[str]] = field(default_factory=dict)
    ref: str = ""  # its row in the curation table (F12), the order claims are listed in

    @property
    def order(self) -> tuple[bool, str, int, str]:
        return table_order(self.ref, self.iri)

    @property
    def id(self) -> str:
        return self.iri.removeprefix(str(DMR))


def read_facets(backend: Backend) -> list[ClaimFacets]:
    """Every claim with its facet values, a query a facet."""
    found: dict[str, dict[str, set[str]]] = {}
    periods: dict[str, dict[str, int]] = defaultdict(dict)
    refs: dict[str, str] = {}
    for name, query in FACET_QUERIES:
        cut = len(str(DMO)) if name == "kind" else len(str(DMR))
        for claim, value in backend.select_values(query):
            if claim is None or value is None:
                continue
            if name == "ref":
                refs[str(claim)] = str(value)
                continue
            if name in ("start", "end"):
                year = _year(value)
                if year is not None:
                    periods[claim][name] = year
                continue
            values = found.get(claim)
            if values is None:
                values = found[claim] = {}
            if name == "claim":
                continue
            kept = values.get(name)
            if kept is None:
                kept = values[name] = set()
            kept.add(value[cut:])
    for iri, bounds in periods.items():
        start = bounds.get("start", bounds.get("end"))
        end = bounds.get("end", start)
        if start is not None and end is not None and iri in found:
            found[iri]["period"] = {str(y) for y in range(start, end + 1)}
    return sorted((ClaimFacets(iri, found[iri], refs.get(iri, "")) for iri in found),
                  key=lambda claim: claim.order)


# Facet → the values chosen in it: a claim is kept when it has one of them in every facet
# (OR within a facet, AND across facets, as faceted browsers read them).
Chosen = dict[str, list[str]]


def select(claims: list[ClaimFacets], chosen: Chosen) -> list[ClaimFacets]:
    """The claims having a chosen value in every facet chosen (a period value: the period
    covers that year)."""
    return [c for c in claims
            if all(not c.values.get(name, set()).isdisjoint(values)
                   for name, values in chosen.items())]


def counts(claims: list[ClaimFacets]) -> dict[str, Counter[str]]:
    """How many of the claims have each value of each facet."""
    found: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
    for claim in claims:
        for name in FACETS:
            found[name].update(claim.values.get(name, ()))
    return found


def _one_of(subject: str, variable: str, terms: list[str]) -> list[str]:
    """The pattern of a claim having one of the terms: the term itself when one, else a
    variable bound to each of them."""
    if len(terms) == 1:
        return [f"  ?claim {subject} {terms[0]} ."]
    return [f"  ?claim {subject} ?{variable} .", f"  VALUES ?{variable} {{ {' '.join(terms)} }}"]


def _patterns(chosen: Chosen) -> list[str]:
    lines = ["  ?claim a dmo:Claim ."]
    for name, values in chosen.items():
        if name in LINKS:
            local = str(LINKS[name]).removeprefix(str(DMO))
            lines += _one_of(f"dmo:{local}", f"chosen_{name}",
                             [f"<{DMR}{value}>" for value in values])
        elif name == "kind":
            lines += _one_of("a", "chosen_kind", [f"dmo:{value}" for value in values])
        elif name == "period":
            lines.append("  ?claim dmo:periodStart|dmo:periodEnd ?when .")
            lines.append("  OPTIONAL { ?claim dmo:periodStart ?start }")
            lines.append("  OPTIONAL { ?claim dmo:periodEnd ?end }")
            covers = [f'SUBSTR(STR(COALESCE(?start, ?end)), 1, 4) <= "{value}"'
                      f' && SUBSTR(STR(COALESCE(?end, ?start)), 1, 4) >= "{value}"'
                      for value in values]
            lines.append(f"  FILTER({covers[0]})" if len(covers) == 1 else
                         "  FILTER(" + " || ".join(f"({c})" for c in covers) + ")")
    return lines


def count_query(facet: str, chosen: Chosen, limit: int = 15) -> str:
    """The SPARQL query counting the selected claims per value of one facet (not period)."""
    if facet == "kind":
        value = ("  ?claim a ?value . VALUES ?value { "
                 + " ".join(f"dmo:{k}" for k in CLAIM_KINDS) + " }")
    else:
        value = f"  ?claim dmo:{str(LINKS[facet]).removeprefix(str(DMO))} ?value ."
    return (_PREFIX + "SELECT ?value (COUNT(DISTINCT ?claim) AS ?claims) WHERE {\n"
            + "\n".join([*_patterns(chosen), value])
            + f"\n}}\nGROUP BY ?value ORDER BY DESC(?claims) ?value LIMIT {limit}")


def aggregate_counts(backend: Backend, facets: tuple[str, ...],
                     chosen: Chosen) -> dict[str, Counter[str]]:
    """Claims per value of some facets, counted by the store (no claim read one by one)."""
    found: dict[str, Counter[str]] = {}
    for facet in facets:
        cut = len(str(DMO)) if facet == "kind" else len(str(DMR))
        found[facet] = Counter({value[cut:]: int(count) for value, count in
                                backend.select_values(count_query(facet, chosen))
                                if value is not None and count is not None})
    return found


def sparql(chosen: Chosen) -> str:
    """The SPARQL query whose answers are the selected claims, with their quotes and sources.

    The values come from the facet lists (ids of the graph, kind names, years), checked
    before they get here.
    """
    lines = _patterns(chosen)
    lines += ["  OPTIONAL { ?claim dmo:quote ?quote }",
              "  OPTIONAL { ?claim dmo:statedIn ?source }"]
    return (_PREFIX + "SELECT DISTINCT ?claim ?quote ?source WHERE {\n"
            + "\n".join(lines) + "\n}\nORDER BY ?claim")
