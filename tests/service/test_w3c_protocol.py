"""The W3C SPARQL 1.1 Protocol and Service Description tests, against a live server."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF

from kg.formats import GRAPH_FORMATS, RESULT_FORMATS
from tests.http import Reply, request
from tests.live import LiveServer

pytestmark = pytest.mark.slow  # the W3C suites, case by case

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
# The shared folder beside the checkout, or where DMKG_SHARED says (as tests/conftest.py).
SHARED = Path(os.environ.get("DMKG_SHARED", Path(__file__).resolve().parents[3] / "shared"))
SUITE = SHARED / "conformance" / "w3c-sparql11-protocol"
GRAPHS = {f"data{n}.nt": f"http://kasei.us/2009/09/sparql/data/data{n}.rdf" for n in (1, 2, 3)}
TOKEN = "w3c-protocol-suite-token-0123456789"


@dataclass
class Step:
    """One HTTP request of a protocol test and what its response must be."""

    method: str
    path: str
    body: bytes | None
    headers: dict[str, str]
    statuses: set[int]
    result_format: str | None = None
    boolean: bool | None = None


@dataclass
class ProtocolTest:
    """A manifest entry: its name and its requests in order."""

    name: str
    title: str
    steps: list[Step] = field(default_factory=list)


def _steps(manifest: Graph, test: URIRef) -> Iterator[Step]:
    action = manifest.value(test, MF.action)
    for req in Collection(manifest, manifest.value(action, HT.requests)):
        headers = {}
        header_list = manifest.value(req, HT.headers)
        if header_list is not None:
            for header in Collection(manifest, header_list):
                headers[str(manifest.value(header, HT.fieldName))] = str(
                    manifest.value(header, HT.fieldValue))
        body = None
        body_node = manifest.value(req, HT.body)
        if body_node is not None:
            encoding = str(manifest.value(body_node, CNT.characterEncoding) or "UTF-8")
            body = str(manifest.value(body_node, CNT.chars)).encode(encoding.lower())
        response = manifest.value(req, HT.resp)
        statuses = {int(str(s).rsplit("StatusCode", 1)[1][0])
                    for s in manifest.objects(response, MF.expectedStatus)}
        expected_format = manifest.value(response, MF.expectedFormat)
        expected_boolean = manifest.value(response, MF.expectedBoolean)
        yield Step(str(manifest.value(req, HT.methodName)),
                   str(manifest.value(req, HT.absolutePath)), body, headers, statuses,
                   str(expected_format) if expected_format is not None else None,
                   bool(expected_boolean.toPython()) if expected_boolean is not None else None)


def _load_suite() -> list[ProtocolTest]:
    if not (SUITE / "manifest.ttl").exists():
        return []
    manifest = Graph().parse(SUITE / "manifest.ttl", format="turtle", publicID=SUITE.as_uri() + "/")
    root = next(manifest.subjects(RDF.type, MF.Manifest))
    tests = []
    for entry in Collection(manifest, manifest.value(root, MF.entries)):
        name = str(entry).rsplit("#", 1)[1]
        tests.append(ProtocolTest(name, str(manifest.value(entry, MF.name)),
                                  list(_steps(manifest, entry))))
    return tests


TESTS = _load_suite()


def _params() -> list[object]:
    return [pytest.param(test, id=test.name) for test in TESTS]


def _is_update(test: ProtocolTest) -> bool:
    return test.name.startswith(("update_", "bad_update", "bad_multiple_updates"))


@pytest.fixture(scope="module")
def data_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The test data, served read-only (updates refused)."""
    if not SUITE.exists():
        pytest.skip("the W3C protocol suite is not beside this checkout")
    data = [f"--data={SUITE / name}={iri}" for name, iri in GRAPHS.items()]
    with LiveServer(tmp_path_factory.mktemp("w3c"), args=tuple(data)) as server:
        yield server


@pytest.fixture(scope="module")
def writable_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The test data in a writable on-disk store; the update tests' token is known to it."""
    if not SUITE.exists():
        pytest.skip("the W3C protocol suite is not beside this checkout")
    folder = tmp_path_factory.mktemp("w3c-writable")
    (folder / "tokens").write_text(f"w3c-suite {TOKEN}\n", encoding="utf-8")
    data = [f"--data={SUITE / name}={iri}" for name, iri in GRAPHS.items()]
    settings = {"WRITE_TOKENS": str(folder / "tokens"), "STORE_DIR": str(folder / "store"),
                "AUDIT_LOG": str(folder / "audit.log")}
    with LiveServer(folder, args=tuple(data), settings=settings) as server:
        yield server


