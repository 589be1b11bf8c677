"""A selection of claims by facets (source, kind, confidence, trend, substance, channel,
place, period): the facet values of every claim, the counts, and the same selection as SPARQL."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from kg.namespaces import DMO, DMR
from kg.store import Backend

CLAIM_KINDS = ("ReportedFinding", "EditorialStatement", "Opinion", "RegulatoryFact")
# Facet → the property linking a claim to its values (kind and period are read apart).
LINKS = {"source": DMO.statedIn, "confidence": DMO.confidence, "trend": DMO.trend,
         "substance": DMO.aboutSubstance, "channel": DMO.aboutChannel, "place": DMO.aboutPlace}
FACETS = ("source", "kind", "confidence", "trend", "substance", "channel", "place", "period")

_PREFIX = f"PREFIX dmo: <{DMO}>\nPREFIX dmr: <{DMR}>\n"
FACET_QUERY = _PREFIX + """SELECT ?claim ?facet ?value WHERE {
  ?claim a dmo:Claim .
  {
    VALUES (?facet ?p) { """ + " ".join(f'("{name}" dmo:{str(p).removeprefix(str(DMO))})'
                                      for name, p in LINKS.items()) + """ }
    ?claim ?p ?value .
  } UNION {
    BIND("kind" AS ?facet)
    ?claim a ?value .
    VALUES ?value { """ + " ".join(f"dmo:{k}" for k in CLAIM_KINDS) + """ }
  } UNION {
    BIND("start" AS ?facet)
    ?claim dmo:periodStart ?value .
  } UNION {
    BIND("end" AS ?facet)
    ?claim dmo:periodEnd ?value .
  }
}"""


def _year(text: str) -> int | None:
    head = text[:4]
    return int(head) if head.isdigit() else None


@dataclass
class ClaimFacets:
    """One claim's values for each facet: entity ids, kind names, years of its period."""

    iri: str
    values: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    @property
    def id(self) -> str:
        return self.iri.removeprefix(str(DMR))


def read_facets(backend: Backend) -> list[ClaimFacets]:
    """Every claim with its facet values, in one query."""
    claims: dict[str, ClaimFacets] = {}
    periods: dict[str, dict[str, int]] = defaultdict(dict)
    for claim, facet, value in backend.select_values(FACET_QUERY):
        iri = str(claim)
        found = claims.setdefault(iri, ClaimFacets(iri))
        name, text = str(facet), str(value)
        if name in ("start", "end"):
            year = _year(text)
            if year is not None:
                periods[iri][name] = year
        elif name == "kind":
            found.values["kind"].add(text.removeprefix(str(DMO)))
        else:
            found.values[name].add(text.removeprefix(str(DMR)))
    for iri, bounds in periods.items():
        start = bounds.get("start", bounds.get("end"))
        end = bounds.get("end", start)
        if start is not None and end is not None:
            claims[iri].values["period"] = {str(y) for y in range(start, end + 1)}
    return sorted(claims.values(), key=lambda c: c.id)


def select(claims: list[ClaimFacets], chosen: dict[str, str]) -> list[ClaimFacets]:
    """The claims having every chosen value (a period value: the period covers that year)."""
    return [c for c in claims if all(value in c.values.get(name, ()) for name, value in
                                     chosen.items())]


def counts(claims: list[ClaimFacets]) -> dict[str, Counter[str]]:
    """How many of the claims have each value of each facet."""
    found: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
    for claim in claims:
        for name in FACETS:
            found[name].update(claim.values.get(name, ()))
    return found


def sparql(chosen: dict[str, str]) -> str:
    """The SPARQL query whose answers are the selected claims, with their quotes and sources.

    The values come from the facet lists (ids of the graph, kind names, years), checked
    before they get here.
    """
    lines = ["  ?claim a dmo:Claim ."]
    for name, value in chosen.items():
        if name in LINKS:
            local = str(LINKS[name]).removeprefix(str(DMO))
            lines.append(f"  ?claim dmo:{local} <{DMR}{value}> .")
        elif name == "kind":
            lines.append(f"  ?claim a dmo:{value} .")
        elif name == "period":
            lines.append("  ?claim dmo:periodStart|dmo:periodEnd ?when .")
            lines.append("  OPTIONAL { ?claim dmo:periodStart ?start }")
            lines.append("  OPTIONAL { ?claim dmo:periodEnd ?end }")
            lines.append(f'  FILTER(SUBSTR(STR(COALESCE(?start, ?end)), 1, 4) <= "{value}"'
                         f' && SUBSTR(STR(COALESCE(?end, ?start)), 1, 4) >= "{value}")')
    lines += ["  OPTIONAL { ?claim dmo:quote ?quote }",
              "  OPTIONAL { ?claim dmo:statedIn ?source }"]
    return (_PREFIX + "SELECT DISTINCT ?claim ?quote ?source WHERE {\n"
            + "\n".join(lines) + "\n}\nORDER BY ?claim")
