"""The union default graph of a writable store with built graphs, kept as a set inside it.

Oxigraph 0.5 merges graphs into a default graph as a multiset: a triple held by two graphs
matches twice. The built graphs (the base) hold no triple twice, which the load checks once;
clients write other named graphs only, never the store's own default graph. So the store's
default graph holds the rest of the union: each triple of a contributed graph that no base
graph holds, once. The base graphs and that default graph never share a triple, and a query
whose default graph is their list sees the union as a set.

Every write keeps it so at a cost that grows with the write only, one index look-up per
triple it adds or removes, read from the committed store before the write (or, for an
update whose effect the engine decides, from the triples it may change, copied into the
upkeep graph as it runs: kg.store.union_upkeep): a triple added joins the default graph
unless a base graph holds it; a triple removed leaves it once no named graph holds it.
(Reading inside the write's own transaction would be simpler, but RocksDB reads a large
uncommitted transaction slowly: a 20k-triple graph took 12 s to replace that way, against
1 s.) Whatever a text can name goes in the write's own transaction; a blank node already in
the store cannot be named in a text, so removing its triples, like the upkeep after an
update, is a second step: the note says the store is changing until it is done, and a store
killed in between is repaired when opened (from the upkeep graph alone after an update that
named what it may change).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from kg.store import union_note
from kg.store.hidden_graphs import UPKEEP, is_hidden


def ground(term: object) -> bool:
    """Tell whether a term holds no blank node (a text can name it in the store)."""
    if isinstance(term, ox.BlankNode):
        return False
    if isinstance(term, ox.Triple):
        return all(ground(t) for t in term)
    return True


def triples_of(store: ox.Store, graphs: Iterable[str]) -> set[ox.Triple]:
    """The triples the graphs hold, together."""
    return {q.triple for g in graphs
            for q in store.quads_for_pattern(None, None, None, ox.NamedNode(g))}


def in_default(triples: Iterable[ox.Triple]) -> list[ox.Quad]:
    return [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples]


@dataclass(frozen=True)
class Change:
    """What a write changes in the rest of the union: triples joining it and leaving it."""

    joining: list[ox.Triple] = field(default_factory=list)
    leaving: list[ox.Triple] = field(default_factory=list)

    def named(self) -> list[ox.Triple]:
        """The leaving triples a DELETE DATA can name (no blank node)."""
        return [t for t in self.leaving if ground(t)]

    def unnamed(self) -> list[ox.Quad]:
        """The leaving quads only the store's own API can remove (blank nodes)."""
        return in_default(t for t in self.leaving if not ground(t))


@dataclass(frozen=True)
class KeptUnion:
    """The base graphs of a store whose union is kept as a set (the rest in its default graph)."""

    base: tuple[str, ...]

    def default_graph(self) -> list[ox.NamedNode | ox.DefaultGraph]:
        """The graphs a query's default graph is made of: together, the union as a set."""
        return [*(ox.NamedNode(g) for g in self.base), ox.DefaultGraph()]

    def unheld(self, store: ox.Store, triples: Iterable[ox.Triple]) -> list[ox.Triple]:
        """The triples no base graph holds (one look-up each)."""
        base = {ox.NamedNode(g) for g in self.base}
        return [t for t in triples
                if not any(q.graph_name in base for q in
                           store.quads_for_pattern(t.subject, t.predicate, t.object))]

    def contributed(self, graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph) -> bool:
        """Tell whether a graph is a contributed one (named, not a base nor a hidden graph)."""
        return (isinstance(graph, ox.NamedNode) and graph.value not in self.base
                and not is_hidden(graph.value))

    def apart(self, store: ox.Store) -> bool:
        """Tell whether no triple is in two contributed graphs or in one and a base graph:
        then the contributed graphs together hold as many triples as the default graph
        (two counts, as costly as the contributed graphs are large)."""
        names = " ".join(str(g) for g in store.named_graphs() if self.contributed(g))
        if not names:
            return True
        together = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {names} }} "
                               "GRAPH ?g { ?s ?p ?o } }")
        rest = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        assert isinstance(together, ox.QuerySolutions) and isinstance(rest, ox.QuerySolutions)
        return bool(next(iter(together))[0] == next(iter(rest))[0])

    def shared(self, store: ox.Store, triples: Iterable[ox.Triple]) -> bool:
        """Tell whether one of triples is in two contributed graphs, or in one and a base
        graph (one look-up each)."""
        base = {ox.NamedNode(g) for g in self.base}
        for triple in triples:
            graphs = {q.graph_name for q in
                      store.quads_for_pattern(triple.subject, triple.predicate, triple.object)}
            contributed = sum(1 for g in graphs if self.contributed(g))
            if contributed > 1 or (contributed and graphs & base):
                return True
        return False

    def change(self, store: ox.Store, added: Iterable[ox.Triple],
               removed: Iterable[ox.Triple], outside: frozenset[str] = frozenset()) -> Change:
        """What adding and removing triples changes, from the store as it is.

        outside: graphs whose holding a removed triple does not count (a graph being replaced
        or dropped by the write, not yet committed).
        """
        return Change(self.unheld(store, added), unheld_by_named(store, removed, outside))

    def rebuild(self, store: ox.Store) -> None:
        """Make the default graph right from the contributed graphs alone (after a write cut
        short or one that did not keep it): as costly as they are large."""
        store.remove_graph(ox.NamedNode(UPKEEP))
        contributed = " ".join(str(g) for g in store.named_graphs()
                               if isinstance(g, ox.NamedNode) and g.value not in self.base)
        unheld = " ".join(f"FILTER NOT EXISTS {{ GRAPH {ox.NamedNode(b)} {{ ?s ?p ?o }} }}"
                          for b in self.base)
        # One query: the look-ups run in the engine, far faster than one call each.
        found = store.query(f"SELECT ?s ?p ?o WHERE {{ VALUES ?g {{ {contributed} }} "
                            f"GRAPH ?g {{ ?s ?p ?o }} {unheld} }}")
        assert isinstance(found, ox.QuerySolutions)
        store.clear_graph(ox.DefaultGraph())
        # Not one transaction, but faster: a rebuild cut short is done again at the next open.
        # The rows are streamed (the query reads named graphs only), not held, nor made
        # distinct: a triple two graphs hold is added to the default graph once all the same.
        store.bulk_extend(ox.Quad(row[0], row[1], row[2], ox.DefaultGraph())
                          for row in found)


def unheld_by_named(store: ox.Store, triples: Iterable[ox.Triple],
                    outside: frozenset[str] = frozenset()) -> list[ox.Triple]:
    """The triples no named graph holds, but those of outside (one look-up each)."""
    return [t for t in triples
            if not any(isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value not in outside
                       for q in store.quads_for_pattern(t.subject, t.predicate, t.object))]


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
    kept.rebuild(store)
    return kept
