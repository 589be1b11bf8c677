"""The dataset as published: dumps, dereferenceable dataset and graph IRIs, VoID and the
service description with version and modification date, schema.org on the home page."""

from __future__ import annotations

import gzip
import json
import re
import time
import tomllib
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, XSD

from kg.paths import Layout
from tests.http import request
from tests.live import LiveServer

VOID = Namespace("http://rdfs.org/ns/void#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
SCHEMA = Namespace("https://schema.org/")
DATASET = URIRef("https://w3id.org/dmkg/dataset")
ROOT = Path(__file__).resolve().parents[2]


def _version() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"])


def test_the_changelog_names_the_version_the_service_reports(live_server: LiveServer) -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    released = re.findall(r"^## \[(\d+\.\d+\.\d+)\]", changelog, flags=re.MULTILINE)
    assert released and released[0] == _version()
    health = json.loads(request("GET", f"{live_server.url}/health").body)
    assert health == {"status": "up", "version": _version()}
    # Every version the service states is that one.
    manifest = json.loads(request("GET", f"{live_server.url}/reconcile").body)
    assert manifest["serviceVersion"] == _version()
    openapi = json.loads(request("GET", f"{live_server.url}/api/openapi.json").body)
    assert openapi["info"]["version"] == _version()


@pytest.mark.parametrize(("name", "rdflib_format"), [("dmkg.nq", "nquads"),
                                                     ("dmkg.trig", "trig")])
def test_dumps_are_served_whole_with_length_and_etag(live_server: LiveServer, built: Layout,
                                                     name: str, rdflib_format: str) -> None:
    plain = request("GET", f"{live_server.url}/dumps/{name}")
    packed = request("GET", f"{live_server.url}/dumps/{name}.gz")
    expected = (built.dist_dir / name).read_bytes()
    assert plain.status == 200 and plain.body == expected
    assert packed.status == 200 and gzip.decompress(packed.body) == expected
    assert packed.media_type == "application/gzip"
    for reply in (plain, packed):
        assert int(reply.headers["content-length"]) == len(reply.body)
        etag = reply.headers["etag"]
        assert etag.startswith('"')
        again = request("GET", live_server.url + f"/dumps/{name}"
                        + (".gz" if reply is packed else ""), headers={"If-None-Match": etag})
        assert again.status == 304 and again.body == b""
    assert plain.headers["etag"] != packed.headers["etag"]
    data = Dataset()
    data.parse(data=expected, format=rdflib_format)
    assert {str(g.identifier) for g in data.graphs()} >= {
        "https://w3id.org/dmkg/graph/facts", "https://w3id.org/dmkg/graph/ontology"}


def test_an_unknown_dump_is_404(live_server: LiveServer) -> None:
    reply = request("GET", f"{live_server.url}/dumps/secrets.txt")
    assert reply.status == 404 and "dmkg.nq" in reply.text


def test_every_dump_void_names_is_served(live_server: LiveServer) -> None:
    void = Graph().parse(data=request("GET", f"{live_server.url}/.well-known/void").body,
                         format="turtle")
    dumps = list(void.objects(DATASET, VOID.dataDump))
    assert len(dumps) >= 4
    for dump in dumps:
        path = str(dump).removeprefix("https://w3id.org/dmkg")
        assert request("GET", live_server.url + path).status == 200, dump


def test_void_and_service_description_carry_version_and_modified(
        live_server: LiveServer, built: Layout) -> None:
    void = Graph().parse(data=request("GET", f"{live_server.url}/.well-known/void").body,
                         format="turtle")
    description = Graph().parse(data=request(
        "GET", f"{live_server.url}/sparql", headers={"Accept": "text/turtle"}).body,
        format="turtle")
    dataset_node = next(description.objects(None, SD.defaultDataset))
    built_at = (built.dist_dir / "dmkg.nq").stat().st_mtime
    for graph, subject in ((void, DATASET), (description, dataset_node)):
        assert graph.value(subject, DCAT.version) == Literal(_version())
        modified = graph.value(subject, DCTERMS.modified)
        assert isinstance(modified, Literal) and modified.datatype == XSD.dateTime
        assert abs(modified.toPython().timestamp() - built_at) < 2


def test_the_dataset_iri_resolves(live_server: LiveServer) -> None:
    page = request("GET", f"{live_server.url}/dataset", headers={"Accept": "text/html"})
    assert page.status == 200 and page.media_type == "text/html"
    for link in ('href="/graph/facts"', 'href="/dumps/dmkg.nq.gz"', _version()):
        assert link in page.text
    rdf = request("GET", f"{live_server.url}/dataset", headers={"Accept": "text/turtle"})
    graph = Graph().parse(data=rdf.body, format="turtle")
    assert (DATASET, VOID.triples, None) in graph
    subset = request("GET", f"{live_server.url}/dataset/graph/facts",
                     headers={"Accept": "text/turtle"})
    assert subset.status == 200
    partition = request("GET", f"{live_server.url}/dataset/class/Substance",
                        headers={"Accept": "text/turtle"})
    assert partition.status == 200


@pytest.mark.parametrize("path", ["/dataset/nope", "/dataset/anything/at/all",
                                  "/dataset/graph/nowhere"])
def test_only_described_dataset_parts_resolve(live_server: LiveServer, path: str) -> None:
    for accept in ("text/turtle", "text/html"):
        reply = request("GET", live_server.url + path, headers={"Accept": accept})
        assert reply.status == 404, (path, accept, reply.status)


@pytest.mark.parametrize("name", ["facts", "ontology", "inferred"])
def test_named_graph_iris_resolve(live_server: LiveServer, built: Layout, name: str) -> None:
    iri = f"https://w3id.org/dmkg/graph/{name}"
    page = request("GET", f"{live_server.url}/graph/{name}", headers={"Accept": "text/html"})
    assert page.status == 200 and iri in page.text
    rdf = request("GET", f"{live_server.url}/graph/{name}",
                  headers={"Accept": "application/n-triples"})
    expected = Dataset()
    expected.parse(built.dist_dir / "dmkg.nq", format="nquads")
    served = Graph().parse(data=rdf.body, format="nt")
    assert len(served) == len(expected.graph(URIRef(iri)))
    missing = request("GET", f"{live_server.url}/graph/nowhere")
    assert missing.status == 404


def test_home_page_embeds_a_schema_org_dataset(live_server: LiveServer) -> None:
    page = request("GET", f"{live_server.url}/").text
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert found
    document = json.loads(found.group(1))
    graph = Graph().parse(data=json.dumps(document), format="json-ld")
    assert (DATASET, None, SCHEMA.Dataset) in graph
    assert graph.value(DATASET, SCHEMA.version) == Literal(_version())
    assert graph.value(DATASET, SCHEMA.license) is not None
    downloads = list(graph.objects(DATASET, SCHEMA.distribution))
    assert len(downloads) == 4
    for download in downloads:
        url = str(graph.value(download, SCHEMA.contentUrl))
        assert request("GET", url).status == 200


@pytest.mark.slow
def test_a_write_moves_dcterms_modified(tmp_path: Path, built: Layout) -> None:
    from tests.service.test_writes import update, writable_settings

    def modified(server: LiveServer) -> Literal:
        void = Graph().parse(data=request("GET", f"{server.url}/.well-known/void").body,
                             format="turtle")
        found = void.value(DATASET, DCTERMS.modified)
        assert isinstance(found, Literal)
        return found

    with LiveServer(tmp_path, home=built.root, settings=writable_settings(tmp_path)) as server:
        before = modified(server)
        time.sleep(1.1)  # the date is given to the second
        reply = update(server, "INSERT DATA { GRAPH <https://w3id.org/dmkg/graph/contrib/x> "
                               "{ <urn:a> <urn:b> 1 } }")
        assert reply.status == 204
        after = modified(server)
    assert after.toPython() > before.toPython()


@pytest.mark.parametrize(("fmt", "rdflib_format"), [("nquads", "nquads"), ("trig", "trig")])
@pytest.mark.parametrize("path", ["/graph/facts", "/id/substance/ketamine"])
def test_quad_formats_carry_the_graph_name(live_server: LiveServer, fmt: str,
                                           rdflib_format: str, path: str) -> None:
    reply = request("GET", f"{live_server.url}{path}?format={fmt}")
    assert reply.status == 200, reply.body[:300]
    served = Dataset()
    served.parse(data=reply.body, format=rdflib_format)
    names = {str(g.identifier) for g in served.graphs() if len(g)}
    assert names and all(n.startswith("https://w3id.org/dmkg/graph/") for n in names), names
    assert len(served.default_graph) == 0
    if path == "/graph/facts":
        assert names == {"https://w3id.org/dmkg/graph/facts"}
