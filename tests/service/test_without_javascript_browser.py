"""The query editor and the API docs in a Chromium with JavaScript off: plain forms and lists."""

from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, Page

from service.i18n import API_FRENCH, api_text_key
from tests.http import request
from tests.live import LiveServer

pytestmark = pytest.mark.slow  # headless Chromium

QUERY = ("PREFIX dmo: <https://w3id.org/dmkg/ontology#>\n"
         "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
         "SELECT ?label WHERE { ?s a dmo:City ; rdfs:label ?label FILTER(lang(?label) = 'fr') }\n"
         "ORDER BY ?label")
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def without_javascript(chromium: Browser) -> Page:
    context = chromium.new_context(java_script_enabled=False,
                                   viewport={"width": 1280, "height": 900})
    return context.new_page()


def test_the_editor_without_javascript_runs_a_query_from_a_plain_form(
        chromium: Browser, live_server: LiveServer, tmp_path: Path) -> None:
    page = without_javascript(chromium)
    page.goto(f"{live_server.url}/sparql?{urlencode({'query': QUERY, 'lang': 'fr'})}")
    form = page.locator("form.plain")
    assert "a besoin de JavaScript" in form.inner_text()
    assert page.get_by_label("Requête", exact=True).input_value() == QUERY
    page.get_by_label("Format de la réponse").select_option("csv")
    with page.expect_download() as download:
        page.get_by_role("button", name="Lancer la requête").click()
    saved = tmp_path / "answer.csv"
    download.value.save_as(saved)
    labels = [row["label"] for row in csv.DictReader(io.StringIO(saved.read_text("utf-8")))]
    assert "Lille" in labels and "Paris" in labels


def test_the_editor_without_javascript_opens_an_example_in_its_form(
        chromium: Browser, live_server: LiveServer) -> None:
    page = without_javascript(chromium)
    page.goto(f"{live_server.url}/sparql?lang=en")
    assert page.get_by_label("Query", exact=True).input_value() == ""
    examples = page.locator("form.plain li a")
    assert examples.count() > 5
    examples.first.click()
    assert "SELECT" in page.get_by_label("Query", exact=True).input_value()


def test_the_plain_form_is_in_the_editor_page(live_server: LiveServer) -> None:
    reply = request("GET", f"{live_server.url}/sparql?{urlencode({'query': QUERY})}",
                    headers={"Accept": BROWSER_ACCEPT})
    plain = reply.text.split("<noscript>")[1].split("</noscript>")[0]
    assert '<form class="plain" method="get" action="/sparql">' in plain
    assert html.unescape(re.findall(r"<textarea[^>]*>(.*?)</textarea>", plain, re.S)[0]) == QUERY
    formats = re.findall(r'<option value="(\w+)"', plain)
    assert {"json", "xml", "csv", "tsv", "turtle"} <= set(formats)
    # What the form sends: the query and a format, which a browser gets as the answer.
    sent = urlencode({"query": QUERY, "format": "csv"})
    answer = request("GET", f"{live_server.url}/sparql?{sent}", headers={"Accept": BROWSER_ACCEPT})
    assert answer.media_type == "text/csv" and "Lille" in answer.text


def test_the_api_docs_without_javascript_list_the_operations(
        chromium: Browser, live_server: LiveServer, spec: dict[str, Any]) -> None:
    page = without_javascript(chromium)
    page.goto(f"{live_server.url}/api/docs?lang=en")
    listed = page.locator("section.operations li").all_inner_texts()
    expected = [f"{method.upper()} {path}" for path, item in spec["paths"].items()
                for method in item if method != "parameters"]
    assert [" ".join(text.split()[:2]) for text in listed] == expected
    assert "Look up an entity by its IRI." in " ".join(listed)
    page.get_by_role("link", name="OpenAPI document (JSON)").click()
    assert page.url == f"{live_server.url}/api/openapi.json"


def test_the_api_docs_page_lists_the_operations_in_french(live_server: LiveServer,
                                                          spec: dict[str, Any]) -> None:
    reply = request("GET", f"{live_server.url}/api/docs?lang=fr")
    listed = reply.text.split("<noscript>")[1].split("</noscript>")[0]
    assert "Opérations" in listed and 'href="/api/openapi.json"' in listed
    for path in spec["paths"]:
        assert f"{html.escape(path)}</code>" in listed, path
    assert '<span lang="fr">Consulter une entité par son IRI.</span>' in listed
    assert 'lang="en"' not in listed


def test_every_text_of_the_api_document_is_written_in_french_too(spec: dict[str, Any]) -> None:
    texts = [spec["info"]["title"], spec["info"]["description"]]
    for item in spec["paths"].values():
        for key, value in item.items():
            operations = [] if key == "parameters" else [value]
            parameters = value if key == "parameters" else value.get("parameters", [])
            texts += [o[k] for o in operations for k in ("summary", "description") if k in o]
            texts += [p["description"] for p in parameters if "description" in p]
    missing = [t for t in texts if api_text_key(t) not in API_FRENCH]
    assert missing == []
