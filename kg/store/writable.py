"""The writable on-disk store: the build's graphs, plus the graphs clients write.

The build owns the graphs of dist/dmkg.nq (`ontology`, `facts`, `inferred`). Clients write other
named graphs. When dist/ changes, a new store is loaded from it beside the live one, the
clients' graphs are copied over, and the new store is swapped in: a rebuild never loses a
written graph, and a crash at any moment leaves either the old store or the new one.

Oxigraph commits every update to RocksDB's write-ahead log before it returns, so an
acknowledged write survives the process being killed.
"""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.folders import finish_interrupted_swap, swap_in
from kg.store import union_graph, union_note
from kg.store.embedded import _locked, file_digest
from kg.store.hidden_graphs import is_hidden
from kg.store.oxigraph_backend import rdf_format_of

log = logging.getLogger(__name__)

LIVE = "live"
PREVIOUS = "previous"
MARKER = "SOURCE.json"


@dataclass(frozen=True)
class StoreOrigin:
    """What the build put in the store: the digest of its input and the graphs it owns."""

    digest: str
    protected: tuple[str, ...]

    def dump(self) -> str:
        return json.dumps({"digest": self.digest, "protected": list(self.protected)}) + "\n"

    @classmethod
    def read(cls, folder: Path) -> StoreOrigin | None:
        try:
            data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
            return cls(str(data["digest"]), tuple(data["protected"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None


def _graphs_of(store: ox.Store) -> set[str]:
    return {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)}


def _fill(staging: Path, files: Sequence[tuple[Path, str | None]]) -> ox.Store:
    store = ox.Store(str(staging))
    for path, graph in files:
        fmt = rdf_format_of(path)
        if fmt in {ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG}:
            store.bulk_load(path=str(path), format=fmt)
        else:
            target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
            store.bulk_load(path=str(path), format=fmt, to_graph=target)
    return store


def _digest(files: Sequence[tuple[Path, str | None]]) -> str:
    return ",".join(f"{file_digest(path)}={graph or ''}" for path, graph in files)


def prepare_writable_store(root: Path, files: Sequence[tuple[Path, str | None]],
                           built: bool) -> tuple[Path, StoreOrigin]:
    """Return the live store folder, loading or refreshing it from files when they changed.

    built: the files are the build's output, whose graphs the build owns (and a change of
    them replaces those graphs); otherwise the files only seed a new store.
    """
    with _locked(root):
        live, previous = root / LIVE, root / PREVIOUS
        finish_interrupted_swap(live, previous)
        current = StoreOrigin.read(live)
        if current is not None and not built:
            return live, current
        digest = _digest(files)
        if current is not None and current.digest == digest:
            return live, current
        with swap_in(live, previous) as staging:
            store = _fill(staging, files)
            protected = tuple(sorted(_graphs_of(store))) if built else ()
            if current is not None:
                old = ox.Store(str(live))
                kept = [g for g in _graphs_of(old)  # not the old store's own graphs
                        if g not in current.protected and g not in protected
                        and not is_hidden(g)]
                for graph in kept:
                    store.bulk_extend(old.quads_for_pattern(None, None, None,
                                                            ox.NamedNode(graph)))
                del old
            if built and next(iter(store.quads_for_pattern(None, None, None,
                                                           ox.DefaultGraph())), None):
                raise ValueError(f"{files[0][0]} puts triples in the default graph: the "
                                 "store keeps the union there, the build writes named graphs")
            if built:
                # The union is kept as a set inside the store; the load pays for checking
                # the built graphs once, and for the contributed graphs carried over.
                union = union_graph.keep(store, protected)
                union_note.settle(staging, store, True, union.base)
            else:
                # The load pays for the check once; opening the store then reads the note.
                union_note.settle(staging, store, not union_note.overlaps(store))
            store.flush()
            # RocksDB closes its files only when the last reference goes: before any rename.
            del store
            gc.collect()
            source = StoreOrigin(digest, protected)
            (staging / MARKER).write_text(source.dump(), encoding="utf-8")
        log.info("writable store swapped in at %s, loaded from %s (%s)%s", live,
                 ", ".join(str(path) for path, _ in files), digest[:16],
                 f"; {len(kept)} contributed graphs carried over" if current else "")
    return live, source
