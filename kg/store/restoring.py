"""A restore applied a piece at a time, all or nothing.

A backup's quads are first staged in hidden graphs, a piece per transaction: a failure there
removes them, and a store reopened after a crash drops them with the other merged graphs, so
nothing a client sees has changed. Once every quad is staged, a note in the store's folder
names the staged graphs; the written graphs are then dropped, the note says so, and the
staged quads are moved in their place a piece at a time; then the note is removed. A restore
cut off past the note is finished when the store is next opened (or before the next
restore), from the step the note names. Memory holds a piece, never the backup.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

import pyoxigraph as ox

from kg.store.hidden_graphs import RESTORING, is_hidden

NOTE = "RESTORING"
# Quads written in one transaction: what a restore holds at once.
PIECE = 10_000
# Quads written between two flushes of the store's memory to its files: RocksDB keeps
# what was written in memory until then (with the log on disk), which grows with a restore.
FLUSH_EVERY = 20_000


def _pieces(quads: Iterable[ox.Quad], store: ox.Store) -> Iterator[list[ox.Quad]]:
    """quads a piece at a time; the store is flushed every FLUSH_EVERY of them."""
    found = iter(quads)
    written = 0
    while piece := list(islice(found, PIECE)):
        yield piece
        written += len(piece)
        if written >= FLUSH_EVERY:
            store.flush()
            written = 0


def relabelled(term: object, fresh: dict[ox.BlankNode, ox.BlankNode]) -> object:
    """term with its blank nodes replaced by fresh ones, at any depth of triple terms."""
    if isinstance(term, ox.BlankNode):
        return fresh.setdefault(term, ox.BlankNode())
    if not isinstance(term, ox.Triple):
        return term
    # Each triple with its parts rebuilt so far, innermost last: a loop, where a recursion
    # would overflow on a deep triple term.
    stack: list[tuple[ox.Triple, list[object]]] = [(term, [])]
    while True:
        triple, parts = stack[-1]
        if len(parts) == 3:
            stack.pop()
            rebuilt = ox.Triple(*parts)  # type: ignore[arg-type]
            if not stack:
                return rebuilt
            stack[-1][1].append(rebuilt)
            continue
        part = (triple.subject, triple.predicate, triple.object)[len(parts)]
        if isinstance(part, ox.Triple):
            stack.append((part, []))
        elif isinstance(part, ox.BlankNode):
            parts.append(fresh.setdefault(part, ox.BlankNode()))
        else:
            parts.append(part)


def _staged(quad: ox.Quad, graph: ox.NamedNode,
            fresh: dict[ox.BlankNode, ox.BlankNode]) -> ox.Quad:
    subject, predicate, object_ = (relabelled(t, fresh) for t in quad.triple)
    return ox.Quad(subject, predicate, object_, graph)  # type: ignore[arg-type]


def stage(store: ox.Store, quads: Iterable[ox.Quad]) -> dict[str, str]:
    """Copy quads to hidden graphs, one per graph they name; return graph -> staged graph.
    Blank nodes are new ones, as an INSERT DATA makes. On failure nothing is left."""
    tag = f"{RESTORING}{uuid.uuid4().hex}:"
    staged: dict[str, str] = {}
    fresh: dict[ox.BlankNode, ox.BlankNode] = {}

    def staging(graph: object) -> ox.NamedNode:
        assert isinstance(graph, ox.NamedNode)
        name = staged.setdefault(graph.value, f"{tag}{len(staged)}")
        return ox.NamedNode(name)

    try:
        for piece in _pieces(quads, store):
            store.extend([_staged(q, staging(q.graph_name), fresh) for q in piece])
    except BaseException:
        remove(store, staged.values())
        raise
    return staged


def remove(store: ox.Store, staged: Iterable[str]) -> None:
    """Remove staged graphs (what cannot be now goes when the store is next opened)."""
    for name in staged:
        with contextlib.suppress(OSError):
            store.remove_graph(ox.NamedNode(name))


def noted(folder: Path, staged: dict[str, str], moving: bool = False) -> None:
    """Say, durably, that the restore staged as staged is to be finished (moving: the
    written graphs are dropped, the staged quads are being moved in)."""
    temporary = folder / f".{NOTE}.{os.getpid()}"
    with temporary.open("w", encoding="utf-8") as file:
        json.dump({"staged": staged, "moving": moving}, file)
        file.flush()
        os.fsync(file.fileno())
    temporary.replace(folder / NOTE)


def left(folder: Path) -> tuple[dict[str, str], bool] | None:
    """The staged graphs of a restore cut off after its note, and whether they were being
    moved in, if any."""
    try:
        found = json.loads((folder / NOTE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    staged = {str(graph): str(name) for graph, name in found["staged"].items()}
    return staged, bool(found["moving"])


def drop_written(store: ox.Store, protected: frozenset[str]) -> None:
    """Drop every graph a client wrote (not the built graphs, nor the store's own)."""
    for written in store.named_graphs():
        if isinstance(written, ox.NamedNode) and written.value not in protected \
                and not is_hidden(written.value):
            store.remove_graph(written)


def move(store: ox.Store, staged: dict[str, str]) -> None:
    """Move each staged graph's quads to its own graph, a piece at a time: each piece is
    added, then removed from the staged graph, so that a move cut off goes on from what is
    left (adding a quad twice adds it once). Each piece is read by a new look-up: a reader
    left open would keep in memory all that was written since it began."""
    written = 0
    for graph, name in staged.items():
        target, node = ox.NamedNode(graph), ox.NamedNode(name)
        while piece := list(islice(store.quads_for_pattern(None, None, None, node), PIECE)):
            store.extend([ox.Quad(q.subject, q.predicate, q.object, target) for q in piece])
            ground = [q for q in piece if _ground(q)]
            if ground:
                # One transaction for the piece where SPARQL can name its quads.
                store.update("DELETE DATA { " + " ".join(
                    f"GRAPH {node} {{ {q.subject} {q.predicate} {q.object} }}"
                    for q in ground) + " }")
            for quad in piece:
                if not _ground(quad):
                    store.remove(quad)
            written += len(piece)
            if written >= FLUSH_EVERY:
                store.flush()
                written = 0


def _ground(quad: ox.Quad) -> bool:
    """Tell whether DELETE DATA can name quad (no blank node, no triple term)."""
    return isinstance(quad.subject, ox.NamedNode) \
        and isinstance(quad.object, ox.NamedNode | ox.Literal)


def done(folder: Path) -> None:
    (folder / NOTE).unlink(missing_ok=True)
