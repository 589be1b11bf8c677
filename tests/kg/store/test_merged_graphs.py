"""Overlapping default graphs read as sets through hidden graphs inside the store: no merged
copy of the data, a few kept, each dropped by a write to one of its graphs, none seen."""

from __future__ import annotations

import gc
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.store import merged_using
from kg.store.base import DatasetSpec
from kg.store.hidden_graphs import MERGED_UNION, merged_in
from kg.store.merged_graphs import KEPT
from kg.store.oxigraph_backend import OxigraphBackend
from kg.store.writable import prepare_writable_store

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
GRAPHS = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"


def number(backend: OxigraphBackend, text: str, dataset: DatasetSpec | None = None) -> int:
    return int(str(backend.select(text, dataset=dataset)[0]["n"]))


def line(value: int, graph: str | None = None) -> str:
    term = f'"{value}"^^<http://www.w3.org/2001/XMLSchema#integer>'
    return f"<urn:s> <urn:p> {term}" + (f" <{graph}>" if graph else "") + " .\n"


def seeded(tmp_path: Path, graphs: dict[str, range]) -> OxigraphBackend:
    """An in-memory store seeded from files, as `dmkg serve --data` loads them."""
    backend = OxigraphBackend.in_memory()
    for name, values in graphs.items():
        path = tmp_path / f"{name.replace(':', '-') or 'default'}.nt"
        path.write_text("".join(line(v) for v in values), encoding="utf-8")
        backend.load(path, name or None)
    return backend


def hidden(backend: OxigraphBackend) -> list[str]:
    return sorted(g.value for g in merged_in(backend.store))


def test_the_union_of_data_files_is_kept_inside_the_store(tmp_path: Path) -> None:
    big, small = range(0, 100), range(95, 110)
    backend = seeded(tmp_path, {"urn:g:1": big, "urn:g:2": small, "": range(105, 112)})
    assert number(backend, COUNT) == 112
    # No merged copy of the data: one hidden graph holding what the largest graph does not.
    assert backend._views == {}
    assert hidden(backend) == [MERGED_UNION]
    assert len(backend.store) == 100 + 15 + 7 + 12
    assert {str(r["g"]) for r in backend.select(GRAPHS)} == {"urn:g:1", "urn:g:2"}
    assert backend.graph_names() == ["urn:g:1", "urn:g:2"]
    assert set(backend.graph_sizes()) == {"", "urn:g:1", "urn:g:2"}
    assert len(list(backend.default_quads("urn:p"))) == 112


def test_a_dataset_is_merged_once_and_kept_until_its_graphs_change(tmp_path: Path) -> None:
    backend = seeded(tmp_path, {"urn:g:1": range(0, 10), "urn:g:2": range(5, 15),
                                "urn:g:3": range(0, 3)})
    both = DatasetSpec(("urn:g:1", "urn:g:2"))
    assert number(backend, COUNT, both) == 15
    made = set(hidden(backend)) - {MERGED_UNION}
    assert len(made) == 1 and backend._views == {}
    assert number(backend, COUNT, both) == 15 and set(hidden(backend)) - {MERGED_UNION} == made
    # A write elsewhere keeps it; a write to one of its graphs drops it, and is seen.
    backend.write_graph("urn:g:3", [], replace=True)
    assert set(hidden(backend)) - {MERGED_UNION} == made
    backend.write_graph("urn:g:2", [ox.Triple(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"),
                                              ox.Literal("x"))], replace=False)
    assert set(hidden(backend)) - {MERGED_UNION} == set()
    assert number(backend, COUNT, both) == 16


def test_a_few_merged_datasets_are_kept(tmp_path: Path) -> None:
    graphs = {f"urn:g:{i}": range(i, i + 3) for i in range(KEPT + 4)}
    backend = seeded(tmp_path, graphs)
    for i in range(KEPT + 3):
        assert number(backend, COUNT, DatasetSpec((f"urn:g:{i}", f"urn:g:{i + 1}"))) == 4
    assert len(set(hidden(backend)) - {MERGED_UNION}) == KEPT


