"""Opening a writable store reads whether its union is a set from the note its writes keep,
and distrusts a note that is stale (a write cut short, graphs changed behind its back)."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox

from kg.store import union_note
from kg.store.oxigraph_backend import OxigraphBackend

G1, G2 = "urn:g1", "urn:g2"
S, P = ox.NamedNode("urn:s"), ox.NamedNode("urn:p")


def triple(value: str) -> ox.Triple:
    return ox.Triple(S, P, ox.Literal(value))


def reopened(folder: Path) -> OxigraphBackend:
    return OxigraphBackend.writable(folder)


def noted(folder: Path) -> str:
    return str(json.loads((folder / union_note.NOTE).read_text(encoding="utf-8"))["union"])


def union_count(backend: OxigraphBackend) -> int:
    rows = backend.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    return int(str(rows[0]["n"]))


def test_writes_keep_the_note_and_opening_trusts_it(tmp_path: Path) -> None:
    backend = reopened(tmp_path)
    backend.write_graph(G1, [triple("1"), triple("2")], replace=False)
    assert noted(tmp_path) == "set"
    backend.write_graph(G2, [triple("1")], replace=False)  # held by G1 too
    assert noted(tmp_path) == "multiset"
    assert union_count(backend) == 2
    backend.write_graph(G2, [triple("3")], replace=True)  # the shared triple is gone
    assert noted(tmp_path) == "set"
    del backend
    # A note that says otherwise than the data, for these very graphs, is believed: the
    # store is opened without reading its quads.
    folder_store = ox.Store(str(tmp_path))
    union_note.settle(tmp_path, folder_store, is_set=False)
    del folder_store
    assert reopened(tmp_path)._disjoint is False


def test_a_note_left_changing_or_stale_is_found_again(tmp_path: Path) -> None:
    backend = reopened(tmp_path)
    backend.write_graph(G1, [triple("1")], replace=False)
    backend.write_graph(G2, [triple("1")], replace=False)
    assert noted(tmp_path) == "multiset"
    union_note.changing(tmp_path)  # as a process killed between its commit and its note
    del backend
    backend = reopened(tmp_path)
    assert backend._disjoint is False and union_count(backend) == 1
    assert noted(tmp_path) == "multiset"
    # A graph dropped by something that does not keep the note: the note no longer matches.
    backend.store.remove_graph(ox.NamedNode(G2))
    del backend
    backend = reopened(tmp_path)
    assert backend._disjoint is True and noted(tmp_path) == "set"


def test_the_version_comes_from_the_note_new_at_every_write(tmp_path: Path) -> None:
    backend = reopened(tmp_path)
    backend.write_graph(G1, [triple("1")], replace=False)
    first = backend.version()
    del backend
    backend = reopened(tmp_path)
    assert backend.version() == first  # the same state, named without counting quads
    backend.write_graph(G1, [triple("2")], replace=False)
    assert backend.version() != first
