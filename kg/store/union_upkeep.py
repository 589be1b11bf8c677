"""An update's upkeep of a kept union, at the cost of what the update may change.

A store that keeps its union default graph as a set (kg.store.union_graph) must follow every
update. Comparing the graphs an update writes before and after costs what those graphs hold,
however small the update. Instead, before each operation of an update, an operation of our
own copies the triples that operation may change into a hidden upkeep graph: the triples of
its DATA block, or those its DELETE and INSERT templates make from its WHERE (evaluated just
before it, in the same transaction), or those of the graphs a CLEAR, DROP, ADD, MOVE or COPY
empties or fills. After the commit, the union is reconciled from the triples of the upkeep
graph alone, one look-up each, and the upkeep graph is removed.

A store cut off between the update and its reconciliation holds the upkeep graph: opening it
reconciles from that graph, not from every contributed triple. Where the triples an update
may change cannot be named this way (a template that makes blank nodes or names its graph
with a variable, a variable graph in a WHERE that sees every named graph, LOAD, a wide
target), copied() answers None and the caller compares the target graphs as before.

Clients never see the upkeep graph: writes and reads that name it are refused, and it is in
no graph list, backup or description.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyoxigraph as ox

from kg.sparql_reading import ReadQuery, Token
from kg.store.base import QueryRefused
from kg.store.hidden_graphs import UPKEEP
from kg.store.union_graph import Change, KeptUnion

__all__ = ["FLUSH_AFTER", "UPKEEP", "UPKEEP_NODE", "HiddenGraph", "change", "copied",
           "refuse_named"]

UPKEEP_NODE = ox.NamedNode(UPKEEP)
# Quads that may pass through the upkeep graph before the store is flushed: each is written
# and removed, and RocksDB keeps the removals in its memtable (scanned over by the next
# reconciliation, and replayed from the log when a store cut off is opened) until a flush.
FLUSH_AFTER = 2000

_OPERATIONS = frozenset({"INSERT", "DELETE", "WITH", "LOAD", "CLEAR", "DROP", "CREATE",
                         "ADD", "MOVE", "COPY"})


class HiddenGraph(QueryRefused):
    """A query or write that names the upkeep graph, which is the store's own."""


class Unknown(Exception):
    """The triples an operation may change cannot be named ahead of it."""


def _is(token: Token, text: str) -> bool:
    return token.kind == "punct" and token.text == text


def _closing(found: Sequence[Token], opening: int) -> int:
    """The index of the brace that closes the one at opening."""
    depth = 0
    for index in range(opening, len(found)):
        if _is(found[index], "{"):
            depth += 1
        elif _is(found[index], "}"):
            depth -= 1
            if depth == 0:
                return index
    raise Unknown("unbalanced braces")


class _Operation:
    """One operation of an update: its tokens and the text they stand in."""

    def __init__(self, text: str, found: Sequence[Token]) -> None:
        self.text, self.found = text, found

    def span(self, first: int, last: int) -> str:
        """The text from token first to token last, both included."""
        if last < first:
            return ""
        return self.text[self.found[first].start:self.found[last].end]

    def blocks(self, opening: int, fresh_nodes: bool) -> tuple[list[str], int]:
        """The triple blocks of the quad pattern opened at opening, each put in the upkeep
        graph, and the index of its closing brace. fresh_nodes: the pattern makes blank
        nodes (an INSERT), which no copy could name."""
        if not _is(self.found[opening], "{"):
            raise Unknown("a quad pattern not read")
        closing = _closing(self.found, opening)
        inner = range(opening + 1, closing)
        if fresh_nodes and any(self.found[i].kind == "bnode" or _is(self.found[i], "[")
                               or _is(self.found[i], "(") for i in inner):
            raise Unknown("a template that makes blank nodes")
        written: list[str] = []
        bare: list[int] = []
        index = opening + 1

        def flush() -> None:
            while bare and _is(self.found[bare[0]], "."):
                bare.pop(0)
            while bare and _is(self.found[bare[-1]], "."):
                bare.pop()
            if bare:
                written.append(self.span(bare[0], bare[-1]))
            bare.clear()

        while index < closing:
            token = self.found[index]
            if token.is_keyword("GRAPH"):
                flush()
                if index + 2 >= closing or not _is(self.found[index + 2], "{"):
                    raise Unknown("a GRAPH block not read")
                if self.found[index + 1].kind != "iri":
                    # Which graph it writes is known only as it runs: a base graph, perhaps.
                    raise Unknown("a variable graph")
                end = _closing(self.found, index + 2)
                written.append(self.span(index + 3, end - 1))
                index = end + 1
                continue
            bare.append(index)
            index += 1
        flush()
        return [f"GRAPH <{UPKEEP}> {{ {block} }}" for block in written if block.strip()], closing

    def graph_at(self, index: int) -> tuple[str | None, int]:
        """The graph named at index (GRAPH <g>, <g> or DEFAULT: None) and the index after."""
        token = self.found[index]
        if token.is_keyword("GRAPH"):
            index += 1
            token = self.found[index]
        if token.kind == "iri":
            return token.text, index + 1
        if token.is_keyword("DEFAULT"):
            return None, index + 1
        raise Unknown(f"a wide graph operand ({token.text})")

    def copy(self) -> str:
        """The operation that copies what this one may change into the upkeep graph."""
        found = self.found
        words = [t.text.upper() for t in found[:2]]
        if words[:2] in (["INSERT", "DATA"], ["DELETE", "DATA"]):
            blocks, _ = self.blocks(2, fresh_nodes=words[0] == "INSERT")
            return f"INSERT DATA {{ {' '.join(blocks)} }}" if blocks else ""
        if words[:2] == ["DELETE", "WHERE"]:
            blocks, closing = self.blocks(2, fresh_nodes=False)
            where = self.span(2, closing)
            return f"INSERT {{ {' '.join(blocks)} }} WHERE {where}" if blocks else ""
        if words[0] in {"INSERT", "DELETE", "WITH"}:
            return self._modify()
        if words[0] == "CREATE":
            return ""
        if words[0] in {"CLEAR", "DROP"}:
            index = 2 if found[1].is_keyword("SILENT") else 1
            graph, _ = self.graph_at(index)
            if graph is None:
                raise Unknown("the default graph")
            return _copy_graphs([graph])
        if words[0] in {"ADD", "MOVE", "COPY"}:
            index = 2 if found[1].is_keyword("SILENT") else 1
            source, index = self.graph_at(index)
            target, _ = self.graph_at(index + 1)  # past TO
            if target is None:
                raise Unknown("the default graph")
            return _copy_graphs([source] if words[0] == "ADD" else [source, target])
        raise Unknown(f"{words[0]} changes what no copy can name")

    def _modify(self) -> str:
        found = self.found
        index, head = 0, ""
        if found[0].is_keyword("WITH"):
            head, index = self.span(0, 1), 2
        blocks: list[str] = []
        for verb in ("DELETE", "INSERT"):
            if index < len(found) and found[index].is_keyword(verb):
                made, closing = self.blocks(index + 1, fresh_nodes=verb == "INSERT")
                blocks += made
                index = closing + 1
        rest = self.span(index, len(found) - 1)
        sees_every_graph = not any(t.is_keyword("USING") for t in found[index:])
        if sees_every_graph and any(t.is_keyword("GRAPH") and found[i + 1].kind == "var"
                                    for i, t in enumerate(found[index:-1], index)):
            # GRAPH ?g would read the upkeep graph itself, filled by the copies before it.
            raise Unknown("a variable graph in a WHERE that sees every named graph")
        return f"{head} INSERT {{ {' '.join(blocks)} }} {rest}" if blocks else ""


