"""The WHERE of an update with several USING graphs, read as a set of triples.

Oxigraph 0.5 merges an update's USING graphs into its default graph as a multiset: a triple
held by two of them matches once per graph, and a graph named twice counts twice. So an
operation whose USING graphs overlap is given fewer USING graphs instead: a core of them
that share no triple, read where they lie, and a hidden graph made in the same transaction
just before it and dropped just after, that holds, once, each triple of the others that no
core graph holds. Copying costs each triple copied (about 0.1 ms in a transaction), so the
core takes every graph that overlaps none of it, and graphs that overlap none are copied
never. A graph named twice is named once.

Most updates need none of it: the triples an operation deletes and inserts are a set made
from its solutions, and a solution met twice makes the same triples again. Only an operation
whose solutions are counted (a subquery: its aggregates, LIMIT, OFFSET), or that makes a
new value for each (a blank node in its template, BNODE(), RAND(), UUID(), STRUUID()), can
tell a multiset from a set: the others read their USING graphs where they lie, with no look
at the data, whatever the graphs share.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from kg.sparql_reading import ReadQuery, Token
from kg.store.hidden_graphs import MERGED_USING

# The words that open an update operation (after its prologue).
OPERATIONS = ("INSERT", "DELETE", "WITH", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE",
              "COPY")
# Words in an operation under which each of its solutions counts (see above).
COUNTING = frozenset({"SELECT", "BNODE", "RAND", "UUID", "STRUUID"})
# Given an operation's distinct USING graphs: None when they share no triple, else the core
# (graphs that share none, read in place) and the rest (merged into the hidden graph).
Plan = Callable[[tuple[str, ...]], tuple[tuple[str, ...], tuple[str, ...]] | None]


@dataclass
class _Operation:
    """Where an operation stands in the text, and its USING (default graph) clauses."""

    start: int  # offset of its first token after its prologue (BASE, PREFIX)
    end: int  # offset of the `;` that ends it, or of the end of the text
    clauses: list[tuple[int, int, str]]  # (start, end, graph) of each USING <graph>
    counts: bool = False  # its solutions count: a multiset would read differently
    templates: bool = True  # still reading its templates (before its USING or WHERE)


def _operations(update: ReadQuery) -> list[_Operation]:
    found = update.tokens
    operations: list[_Operation] = []
    current: _Operation | None = None
    depth = 0
    for index, token in enumerate(found):
        if current is not None:
            _note_counting(current, token, depth)
        if token.kind == "punct" and token.text in "{}":
            depth += 1 if token.text == "{" else -1
            continue
        if depth:
            continue
        if token.kind == "punct" and token.text == ";":
            if current is not None:
                current.end = token.start
                operations.append(current)
            current = None
            continue
        if current is None:
            if not any(token.is_keyword(word) for word in OPERATIONS):
                continue  # the prologue: Oxigraph reads none after a `;`, so it stays first
            current = _Operation(token.start, len(update.text), [])
        if token.is_keyword("USING") and index + 1 < len(found) \
                and found[index + 1].kind == "iri":
            iri = found[index + 1]
            current.clauses.append((token.start, iri.end, iri.text[1:-1]))
    if current is not None:
        operations.append(current)
    return operations


def _note_counting(operation: _Operation, token: Token, depth: int) -> None:
    """Note whether token makes the solutions of operation count (see COUNTING)."""
    if not depth and (token.is_keyword("USING") or token.is_keyword("WHERE")):
        operation.templates = False
    if token.kind == "word" and token.text.upper() in COUNTING:
        operation.counts = True
    elif operation.templates and (token.kind == "bnode" or (
            token.kind == "punct" and token.text in ("[", "("))):
        operation.counts = True  # a template that makes a blank node for each solution


def overlapping(store: ox.Store, graphs: Iterable[str],
                among: Iterable[str]) -> set[tuple[str, str]]:
    """The pairs of graphs (one of graphs, another of among) that share a triple."""
    names = [" ".join(str(ox.NamedNode(g)) for g in found) for found in (graphs, among)]
    pairs = store.query(
        f"SELECT DISTINCT ?a ?b WHERE {{ VALUES ?a {{ {names[0]} }} GRAPH ?a {{ ?s ?p ?o }} "
        f"VALUES ?b {{ {names[1]} }} GRAPH ?b {{ ?s ?p ?o }} FILTER(?a != ?b) }}")
    assert isinstance(pairs, ox.QuerySolutions)
    return {(row["a"].value, row["b"].value) for row in pairs}


def split(store: ox.Store, graphs: tuple[str, ...],
          disjoint: frozenset[str] = frozenset()) -> tuple[tuple[str, ...],
                                                             tuple[str, ...]] | None:
    """A core of graphs that share no triple, and the rest; None when none overlaps another.

    disjoint: graphs known to share no triple with one another (a kept union's base): they
    are the core's first graphs, and their pairs are not looked for.
    """
    candidates = [g for g in graphs if g not in disjoint]
    if not candidates or len(graphs) < 2:
        return None
    partners: defaultdict[str, set[str]] = defaultdict(set)
    for a, b in overlapping(store, candidates, graphs):
        partners[a].add(b)
        partners[b].add(a)
    if not partners:
        return None
    core = [g for g in graphs if g in disjoint]
    for graph in sorted(candidates, key=lambda g: len(partners[g])):
        if not partners[graph] & set(core):
            core.append(graph)
    return (tuple(g for g in graphs if g in core), tuple(g for g in graphs if g not in core))


def _merging(graph: str, core: tuple[str, ...], rest: tuple[str, ...]) -> str:
    """An operation filling graph with the triples of rest that no core graph holds."""
    held = ""
    if core:
        held = (f" FILTER NOT EXISTS {{ VALUES ?core {{ {' '.join(f'<{g}>' for g in core)} }} "
                "GRAPH ?core { ?s ?p ?o } }")
    return (f"INSERT {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} WHERE {{ VALUES ?merged {{ "
            f"{' '.join(f'<{g}>' for g in rest)} }} GRAPH ?merged {{ ?s ?p ?o }}{held} }}")


def with_merged_using(update: ReadQuery, plan: Plan) -> str:
    """Return the text of update whose operations read their USING graphs as a set.

    The text returned is new and must be read (guarded) as a whole again.
    """
    text = update.text
    edits: list[tuple[int, int, str]] = []  # (start, end, written), applied from the end
    for operation in _operations(update):
        graphs = tuple(dict.fromkeys(g for _, _, g in operation.clauses))
        if not graphs:
            continue
        split = plan(graphs) if len(graphs) > 1 and operation.counts else None
        if split is None and len(graphs) == len(operation.clauses):
            continue
        if split is None:
            kept = graphs
        else:
            core, rest = split
            merged = f"{MERGED_USING}{uuid.uuid4().hex}"
            kept = (*core, merged)
            edits.append((operation.start, operation.start, f"{_merging(merged, core, rest)} ;\n"))
            edits.append((operation.end, operation.end, f" ;\nDROP SILENT GRAPH <{merged}>\n"))
        first, *others = operation.clauses
        edits.append((first[0], first[1], " ".join(f"USING <{g}>" for g in kept)))
        edits.extend((start, end, "") for start, end, _ in others)
    for start, end, written in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        text = f"{text[:start]}{written}{text[end:]}"
    return text
