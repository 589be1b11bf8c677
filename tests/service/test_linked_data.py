"""IRIs dereference on the service: pages for people, RDF for machines, by negotiation."""

from __future__ import annotations

import itertools
import json

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS

from kg.formats import GRAPH_FORMATS, Format
from tests.http import request
from tests.live import LiveServer

KETAMINE = URIRef("https://w3id.org/dmkg/id/substance/ketamine")


@pytest.mark.parametrize("fmt", [f for f in GRAPH_FORMATS if not f.dataset],
                         ids=lambda f: f.keyword)
def test_rdf_by_accept_and_by_format(live_server: LiveServer, fmt: Format) -> None:
    by_accept = request("GET", f"{live_server.url}/id/substance/ketamine",
                        headers={"Accept": fmt.media_type})
    by_param = request("GET", f"{live_server.url}/id/substance/ketamine?format={fmt.keyword}",
                       headers={"Accept": "text/html"})
    for reply in (by_accept, by_param):
        assert reply.status == 200 and reply.media_type == fmt.media_type
        assert "Accept" in reply.headers["vary"]
        graph = Graph().parse(data=reply.body, format=fmt.rdflib_name)
        assert (KETAMINE, RDFS.label, Literal("kétamine", lang="fr")) in graph


def test_every_form_is_listed_in_link_headers(live_server: LiveServer) -> None:
    reply = request("GET", f"{live_server.url}/id/substance/ketamine")
    for fmt in GRAPH_FORMATS:
        assert f'type="{fmt.media_type}"' in reply.headers["link"]


def test_jsonld_uses_the_published_context(live_server: LiveServer) -> None:
    reply = request("GET", f"{live_server.url}/id/substance/ketamine",
                    headers={"Accept": "application/ld+json"})
    document = json.loads(reply.body)
    context = json.loads(request("GET", f"{live_server.url}/context.jsonld").body)["@context"]
    assert document["@context"] == context
    assert context["dmo"] == "https://w3id.org/dmkg/ontology#"


def test_html_page_in_the_language_asked_for(live_server: LiveServer) -> None:
    english = request("GET", f"{live_server.url}/id/substance/ketamine",
                      headers={"Accept": "text/html", "Accept-Language": "en-GB,en;q=0.9"})
    french = request("GET", f"{live_server.url}/id/substance/ketamine",
                     headers={"Accept": "text/html", "Accept-Language": "fr-FR,fr;q=0.9"})
    switched = request("GET", f"{live_server.url}/id/substance/ketamine?lang=fr",
                       headers={"Accept": "text/html"})
    assert "<h1>ketamine</h1>" in english.text and english.headers["content-language"] == "en"
    assert "<h1>kétamine</h1>" in french.text and "Mesures de contrôle" in french.text
    assert "<h1>kétamine</h1>" in switched.text


def test_the_page_shows_the_2017_measure_with_its_source_and_identifiers(
        live_server: LiveServer) -> None:
    page = request("GET", f"{live_server.url}/id/substance/ketamine").text
    assert 'datetime="2017-04-24"' in page
    assert "/id/source/ansm-2017-01-26-ketamine" in page
    assert 'href="http://www.wikidata.org/entity/Q243547"' in page
    assert "<svg" in page and "/id/substance/injectable-ketamine" in page


def test_a_source_page_lists_its_claims(live_server: LiveServer) -> None:
    page = request("GET", f"{live_server.url}/id/source/jim-2017-03-14-dealers-nouveaux-canaux")
    assert page.status == 200
    table = page.text.split('class="compact claims-stated"')[1].split("</table>")[0]
    for ref in ("F3", "F12", "F23"):
        assert f'?lang=en">{ref}</a></td>' in table
    assert "Aurélie Haroche" in page.text


def test_an_entity_of_two_classes_names_them_apart(live_server: LiveServer) -> None:
    # The page read as text (by a screen reader, or copied) keeps the class names apart.
    page = request("GET", f"{live_server.url}/id/source/jim-2017-03-14-dealers-nouveaux-canaux"
                          "?lang=fr").text
    line = page.split("<p>Classes\u202f: ")[1].split("</p>")[0]
    names = [part.split(">")[-1] for part in line.split("</a>")[:-1]]
    assert len(names) >= 2, line
    text = "".join(part.split("<a")[0] + name for part, name in zip(
        line.split("</a>"), names, strict=False))
    assert all(f"{a} {b}" in text for a, b in itertools.pairwise(names)), text


def test_unknown_ids_are_404(live_server: LiveServer) -> None:
    for path in ("/id/substance/unobtainium", "/id/galaxy/andromeda"):
        reply = request("GET", live_server.url + path)
        assert reply.status == 404 and "Traceback" not in reply.text


def test_ontology_term_iris_resolve_to_the_ontology_document(live_server: LiveServer) -> None:
    # https://w3id.org/dmkg/ontology#ControlMeasure: the fragment stays in the browser.
    page = request("GET", f"{live_server.url}/ontology", headers={"Accept": "text/html"})
    assert 'id="ControlMeasure"' in page.text
    versioned = request("GET", f"{live_server.url}/ontology/0.1.0",
                        headers={"Accept": "text/turtle"})
    assert versioned.status == 200 and versioned.media_type == "text/turtle"


def test_search_page_and_home_page(live_server: LiveServer) -> None:
    results = request("GET", f"{live_server.url}/search?q=k%C3%A9tamine")
    assert results.status == 200 and 'href="/id/substance/ketamine?lang=' in results.text
    assert "/api/search" in results.headers["link"]
    home = request("GET", f"{live_server.url}/")
    for link in ('href="/sparql?lang=en"', 'href="/api/docs?lang=en"',
                 'href="/ontology?lang=en"'):
        assert link in home.text
