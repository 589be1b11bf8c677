"""Graphs the store makes for itself, never shown to clients nor named by them.

A merged graph holds, once, the triples of several graphs so that a default graph made of
them is a set (Oxigraph merges graphs as a multiset): for an update's USING graphs within its
own transaction, for a protocol dataset until a write changes its graphs, for the union of a
store seeded with data files. Their names share one prefix. The upkeep graph, where an update
names the triples it may change (kg.store.union_upkeep), is the store's own too. A client's
text or dataset that names one is refused, and no listing shows them.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from kg.iri_equivalence import normal_form
from kg.sparql_reading import ReadQuery

HIDDEN = "urn:dmkg:merged-"
MERGED_USING = f"{HIDDEN}using:"
MERGED_DATASET = f"{HIDDEN}dataset:"
MERGED_UNION = f"{HIDDEN}union"
# Where a restore stages its quads before one transaction moves them in (see replace_written).
RESTORING = f"{HIDDEN}restoring:"
UPKEEP = "https://w3id.org/dmkg/graph/upkeep"


def is_hidden(graph: str) -> bool:
    """Tell whether a graph IRI names a graph of the store's own making, in any spelling of
    it (case, port, percent-encoding, dot segments: RFC 3986; the case of a URN's namespace
    identifier: RFC 8141)."""
    if graph.startswith(HIDDEN) or graph == UPKEEP:
        return True
    lowered = graph.lower()
    if "%" not in graph and "upkeep" not in lowered and "merged" not in lowered:
        return False  # no spelling of either (most IRIs of a query: no work on the hot path)
    normal = normal_form(graph)
    if normal[:9].lower() == "urn:dmkg:":
        normal = "urn:dmkg:" + normal[9:]
    return normal.startswith(HIDDEN) or normal == UPKEEP


def hidden_named(read: ReadQuery, *dataset: Iterable[str]) -> list[str]:
    """The hidden graphs a text in plain form (every IRI written out) or its dataset names."""
    written = (t.text[1:-1] for t in read.tokens if t.kind == "iri")
    return sorted({iri for iri in (*written, *(g for graphs in dataset for g in graphs))
                   if is_hidden(iri)})


def graphs_of(dataset: object) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The graphs a dataset (kg.store.DatasetSpec, or None) names."""
    return (getattr(dataset, "default_graphs", ()), getattr(dataset, "named_graphs", ()))


def refusal(names: list[str]) -> str:
    return (f"<{names[0]}> is a graph of the store's own making: no query or write may "
            "name it")


def visible(graphs: Iterable[ox.NamedNode | ox.BlankNode | ox.DefaultGraph]) -> list[ox.NamedNode]:
    """The named graphs a client may see, among graphs."""
    return [g for g in graphs if isinstance(g, ox.NamedNode) and not is_hidden(g.value)]


def merged_in(store: ox.Store) -> list[ox.NamedNode]:
    """The merged graphs a store holds (not the upkeep graph: a store cut off mid-update is
    repaired from it)."""
    return [g for g in store.named_graphs()
            if isinstance(g, ox.NamedNode) and g.value.startswith(HIDDEN)]
