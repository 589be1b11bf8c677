"""The ontology document over real HTTP: HTML for people, RDF for machines."""

from __future__ import annotations

import urllib.request
from http.client import HTTPMessage

import pytest
from rdflib import Graph

from kg.paths import Layout
from kg.rdfcompare import same_graph
from tests.live import LiveServer


def get(url: str, accept: str | None = None) -> tuple[int, HTTPMessage, bytes]:
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        # Header names are matched ignoring case, as HTTP says.
        return response.status, response.headers, response.read()


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [("text/turtle", "turtle"), ("application/rdf+xml", "xml"),
     ("application/n-triples", "nt"), ("application/ld+json", "json-ld")],
)
def test_rdf_by_accept_is_the_ontology(live_server: LiveServer, layout: Layout, accept: str,
                                       rdflib_format: str) -> None:
    status, headers, body = get(live_server.url + "/ontology", accept)
    assert status == 200
    assert headers["Content-Type"].startswith(accept)
    assert "Accept" in headers["Vary"]
    served = Graph().parse(data=body, format=rdflib_format)
    assert same_graph(served, Graph().parse(layout.ontology_ttl))


def test_browsers_get_documentation_with_alternates(live_server: LiveServer) -> None:
    status, headers, body = get(live_server.url + "/ontology",
                                "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b"Drug Market Ontology" in body and b'id="ControlMeasure"' in body
    assert 'rel="alternate"; type="text/turtle"' in headers["Link"]


def test_format_parameter_overrides_accept(live_server: LiveServer) -> None:
    status, headers, _ = get(live_server.url + "/ontology?format=ntriples", "text/html")
    assert status == 200 and headers["Content-Type"].startswith("application/n-triples")