def test_a_writable_store_drops_hidden_graphs_left_when_opened(tmp_path: Path) -> None:
    seed = tmp_path / "seed.nq"
    seed.write_text(line(1, "urn:g:1") + line(2, "urn:g:1") + line(1, "urn:g:2")
                    + line(3, "urn:g:2") + line(4, "urn:g:3"), encoding="utf-8")
    folder, origin = prepare_writable_store(tmp_path / "store", [(seed, None)], built=False)
    backend = OxigraphBackend.writable(folder, origin.protected)
    assert number(backend, COUNT) == 4
    assert number(backend, COUNT, DatasetSpec(("urn:g:1", "urn:g:2"))) == 3
    assert len(hidden(backend)) == 2 and backend._views == {}
    assert backend.graph_names() == ["urn:g:1", "urn:g:2", "urn:g:3"]
    assert backend.written_quads() and all(not q.graph_name.value.startswith("urn:dmkg:")
                                           for q in backend.written_quads())
    backend.flush()
    del backend
    gc.collect()
    reopened = OxigraphBackend.writable(folder, origin.protected)
    # Its note is trusted (the hidden graphs are no graphs of the data), and only the union's
    # hidden graph is made again.
    assert reopened._disjoint is False
    assert hidden(reopened) == [MERGED_UNION]
    assert number(reopened, COUNT) == 4


@pytest.mark.parametrize("using", ["USING <urn:g:1> USING <urn:g:2>",
                                   "USING <urn:g:2> USING <urn:g:1> USING <urn:g:2>"])
def test_an_update_reads_its_using_graphs_as_a_set(tmp_path: Path, using: str) -> None:
    backend = seeded(tmp_path, {"urn:g:1": range(0, 10), "urn:g:2": range(5, 15)})
    backend.update("INSERT { GRAPH <urn:out> { <urn:x> <urn:n> ?n } } " + using +
                   " WHERE { SELECT (COUNT(*) AS ?n) { ?s ?p ?o } }")
    assert number(backend, "SELECT ?n WHERE { GRAPH <urn:out> { ?x ?y ?n } }") == 15
    assert not [g for g in hidden(backend) if "using" in g]


def test_only_the_graphs_that_overlap_are_merged_for_an_update(tmp_path: Path) -> None:
    backend = seeded(tmp_path, {"urn:g:1": range(0, 10), "urn:g:2": range(5, 15),
                                "urn:g:3": range(20, 30), "urn:g:4": range(40, 50)})
    assert merged_using.split(backend.store, ("urn:g:3", "urn:g:4")) is None
    core, rest = merged_using.split(backend.store, ("urn:g:1", "urn:g:2", "urn:g:3")) or ((), ())
    assert "urn:g:3" in core and len(rest) == 1 and {*core, *rest} == {"urn:g:1", "urn:g:2",
                                                                       "urn:g:3"}
    text = backend.update_text("INSERT { GRAPH <urn:out> { <urn:x> <urn:n> ?n } } USING "
                               "<urn:g:3> USING <urn:g:4> WHERE { SELECT (COUNT(*) AS ?n) "
                               "{ ?s ?p ?o } }").text
    assert "merged-using" not in text  # graphs that share nothing are read as they are


def test_a_dataset_merged_for_a_query_copies_a_bounded_number_of_triples(tmp_path: Path) -> None:
    from kg.store import QueryRefused
    from kg.store.merged_graphs import MERGE_MAX

    # Beside the largest graph, the others hold MERGE_MAX + 1 triples: too many to copy for
    # one query (the copy is made within its time limit and kept on disk).
    backend = seeded(tmp_path, {"urn:g:big": range(0, MERGE_MAX + 10),
                                "urn:g:a": range(0, MERGE_MAX // 2),
                                "urn:g:b": range(MERGE_MAX // 2, MERGE_MAX + 1),
                                "urn:g:c": range(0, 5)})
    with pytest.raises(QueryRefused, match="name fewer or smaller graphs"):
        backend.select(COUNT, dataset=DatasetSpec(("urn:g:big", "urn:g:a", "urn:g:b")))
    assert set(hidden(backend)) - {MERGED_UNION} == set()  # nothing was copied
    # Within the bound, the dataset is merged as a set.
    assert number(backend, COUNT, DatasetSpec(("urn:g:big", "urn:g:c"))) == MERGE_MAX + 10
