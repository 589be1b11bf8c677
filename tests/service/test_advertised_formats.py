"""Every machine-readable form a page advertises (Link header, <link> tags, "as data" links)
answers, and parses with rdflib (or as JSON), whatever Accept the browser following it sends."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from rdflib import Graph
from rdflib.namespace import RDF

from kg.formats import GRAPH_FORMATS, find
from tests.http import request
from tests.live import LiveServer

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"
PAGES = (
    "/",
    "/id/substance/ketamine",
    "/id/source/jim-2017-03-14-dealers-nouveaux-canaux",
    "/id/claim/brigade-paris-overdose-profile",
    "/id/place/paris",
    "/ontology",
    "/sparql",
    "/.well-known/void",
    "/search?q=drive",
    "/api/docs",
    "/dataset",
    "/graph/facts",
    "/graph/ontology",
    "/graph/inferred",
)


class _Links(HTMLParser):
    """The alternates of a page: <link> and <a> tags with rel="alternate" (or describedby)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        rels = (found.get("rel") or "").split()
        if tag in {"link", "a"} and ("alternate" in rels or "describedby" in rels):
            self.found.add(found["href"] or "")


def advertised(server: LiveServer, path: str) -> set[str]:
    """The forms a page advertises, as absolute URLs."""
    reply = request("GET", server.url + path, headers={"Accept": BROWSER})
    assert reply.status == 200, path
    hrefs = {link["url"] for link in requests.utils.parse_header_links(
        reply.headers.get("link", "")) if link.get("url")}
    parser = _Links()
    parser.feed(reply.text)
    return {urljoin(server.url + path, href) for href in hrefs | parser.found}


def parse(url: str) -> int:
    """Fetch url as a browser would and parse it by its Content-Type; the number of items."""
    reply = request("GET", url, headers={"Accept": BROWSER})
    assert reply.status == 200, (url, reply.status, reply.body[:200])
    if reply.media_type in {"application/json", "application/sparql-results+json"}:
        return len(json.loads(reply.body))
    fmt = find(reply.media_type, GRAPH_FORMATS)
    assert fmt is not None, (url, reply.media_type)
    if fmt.dataset:
        from rdflib import Dataset

        data = Dataset()
        data.parse(data=reply.body, format=fmt.rdflib_name)
        return sum(len(g) for g in data.graphs())
    return len(Graph().parse(data=reply.body, format=fmt.rdflib_name))


@pytest.mark.parametrize("path", PAGES)
def test_every_advertised_form_parses(live_server: LiveServer, path: str) -> None:
    urls = advertised(live_server, path)
    assert urls, f"{path} advertises no machine-readable form"
    for url in sorted(urls):
        assert parse(url) > 0, url


@pytest.mark.parametrize("fmt", GRAPH_FORMATS, ids=lambda f: f.keyword)
@pytest.mark.parametrize("path", ["/id/substance/ketamine", "/ontology", "/.well-known/void",
                                  "/sparql", "/dataset", "/graph/facts"])
def test_every_rdf_format_by_accept(live_server: LiveServer, path: str, fmt: object) -> None:
    from kg.formats import Format

    assert isinstance(fmt, Format)
    reply = request("GET", live_server.url + path, headers={"Accept": fmt.media_type})
    assert reply.status == 200 and reply.media_type == fmt.media_type, (path, reply.body[:300])
    if fmt.dataset:
        from rdflib import Dataset

        data = Dataset()
        data.parse(data=reply.body, format=fmt.rdflib_name)
        assert any(True for _ in data.quads((None, RDF.type, None, None)))
    else:
        assert len(Graph().parse(data=reply.body, format=fmt.rdflib_name)) > 0


@pytest.mark.parametrize("accept", [BROWSER, "text/turtle"])
@pytest.mark.parametrize("path", ["/sparql", "/id/substance/ketamine", "/dataset",
                                  "/.well-known/void"])
def test_rdf_resources_advertise_every_format(live_server: LiveServer, path: str,
                                             accept: str) -> None:
    reply = request("GET", live_server.url + path, headers={"Accept": accept})
    linked = {link.get("type") for link in requests.utils.parse_header_links(
        reply.headers.get("link", ""))}
    assert {f.media_type for f in GRAPH_FORMATS} <= linked, (path, linked)
    assert "Accept" in reply.headers.get("vary", ""), path
    if accept == BROWSER and path != "/.well-known/void":
        parser = _Links()
        parser.feed(reply.text)
        keywords = {parse_qs(urlsplit(href).query).get("format", [""])[0]
                    for href in parser.found}
        assert {f.keyword for f in GRAPH_FORMATS} <= keywords, (path, parser.found)


@pytest.mark.parametrize(("accept", "expected"), [("text/n3", "text/turtle"),
                                                  ("application/json", "application/ld+json"),
                                                  ("application/xml", "application/rdf+xml"),
                                                  ("text/plain", "application/n-triples")])
@pytest.mark.parametrize("path", ["/id/substance/ketamine", "/ontology", "/dataset"])
def test_accept_reads_the_aliases_the_format_parameter_reads(live_server: LiveServer, path: str,
                                                             accept: str, expected: str) -> None:
    reply = request("GET", live_server.url + path, headers={"Accept": accept})
    assert reply.status == 200 and reply.media_type == expected, (path, reply.status)
    keyword = accept.split("/")[-1]
    if keyword in {"n3", "json", "xml"}:
        by_parameter = request("GET", f"{live_server.url}{path}?format={keyword}")
        assert by_parameter.media_type == expected, (path, keyword)
