"""Default graphs made of overlapping graphs, read as sets through a hidden graph in the store.

Oxigraph 0.5 merges the graphs of a default graph as a multiset: a triple held by two of them
matches twice. Where the graphs of a default graph overlap (a protocol dataset's several
`default-graph-uri`, the union of a store seeded with data files), the store is given a hidden
graph instead of a merged copy of the data: the largest of the graphs (the core) is read where
it lies, and the hidden graph holds, once, each triple of the others that the core does not
hold. Core and hidden graph share no triple, so together they are the graphs' union as a set;
the copy costs the other graphs only. A few are kept (the least recently used goes first),
each until a write reaches one of its graphs.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from kg.store.base import QueryRefused
from kg.store.hidden_graphs import MERGED_DATASET, MERGED_UNION, visible

GraphTerm = ox.NamedNode | ox.DefaultGraph
# The key of the union of every graph of the store (whatever graphs it holds).
UNION = "*"
KEPT = 8
# The triples a dataset's merged graph may copy beside its largest graph: the copy is made for
# a client's query, within its time limit, and kept on disk (KEPT of them), so its cost is
# bounded for every dataset a client can name.
MERGE_MAX = 100_000


def _pattern(graph: GraphTerm) -> str:
    """A group matching ?s ?p ?o in graph, in an update without USING (whose default graph
    is the store's own)."""
    if isinstance(graph, ox.DefaultGraph):
        return "{ ?s ?p ?o }"
    return f"{{ GRAPH {graph} {{ ?s ?p ?o }} }}"


def filling(name: str, core: GraphTerm, rest: Sequence[GraphTerm]) -> str:
    """The update that makes name hold, once, the triples of rest that core does not hold."""
    merged = ox.NamedNode(name)
    sources = " UNION ".join(_pattern(g) for g in rest)
    return (f"DROP SILENT GRAPH {merged} ;\n"
            f"INSERT {{ GRAPH {merged} {{ ?s ?p ?o }} }} WHERE {{ {{ {sources} }} "
            f"FILTER NOT EXISTS {_pattern(core)} }}")


@dataclass(frozen=True)
class Merged:
    """A hidden graph and the core graph it completes."""

    name: str
    core: GraphTerm
    sources: frozenset[str]  # str() of every graph merged, the core's too

    def default_graph(self) -> list[GraphTerm]:
        """The graphs a query's default graph is made of: together, the union as a set."""
        return [self.core, ox.NamedNode(self.name)]


def name_of(key: str) -> str:
    if key == UNION:
        return MERGED_UNION
    return MERGED_DATASET + hashlib.sha256(key.encode()).hexdigest()[:32]


class MergedGraphs:
    """The hidden graphs kept in one store, by the graphs they merge."""

    def __init__(self, kept: int = KEPT) -> None:
        self._kept = kept
        self._merged: OrderedDict[str, Merged] = OrderedDict()
        # Made while a write changed the data: used by the query that made it, not kept, and
        # dropped at the next invalidation (until then, still hidden from GRAPH).
        self._stale: set[str] = set()
        self._lock = threading.Lock()
        self.generation = 0  # new at every invalidation: a graph made before it is not kept

    def __bool__(self) -> bool:
        """Tell whether the store may hold a hidden graph of these."""
        return bool(self._merged or self._stale)

    def get(self, store: ox.Store, graphs: Sequence[GraphTerm] | None,
            size: Callable[[GraphTerm], int], write: Callable[[str], None]) -> Merged:
        """The hidden graph for graphs (None: every graph of the store), made if need be.

        size: the number of triples of a graph (the largest is the core); write: applies an
        update to the store.
        """
        key = UNION if graphs is None else "\n".join(sorted(str(g) for g in graphs))
        with self._lock:
            found = self._merged.get(key)
            if found is not None:
                self._merged.move_to_end(key)
                return found
            generation = self.generation
        if graphs is None:
            graphs = [ox.DefaultGraph(), *visible(store.named_graphs())]
        core = max(graphs, key=size)
        copied = sum(size(g) for g in graphs if g != core)
        if key != UNION and copied > MERGE_MAX:
            raise QueryRefused(
                f"the graphs of this dataset share triples, so its default graph is merged as a "
                f"set; beside its largest graph that would copy {copied:,} triples, more than "
                f"the {MERGE_MAX:,} merged for a query: name fewer or smaller graphs")
        merged = Merged(name_of(key), core, frozenset(str(g) for g in graphs))
        write(filling(merged.name, core, [g for g in graphs if g != core]))
        evicted: list[str] = []
        with self._lock:
            if generation == self.generation:
                self._merged[key] = merged
                self._stale.discard(merged.name)
                while len(self._merged) > self._kept:
                    evicted.append(self._merged.popitem(last=False)[1].name)
            else:
                self._stale.add(merged.name)
        for name in evicted:
            write(f"DROP SILENT GRAPH {ox.NamedNode(name)}")
        return merged

    def invalidate(self, graphs: Iterable[str] | None) -> list[str]:
        """Forget the hidden graphs that merge one of graphs (str() of their terms; None:
        all), and return their names, for the caller to drop."""
        written = None if graphs is None else set(graphs)
        with self._lock:
            self.generation += 1
            gone = [key for key, merged in self._merged.items()
                    if key == UNION or written is None or merged.sources & written]
            names = [self._merged.pop(key).name for key in gone] + sorted(self._stale)
            self._stale.clear()
            return names