def _copy_graphs(graphs: list[str | None]) -> str:
    steps = []
    for graph in dict.fromkeys(graphs):
        pattern = f"GRAPH {graph} {{ ?s ?p ?o }}" if graph else "?s ?p ?o"
        steps.append(f"INSERT {{ GRAPH <{UPKEEP}> {{ ?s ?p ?o }} }} WHERE {{ {pattern} }}")
    return " ; ".join(steps)


def _operations(update: ReadQuery) -> list[tuple[int, list[Token]]]:
    """Each operation of update: where its first keyword stands, and its tokens from there."""
    found: list[tuple[int, list[Token]]] = []
    current: list[Token] = []
    depth, skip = 0, 0
    for token in update.tokens:
        if _is(token, "{"):
            depth += 1
        elif _is(token, "}"):
            depth -= 1
        if depth == 0 and _is(token, ";"):
            current = []
            continue
        if not current and depth == 0:
            # A prologue (BASE, PREFIX) before the operation stays where it is.
            if skip:
                skip -= 1
                continue
            if token.is_keyword("BASE"):
                skip = 1
                continue
            if token.is_keyword("PREFIX"):
                skip = 2
                continue
            if token.kind != "word" or token.text.upper() not in _OPERATIONS:
                raise Unknown(f"an operation starting with {token.text}")
            found.append((token.start, current))
        current.append(token)
    return found


def copied(update: ReadQuery) -> str | None:
    """The update with, before each operation, one that copies the triples it may change into
    the upkeep graph (in the same transaction); None when they cannot be named ahead."""
    text = update.text
    try:
        operations = _operations(update)
        copies = [(start, _Operation(text, found).copy()) for start, found in operations]
    except (Unknown, IndexError):
        return None
    for start, copy in reversed(copies):
        if copy:
            text = f"{text[:start]}{copy} ;\n{text[start:]}"
    return text


def change(store: ox.Store, kept: KeptUnion) -> tuple[Change, list[ox.Triple]]:
    """What the union must gain and lose for the triples of the upkeep graph, and those
    triples: a triple belongs to it when a contributed graph holds it and no base graph."""
    base = {ox.NamedNode(g) for g in kept.base}
    named = {q.triple for q in store.quads_for_pattern(None, None, None, UPKEEP_NODE)}
    joining, leaving = [], []
    for triple in named:
        graphs = {q.graph_name for q in
                  store.quads_for_pattern(triple.subject, triple.predicate, triple.object)}
        contributed = any(isinstance(g, ox.NamedNode) and g != UPKEEP_NODE and g not in base
                          for g in graphs)
        belongs = contributed and not graphs & base
        present = ox.DefaultGraph() in graphs
        if belongs and not present:
            joining.append(triple)
        elif present and not belongs:
            leaving.append(triple)
    return Change(joining, leaving), list(named)


def refuse_named(query: ReadQuery, graphs: Sequence[str] = ()) -> None:
    """Refuse a query or update that names the upkeep graph (its IRIs are resolved), in its
    text or among the graphs of its dataset."""
    if UPKEEP in graphs or any(t.kind == "iri" and t.text == f"<{UPKEEP}>"
                               for t in query.tokens):
        raise HiddenGraph(f"<{UPKEEP}> is the store's own and cannot be read or written")
