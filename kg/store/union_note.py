"""Whether a store's union default graph is a set, noted beside the store as it changes.

Finding out reads every quad (is some triple held by two graphs?), which takes minutes on a
large store; opening a store must not. So whoever writes the store keeps the answer in a file
in the store's folder: settled after each write, marked as changing before it, so that a
write cut short (the process killed between the store's commit and the note) leaves a note
that is not trusted. The note also names the store's graphs: a store changed by anything that
does not keep the note (graphs added or removed) no longer matches it. A note that is missing,
changing or stale is not trusted, and the answer is found again by reading the store.

A store whose union is kept as a set inside it (kg.store.union_graph) notes its base graphs,
also while it changes: they never change after the load, and a store cut short mid-write is
repaired from them and its contributed graphs without reading the built data.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.store.hidden_graphs import HIDDEN, is_hidden

NOTE = "UNION"
SET, MULTISET = "set", "multiset"


# Hidden graphs (kg.store.hidden_graphs) repeat triples of the others: they never count.
_SHOWN = f'FILTER(!STRSTARTS(STR({{}}), "{HIDDEN}"))'


def overlaps(store: ox.Store, graphs: tuple[str, ...] | None = None) -> bool:
    """Tell whether some triple is in two of graphs (None: any graphs, default included)."""
    if graphs is None:
        found = store.query(
            "ASK { { GRAPH ?a { ?s ?p ?o } GRAPH ?b { ?s ?p ?o } FILTER(?a != ?b) "
            f"{_SHOWN.format('?a')} {_SHOWN.format('?b')} }} "
            f"UNION {{ ?s ?p ?o GRAPH ?b {{ ?s ?p ?o }} {_SHOWN.format('?b')} }} }}")
    else:
        names = " ".join(str(ox.NamedNode(g)) for g in graphs)
        found = store.query(
            f"ASK {{ VALUES ?a {{ {names} }} VALUES ?b {{ {names} }} "
            "GRAPH ?a { ?s ?p ?o } GRAPH ?b { ?s ?p ?o } FILTER(?a != ?b) }")
    return bool(found)


def held_elsewhere(store: ox.Store, triples: list[ox.Triple], graph: str) -> bool:
    """Tell whether one of triples is in a graph other than graph (one look-up each)."""
    name = ox.NamedNode(graph)
    for triple in triples:
        for quad in store.quads_for_pattern(triple.subject, triple.predicate, triple.object):
            if quad.graph_name != name:
                return True
    return False


def graph_names(store: ox.Store) -> frozenset[str]:
    """The store's graph names, read from its graph list, not from its quads (which can still
    take a while in a store with many recent writes: a writer keeps them up to date itself)."""
    return frozenset(str(g) for g in store.named_graphs()
                     if not (isinstance(g, ox.NamedNode) and is_hidden(g.value)))


def graphs_key(names: frozenset[str]) -> str:
    """A digest of graph names."""
    digest = hashlib.sha256()
    for name in sorted(names):
        digest.update(name.encode() + b"\n")
    return digest.hexdigest()[:32]


def _write(folder: Path, content: dict[str, object], durable: bool) -> None:
    """Replace the note in one step (written aside, renamed over); durable: synced first."""
    path = folder / NOTE
    staged = folder / f".{NOTE}.{os.getpid()}"
    with staged.open("w", encoding="utf-8") as out:
        out.write(json.dumps(content) + "\n")
        if durable:
            out.flush()
            os.fsync(out.fileno())
    staged.replace(path)


@dataclass(frozen=True)
class Note:
    """What the note says: whether the union is a set, and a name for the store's state
    (new at every write: the store's version, with no count of its quads)."""

    is_set: bool
    generation: str
    kept: tuple[str, ...] | None = None  # the base graphs, when the union is kept
    # For a kept union: whether no triple is in two contributed graphs or in one and a base
    # graph (None: not known), so that an update's USING plan reads no quad to tell.
    apart: bool | None = None


def _noted(folder: Path) -> dict[str, object]:
    try:
        noted = json.loads((folder / NOTE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return noted if isinstance(noted, dict) else {}


def kept_base(folder: Path) -> tuple[str, ...] | None:
    """The base graphs of a kept union, as noted whether or not the note is trusted."""
    kept = _noted(folder).get("kept")
    if not isinstance(kept, list) or not all(isinstance(g, str) for g in kept):
        return None
    return tuple(kept)


def follows_upkeep(folder: Path) -> bool:
    """Tell whether a write left changing named what it may change in the upkeep graph."""
    noted = _noted(folder)
    return noted.get("union") == "changing" and noted.get("upkeep") is True


def read(folder: Path, store: ox.Store, names: frozenset[str] | None = None) -> Note | None:
    """Return the note, or None when it is not to be trusted (names: the store's graphs)."""
    noted = _noted(folder)
    try:
        union, key, generation = noted["union"], noted["graphs"], str(noted["generation"])
    except KeyError:
        return None
    names = graph_names(store) if names is None else names
    if union not in {SET, MULTISET} or key != graphs_key(names) or not generation:
        return None
    apart = noted.get("apart")
    return Note(union == SET, generation, kept_base(folder),
                apart if isinstance(apart, bool) else None)


def changing(folder: Path, kept: tuple[str, ...] | None = None, upkeep: bool = False) -> None:
    """Mark the note as not to be trusted until the write about to start is settled.

    upkeep: the write names every triple it may change in the upkeep graph (or keeps the
    union in its own transaction), so that a store cut off mid-write is repaired from that
    graph alone (kg.store.union_upkeep).
    """
    try:
        # On disk before the write commits, power cut or not.
        _write(folder, {"union": "changing", "graphs": "", "generation": "",
                        **_kept(kept), **({"upkeep": True} if upkeep else {})}, durable=True)
    except OSError:
        # No room for it (a full disk): no note is as safe, and removing takes no room.
        (folder / NOTE).unlink(missing_ok=True)


def _kept(kept: tuple[str, ...] | None) -> dict[str, list[str]]:
    return {} if kept is None else {"kept": list(kept)}


def settle(folder: Path, store: ox.Store, is_set: bool,
           kept: tuple[str, ...] | None = None, names: frozenset[str] | None = None,
           apart: bool | None = None) -> Note | None:
    """Note whether the union is a set, for the store as it is now (names: its graphs, when
    known; apart: see Note), and return the note (None
    if the disk had no room: the note stays marked as changing, and is found again when the
    store is opened)."""
    note = Note(is_set, uuid.uuid4().hex, kept, apart)
    key = graphs_key(graph_names(store) if names is None else names)
    try:
        # Not synced: lost in a power cut, it leaves the note marked as changing, which is safe.
        _write(folder, {"union": SET if is_set else MULTISET, "graphs": key,
                        "generation": note.generation, **_kept(kept),
                        **({} if apart is None else {"apart": apart})}, durable=False)
    except OSError:
        (folder / f".{NOTE}.{os.getpid()}").unlink(missing_ok=True)
        return None
    return note