def _boolean(reply: Reply) -> bool:
    if reply.media_type == "application/sparql-results+json":
        return bool(json.loads(reply.body)["boolean"])
    root = ET.fromstring(reply.body)
    node = root.find("{http://www.w3.org/2005/sparql-results#}boolean")
    assert node is not None
    return (node.text or "").strip() == "true"


TABULAR = {f.media_type for f in RESULT_FORMATS}
BOOLEAN = {"application/sparql-results+json", "application/sparql-results+xml"}
RDF_TYPES = {f.media_type for f in GRAPH_FORMATS}


def test_the_suite_is_present_and_complete() -> None:
    if not SUITE.exists():
        pytest.skip("the W3C protocol suite is not beside this checkout")
    assert len(TESTS) == 34
    assert sum(t.name.startswith("bad_query") or t.name.startswith("query") for t in TESTS) == 19


@pytest.mark.parametrize("test", _params())
def test_protocol(request_fixture: pytest.FixtureRequest, test: ProtocolTest) -> None:
    # Update tests run against the writable server, sending its bearer token.
    writable = _is_update(test)
    server: LiveServer = request_fixture.getfixturevalue(
        "writable_server" if writable else "data_server")
    for step in test.steps:
        headers = {**step.headers, **({"Authorization": f"Bearer {TOKEN}"} if writable else {})}
        reply = request(step.method, server.url + step.path, step.body, headers)
        assert reply.status // 100 in step.statuses, (test.title, reply.status, reply.body)
        if step.result_format == "boolean":
            assert reply.media_type in BOOLEAN
        elif step.result_format == "tabular":
            assert reply.media_type in TABULAR
        elif step.result_format == "RDF":
            assert reply.media_type in RDF_TYPES
            Graph().parse(data=reply.body, format=next(
                f.rdflib_name for f in GRAPH_FORMATS if f.media_type == reply.media_type))
        if step.boolean is not None:
            assert _boolean(reply) is step.boolean, test.title


# --- Service Description tests ---------------------------------------------------------------

def _description(server: LiveServer) -> tuple[Reply, Graph]:
    reply = request("GET", f"{server.url}/sparql",
                    headers={"Accept": "text/turtle, application/rdf+xml;q=0.9"})
    graph = Graph().parse(data=reply.body, format="turtle")
    return reply, graph


@pytest.fixture
def request_fixture(request: pytest.FixtureRequest) -> pytest.FixtureRequest:
    return request


def test_updates_are_refused_when_writes_are_off(data_server: LiveServer) -> None:
    reply = request("POST", f"{data_server.url}/sparql", "CLEAR ALL",
                    {"Content-Type": "application/sparql-update",
                     "Authorization": f"Bearer {TOKEN}"})
    assert reply.status == 403


def test_sd_returns_rdf(data_server: LiveServer) -> None:
    reply, graph = _description(data_server)
    assert reply.status == 200 and reply.media_type in RDF_TYPES and len(graph) > 0


def test_sd_has_endpoint_triple(data_server: LiveServer) -> None:
    _, graph = _description(data_server)
    assert (None, SD.endpoint, URIRef(f"{data_server.url}/sparql")) in graph


def test_sd_conforms_to_schema(data_server: LiveServer) -> None:
    _, graph = _description(data_server)
    services = list(graph.subjects(RDF.type, SD.Service))
    assert len(services) == 1
    service = services[0]
    languages = set(graph.objects(service, SD.supportedLanguage))
    assert languages and languages <= {SD.SPARQL10Query, SD.SPARQL11Query, SD.SPARQL11Update}
    for fmt in graph.objects(service, SD.resultFormat):
        assert str(fmt).startswith("http://www.w3.org/ns/formats/")
    dataset = graph.value(service, SD.defaultDataset)
    assert (dataset, RDF.type, SD.Dataset) in graph
    assert (graph.value(dataset, SD.defaultGraph), RDF.type, SD.Graph) in graph
    names = set()
    for named in graph.objects(dataset, SD.namedGraph):
        assert (named, RDF.type, SD.NamedGraph) in graph
        assert isinstance(graph.value(named, SD.name), URIRef)
        assert (graph.value(named, SD.graph), RDF.type, SD.Graph) in graph
        names.add(str(graph.value(named, SD.name)))
    assert names == set(GRAPHS.values())


def test_sd_names_update_only_when_writes_are_on(data_server: LiveServer,
                                                 writable_server: LiveServer) -> None:
    for server, expected in ((data_server, False), (writable_server, True)):
        _, graph = _description(server)
        assert ((None, SD.supportedLanguage, SD.SPARQL11Update) in graph) is expected
