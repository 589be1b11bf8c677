"""The union default graph of a writable store with built graphs, kept as a set inside it.

Oxigraph 0.5 merges graphs into a default graph as a multiset: a triple held by two graphs
matches twice. The built graphs (the base) hold no triple twice, which the load checks once;
clients write other named graphs only, never the store's own default graph. So the store's
default graph holds the rest of the union: each triple of a contributed graph that no base
graph holds, once. The base graphs and that default graph then never share a triple, and a
query whose default graph is their list sees the union as a set.

Every write keeps it so in the same update request (one transaction: a store killed at any
moment holds the data and its union together), at a cost that grows with the write only: the
graphs a write removes triples from are copied to a scratch graph first, and afterwards each
of their triples that no named graph holds any more leaves the default graph; each triple
added (the written triples, or the content of the graphs an update targets) joins it unless
a base graph holds it. One index look-up per triple. The scratch graphs live only inside the
transaction, so no query ever sees them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from kg.store import union_note

# Names a client may not write: the scratch graphs of the upkeep.
RESERVED = "urn:x-dmkg:union:"
BEFORE = ox.NamedNode(RESERVED + "before")
ADDED = ox.NamedNode(RESERVED + "added")
_PROLOGUE = re.compile(r"(?:\s*BASE\s*<[^<>]*>)+", re.IGNORECASE)


def _names(graphs: Iterable[str]) -> list[ox.NamedNode]:
    return [ox.NamedNode(g) for g in graphs]


@dataclass(frozen=True)
class KeptUnion:
    """The base graphs of a store whose union is kept as a set (the rest in its default graph)."""

    base: tuple[str, ...]

    def default_graph(self) -> list[ox.NamedNode | ox.DefaultGraph]:
        """The graphs a query's default graph is made of: together, the union as a set."""
        return [*_names(self.base), ox.DefaultGraph()]

    def _joining(self, sources: Iterable[ox.NamedNode]) -> str:
        """The update that puts the triples of sources into the default graph, those that no
        base graph holds (one look-up per triple and base graph)."""
        names = " ".join(str(g) for g in sources)
        unheld = " ".join(f"FILTER NOT EXISTS {{ GRAPH {b} {{ ?s ?p ?o }} }}"
                          for b in _names(self.base))
        return (f"INSERT {{ ?s ?p ?o }} WHERE {{ VALUES ?g {{ {names} }} "
                f"GRAPH ?g {{ ?s ?p ?o }} {unheld} }}")

    @staticmethod
    def _leaving() -> str:
        """The update that takes out of the default graph each triple copied to BEFORE that no
        named graph holds any more (a base graph's triples are never in it)."""
        return (f"DELETE {{ ?s ?p ?o }} WHERE {{ GRAPH {BEFORE} {{ ?s ?p ?o }} "
                f"FILTER NOT EXISTS {{ GRAPH ?h {{ ?s ?p ?o }} "
                f"FILTER(?h NOT IN ({BEFORE}, {ADDED})) }} }}")

    def around(self, body: str, removing: Iterable[str], adding: Iterable[str]) -> str:
        """Return body (an update in plain form) with the upkeep of the union around it.

        removing: the graphs whose triples body may remove; adding: the graphs (ADDED among
        them, filled by body) whose triples afterwards may be new to the union.
        """
        before = _names(dict.fromkeys(removing))
        after = _names(dict.fromkeys(adding))
        # Oxigraph reads a prologue only at the start of the text: the steps go after it.
        # (In plain form it holds BASE declarations only, whose IRIs hold no ">".)
        prologue = _PROLOGUE.match(body)
        start = prologue.end() if prologue else 0
        steps = [f"ADD SILENT {g} TO {BEFORE}" for g in before]
        # A final ";" may end an update; the steps after it need one separator only.
        steps.append(body[start:].rstrip().removesuffix(";"))
        if before:
            steps.append(self._leaving())
        if after:
            steps.append(self._joining(after))
        steps += [f"DROP SILENT GRAPH {BEFORE}", f"DROP SILENT GRAPH {ADDED}"]
        return body[:start] + "\n" + " ;\n".join(steps)

    def rebuilt(self, contributed: Iterable[str]) -> str:
        """The update that makes the default graph right from the contributed graphs alone
        (after a write cut short or one that did not keep it): as costly as they are large."""
        graphs = _names(contributed)
        steps = ["CLEAR SILENT DEFAULT"]
        if graphs:
            steps.append(self._joining(graphs))
        return " ;\n".join(steps)


def keep(store: ox.Store, protected: tuple[str, ...],
         base: tuple[str, ...] | None = None) -> KeptUnion:
    """Make the store's default graph the rest of its union, and return the kept union.

    base: the base graphs when known (noted); otherwise the protected graphs if no triple is
    in two of them (a check that reads them), else none (the default graph then holds the
    whole union). The cost is that of the contributed graphs.
    """
    if base is None:
        base = () if union_note.overlaps(store, protected) else protected
    kept = KeptUnion(base)
    contributed = sorted(g.value for g in store.named_graphs()
                         if isinstance(g, ox.NamedNode) and g.value not in base)
    store.update(kept.rebuilt(contributed))
    return kept
