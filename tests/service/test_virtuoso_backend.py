"""The service on a real Virtuoso: `dmkg load`, then every feature through the remote backend."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from SPARQLWrapper import JSON, SPARQLWrapper

from kg.paths import Layout
from kg.queryfiles import read_queries
from kg.store.base import QueryFailed
from kg.store.loader import push
from kg.store.remote import RemoteBackend
from tests.competency import EXPECTED, check_answer
from tests.http import request
from tests.kg.cli import dmkg
from tests.live import LiveServer
from tests.virtuoso import Virtuoso

GRAPHS = ("https://w3id.org/dmkg/graph/facts", "https://w3id.org/dmkg/graph/inferred",
          "https://w3id.org/dmkg/graph/ontology")


def _load(built: Layout, server: Virtuoso) -> tuple[int, str]:
    result = dmkg("load", "--target", server.endpoint, "--update-url", server.update_endpoint,
                  "--user", server.user, "--password", server.password, "--quiet",
                  home=built.root)
    return result.returncode, result.stderr


def _expected_sizes(built: Layout) -> dict[str, int]:
    report = json.loads((built.dist_dir / "report.json").read_text())
    return {f"https://w3id.org/dmkg/graph/{name}": count
            for name, count in report["triples"].items() if name != "total"}


@pytest.fixture(scope="module")
def loaded(built: Layout, virtuoso: Virtuoso) -> Virtuoso:
    backend = RemoteBackend(virtuoso.endpoint, virtuoso.update_endpoint, virtuoso.user,
                            virtuoso.password)
    for graph in backend.graph_sizes():
        backend.update(f"DROP SILENT GRAPH <{graph}>")
    code, errors = _load(built, virtuoso)
    assert code == 0, errors
    return virtuoso


def _backend(server: Virtuoso) -> RemoteBackend:
    return RemoteBackend(server.endpoint, server.update_endpoint, server.user, server.password)


def test_load_puts_every_graph_and_twice_leaves_one_copy(built: Layout, loaded: Virtuoso) -> None:
    assert _backend(loaded).graph_sizes() == _expected_sizes(built)
    code, errors = _load(built, loaded)
    assert code == 0, errors
    assert _backend(loaded).graph_sizes() == _expected_sizes(built)


class _FailingBackend(RemoteBackend):
    """The real server, with the connection lost after a few writes."""

    def __init__(self, *args: object, fail_after: int) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.calls = 0
        self.fail_after = fail_after

    def update(self, sparql: str) -> None:
        self.calls += 1
        if self.calls > self.fail_after:
            raise QueryFailed("connection lost")
        super().update(sparql)


def test_a_failed_load_leaves_the_previous_graphs(built: Layout, loaded: Virtuoso,
                                                  tmp_path: Path) -> None:
    before = _backend(loaded).graph_sizes()
    changed = tmp_path / "changed.nq"
    lines = (built.dist_dir / "dmkg.nq").read_text().splitlines()
    changed.write_text("\n".join(lines[: len(lines) // 2]) + "\n")  # a smaller dataset
    for fail_after in (2, 4, 6):  # in the first graph, between graphs, in the last one
        failing = _FailingBackend(loaded.endpoint, loaded.update_endpoint, loaded.user,
                                  loaded.password, fail_after=fail_after)
        with pytest.raises(QueryFailed):
            push(failing, changed)
        assert _backend(loaded).graph_sizes() == before


@pytest.fixture(scope="module")
def remote_service(tmp_path_factory: pytest.TempPathFactory, built: Layout,
                   loaded: Virtuoso) -> Iterator[LiveServer]:
    store = f"sparql+{loaded.endpoint}"
    with LiveServer(tmp_path_factory.mktemp("remote"), args=("--store", store),
                    home=built.root) as server:
        yield server


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_competency_questions_through_the_service_on_virtuoso(
        remote_service: LiveServer, layout: Layout, name: str) -> None:
    query = next(q for q in read_queries(layout.queries_dir) if q.name == name)
    client = SPARQLWrapper(f"{remote_service.url}/sparql")
    client.setQuery(query.text)
    client.setReturnFormat(JSON)
    data = client.query().convert()
    rows = [{k: v["value"] for k, v in b.items()} for b in data["results"]["bindings"]]
    check_answer(name, rows)


def test_rest_search_pages_and_reconciliation_on_virtuoso(remote_service: LiveServer) -> None:
    search = json.loads(request("GET", f"{remote_service.url}/api/search?q=K%C3%A9tamine").body)
    assert search["results"][0]["id"] == "substance/ketamine"
    entity = json.loads(request("GET",
                                f"{remote_service.url}/api/entities/channel/drive").body)
    assert len([r for r in entity["relations"] if r["property"]["iri"].endswith("operatesIn")]) == 5
    page = request("GET", f"{remote_service.url}/id/substance/ketamine")
    assert page.status == 200 and 'datetime="2017-04-24"' in page.text
    queries = json.dumps({"q": {"query": "ecstasy"}})
    answer = json.loads(request("GET", f"{remote_service.url}/reconcile?"
                                + urlencode({"queries": queries})).body)
    assert answer["q"]["result"][0]["id"] == "substance/mdma"
    refused = request("GET", f"{remote_service.url}/sparql?" + urlencode(
        {"query": "SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"}))
    assert refused.status == 400
