"""The search index build on a loaded store on disk: a second process reads it alike."""

from __future__ import annotations

import gc
from pathlib import Path

import pyoxigraph as ox
import pytest

from bench.synthetic import DMO, DMR, write
from kg.catalogue import Catalogue
from kg.search import build
from kg.store.factory import StoreSettings, open_backend
from kg.store.oxigraph_backend import OxigraphBackend

CLAIM = f"<{DMR}claim/synthetic-3>"


def _loaded(folder: Path, data: Path) -> OxigraphBackend:
    """The store loaded from data, then opened read-only as the service opens it."""
    store = ox.Store(str(folder))
    store.bulk_load(path=str(data), format=ox.RdfFormat.N_QUADS)
    store.flush()
    del store
    gc.collect()  # RocksDB lets go of the folder's lock
    return OxigraphBackend.on_disk(folder, "test")


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> OxigraphBackend:
    """20k synthetic triples, one quote of a claim held by two graphs as well (read once)."""
    folder = tmp_path_factory.mktemp("search-build")
    data = folder / "data.nq"
    write(20_000, data, seed=5)
    with data.open("a", encoding="utf-8") as stream:
        for graph in ("a", "b"):
            stream.write(f'{CLAIM} <{DMO}quote> "twice over"@en <https://example.org/{graph}> .\n')
    return _loaded(folder / "store", data)


def test_a_large_store_is_read_by_two_processes_as_by_one(
        loaded: OxigraphBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build, "APART", 1 << 62)
    with build._helper(loaded) as helper:
        assert helper is None
    alone, terms = build.read(loaded)
    monkeypatch.setattr(build, "APART", 0)
    with build._helper(loaded) as helper:
        assert helper is not None
    apart, terms_apart = build.read(loaded)
    assert apart == alone and terms_apart == terms  # texts in the same order too
    assert list(apart) == list(alone)
    texts = apart[f"{DMR}claim/synthetic-3"].texts
    assert texts.count("twice over") == 1 and len(texts) == 4
    assert all(record.texts for iri, record in apart.items() if "/claim/" in iri)
    assert all(record.facets["source"] for iri, record in apart.items() if "/claim/" in iri)


def test_an_index_built_by_two_processes_answers_as_one_built_by_one(
        loaded: OxigraphBackend, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    answers = []
    for apart, folder in ((1 << 62, tmp_path / "alone"), (0, tmp_path / "apart")):
        monkeypatch.setattr(build, "APART", apart)
        catalogue = Catalogue.open(build.build_into(folder, "key", loaded))
        answers.append([(found.total, [(h.entity.iri, h.tier, h.name, h.snippet)
                                       for h in found.hits], found.facets.get("confidence"))
                        for found in (catalogue.query(text, limit=20, facets=True)
                                      for text in ("finding", "ka", "tomika", "twice", "kat"))])
    assert answers[0] == answers[1]
    assert answers[0][3][0] == 1  # the quote in two graphs
    assert all(total for total, _, _ in answers[0])


def test_a_helper_that_cannot_open_the_store_leaves_the_reading_to_this_process(
        loaded: OxigraphBackend, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    alone = build.read(loaded)
    monkeypatch.setattr(build, "APART", 0)
    monkeypatch.setattr(loaded, "path", tmp_path / "nothing")  # no store there
    (tmp_path / "nothing").mkdir()
    (tmp_path / "nothing" / "CURRENT").write_text("not a store\n")
    with build._helper(loaded) as helper:
        assert helper is not None
    assert build.read(loaded) == alone


@pytest.fixture()
def served(tmp_path: Path) -> tuple[OxigraphBackend, Path]:
    """A store loaded from HOME/dist/dmkg.nq as the service opens it, and that file."""
    data = tmp_path / "dist" / "dmkg.nq"
    data.parent.mkdir()
    write(20_000, data, seed=5)
    with data.open("a", encoding="utf-8") as stream:
        for graph in ("a", "b"):
            stream.write(f'{CLAIM} <{DMO}quote> "twice over"@en <https://example.org/{graph}> .\n')
        stream.write(f'{CLAIM} <{DMO}summary> "twice over"@en <https://example.org/a> .\n')
    backend = open_backend(StoreSettings("oxigraph", tmp_path, tmp_path / "store"))
    assert isinstance(backend, OxigraphBackend)
    return backend, data


def test_a_store_loaded_from_a_file_is_read_from_it_as_from_the_store(
        served: tuple[OxigraphBackend, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    backend, data = served
    assert backend.source() == data
    from_file = build.read(backend)
    monkeypatch.setattr(backend, "loaded_from", None)
    assert backend.source() is None
    assert from_file == build.read(backend)
    texts = from_file[0][f"{DMR}claim/synthetic-3"].texts
    assert texts.count("twice over") == 2  # once as a quote (held by two graphs), once a summary


def test_a_file_changed_since_its_store_was_loaded_is_not_read(
        served: tuple[OxigraphBackend, Path]) -> None:
    backend, data = served
    before = build.read(backend)
    with data.open("a", encoding="utf-8") as stream:
        stream.write(f'<{DMR}substance/added> <http://www.w3.org/2000/01/rdf-schema#label> '
                     '"added"@en .\n')
    assert backend.source() is None
    after = build.read(backend)
    assert f"{DMR}substance/added" not in after[0]
    assert after == before
