"""Graphs the store makes for itself, never shown to clients nor named by them.

A merged graph holds, once, the triples of several graphs so that a default graph made of
them is a set (Oxigraph merges graphs as a multiset): for an update's USING graphs within its
own transaction, for a protocol dataset until a write changes its graphs, for the union of a
store seeded with data files. Their names share one prefix; a client's text or dataset that
names one is refused, and no listing shows them.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

HIDDEN = "urn:dmkg:merged-"
MERGED_USING = f"{HIDDEN}using:"
MERGED_DATASET = f"{HIDDEN}dataset:"
MERGED_UNION = f"{HIDDEN}union"


def is_hidden(graph: str) -> bool:
    """Tell whether a graph IRI names a graph of the store's own making."""
    return graph.startswith(HIDDEN)


def hidden_named(iris: Iterable[str]) -> list[str]:
    """The IRIs among iris that name hidden graphs."""
    return [iri for iri in iris if is_hidden(iri)]


def visible(graphs: Iterable[ox.NamedNode | ox.BlankNode | ox.DefaultGraph]) -> list[ox.NamedNode]:
    """The named graphs a client may see, among graphs."""
    return [g for g in graphs if isinstance(g, ox.NamedNode) and not is_hidden(g.value)]
