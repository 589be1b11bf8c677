"""Writes reach the search index in place: the individuals they change, indexed again."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox

from kg.catalogue import Catalogue
from kg.search import build
from kg.store.oxigraph_backend import OxigraphBackend

DMR = "https://w3id.org/dmkg/id/"
BUILT = "https://w3id.org/dmkg/graph/facts"
WRITTEN = "urn:dmkg:test:contributed"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
ALT = "http://www.w3.org/2004/02/skos/core#altLabel"
KIND = "https://w3id.org/dmkg/ontology#Substance"


def _store(path: Path) -> OxigraphBackend:
    """A store with two substances in a graph of the build, and a written graph."""
    seed = ox.Store(str(path))
    for slug, name in (("ketamine", "ketamine"), ("cocaine", "cocaine")):
        subject = ox.NamedNode(DMR + "substance/" + slug)
        for triple in ((subject, ox.NamedNode(LABEL), ox.Literal(name, language="en")),
                       (subject, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                        ox.NamedNode(KIND))):
            seed.add(ox.Quad(*triple, ox.NamedNode(BUILT)))
    seed.flush()
    del seed
    return OxigraphBackend.writable(path, (BUILT,))


def _insert(backend: OxigraphBackend, slug: str, name: str) -> None:
    backend.update(f'INSERT DATA {{ GRAPH <{WRITTEN}> {{ <{DMR}substance/{slug}> <{ALT}> '
                   f'"{name}"@fr }} }}')


class Unread(OxigraphBackend):
    def select_values(self, sparql: str) -> list[tuple[str | None, ...]]:
        raise AssertionError("the store was read")

    def default_quads(self, predicate: str) -> Iterator[ox.Quad]:
        raise AssertionError("the store was read")


def test_a_write_is_indexed_in_place_and_kept_for_the_next_start(tmp_path: Path) -> None:
    backend = _store(tmp_path / "store")
    folder = build.build_into(tmp_path, backend.version(), backend)
    catalogue = Catalogue.open(folder)
    assert catalogue.find("zorglubine") == (0, [])
    _insert(backend, "ketamine", "zorglubine")
    catalogue.stale()
    # A start while the write is not yet in the index builds it again.
    assert build.find(tmp_path, backend.version()) is None
    assert catalogue.update(backend) == 1
    assert [h.entity.id for h in catalogue.search("zorglubine")] == ["substance/ketamine"]
    assert [h.entity.id for h in catalogue.search("cocaine")] == ["substance/cocaine"]
    # Opened again on the store as written, by its key: the store is not read.
    reopened = Catalogue.for_store(Unread(backend.store), tmp_path, backend.version())
    assert reopened.folder == folder
    assert [h.entity.id for h in reopened.search("zorglubine")] == ["substance/ketamine"]


def test_a_dropped_graph_takes_its_names_out_of_the_index(tmp_path: Path) -> None:
    backend = _store(tmp_path / "store")
    catalogue = Catalogue.open(build.build_into(tmp_path, backend.version(), backend))
    _insert(backend, "cocaine", "zorglubine")
    _insert(backend, "ketamine", "blurbine")
    assert catalogue.update(backend) == 2
    assert catalogue.find("zorglubine")[0] == catalogue.find("blurbine")[0] == 1
    backend.drop_graph(WRITTEN)
    assert catalogue.update(backend) == 2
    assert catalogue.find("zorglubine") == catalogue.find("blurbine") == (0, [])
    # The names of the build stay, with their places in the ranking.
    assert [h.entity.id for h in catalogue.search("c")] == ["substance/cocaine"]
    assert catalogue.size == 2


def _queried(backend: OxigraphBackend) -> dict[str, build.Record]:
    found: dict[str, build.Record] = defaultdict(build.Record)
    build._read_rows(backend, found, None)
    return dict(found)


def test_a_triple_in_two_graphs_is_read_once(tmp_path: Path) -> None:
    # Written (the union kept in the store), then opened on its own (a merged copy).
    backend = _store(tmp_path / "store")
    _insert(backend, "ketamine", "ketamina")
    backend.update(f'INSERT DATA {{ GRAPH <{WRITTEN}> {{ <{DMR}substance/cocaine> <{LABEL}> '
                   f'"cocaine"@en . <{DMR}substance/cocaine> <{ALT}> "coke"@en }} }}')
    backend.update(f'INSERT DATA {{ GRAPH <{BUILT}> {{ <{DMR}substance/cocaine> <{ALT}> '
                   f'"coke"@en }} }}')
    copy = OxigraphBackend.in_memory()
    copy.store.extend(backend.store.quads_for_pattern(None, None, None))
    for opened in (backend, copy):
        records = build.read(opened)[0]
        for record in records.values():
            record.graphs.clear()  # read by a query either way
        assert records == _queried(opened)
        assert records[f"{DMR}substance/cocaine"].alt_labels == [("en", "coke")]
        assert records[f"{DMR}substance/ketamine"].alt_labels == [("fr", "ketamina")]


def test_a_misspelling_is_corrected_to_a_name_written_after_it_was_first_searched(
        tmp_path: Path) -> None:
    backend = _store(tmp_path / "store")
    catalogue = Catalogue.open(build.build_into(tmp_path, backend.version(), backend))
    for _ in range(2):  # searched again: the same answer
        before = catalogue.query("zorglubinx")
        assert (before.total, before.did_you_mean) == (0, None)
    _insert(backend, "cocaine", "zorglubine")
    catalogue.stale()
    catalogue.update(backend)
    # What was found for the misspelling before the write is not offered after it.
    after = catalogue.query("zorglubinx")
    assert after.did_you_mean == "zorglubine"
    assert [h.entity.id for h in after.hits] == ["substance/cocaine"]
