"""The query editor in a real headless Chromium: it loads offline and runs an example."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlencode, urlsplit

import pytest
from playwright.sync_api import Browser, Page

from kg.namespaces import PREFIXES
from kg.paths import Layout
from kg.queryfiles import read_queries
from tests.browser import artifacts_dir
from tests.http import request
from tests.live import LiveServer

pytestmark = pytest.mark.slow  # headless Chromium


def test_editor_runs_an_example_query_and_shows_rows(chromium: Browser, live_server: LiveServer,
                                                    layout: Layout) -> None:
    requested: list[str] = []
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.on("request", lambda r: requested.append(r.url))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server.url}/sparql", wait_until="networkidle")
    # On a busy machine the editor may be drawn a moment after the network is idle.
    page.locator(".CodeMirror").first.wait_for(state="visible", timeout=20_000)
    assert page.locator(".tabPanel.active .CodeMirror").count() == 1
    assert "SMS" in _editor_text(page)
    page.locator(".yasqe_queryButton").first.click()
    page.wait_for_selector(".yasr td", timeout=20_000)
    cells = page.locator(".yasr td").all_inner_texts()
    page.screenshot(path=str(artifacts_dir(layout.root) / "sparql-editor.png"), full_page=True)
    # The competency questions sit in a menu, not in fifteen tabs.
    assert page.locator("#examples-menu option").count() == len(read_queries(
        layout.queries_dir)) + 1
    assert "International (UN) control status" in page.locator(
        "#examples-menu").inner_text()
    text = " ".join(cells)
    for substance in ("cocaine", "MDMA", "crack", "herbal cannabis"):
        assert substance in text
    assert errors == []
    hosts = {urlsplit(url).hostname for url in requested if url.startswith("http")}
    assert hosts == {"127.0.0.1"}, hosts


QUERY = ("PREFIX dmo: <https://w3id.org/dmkg/ontology#>\n"
         "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
         "SELECT ?label WHERE { ?s a dmo:City ; rdfs:label ?label FILTER(lang(?label) = 'fr') }\n"
         "ORDER BY ?label")


def _editor_text(page: Page) -> str:
    value: str = page.evaluate("() => window.dmkgYasgui.getTab().getYasqe().getValue()")
    return value


def _tab_names(page: Page) -> list[str]:
    # Each tab shows its name, then its close button.
    return [t.splitlines()[0].strip() for t in page.locator(".tabsList .tab").all_inner_texts()]


def test_a_query_link_opened_in_a_browser_shows_the_query_and_its_results(chromium: Browser,
        live_server: LiveServer, layout: Layout) -> None:
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    # The browser sends its own Accept (text/html first, application/xml at 0.9).
    response = page.goto(f"{live_server.url}/sparql?{urlencode({'query': QUERY})}",
                         wait_until="networkidle")
    assert response is not None
    assert response.headers["content-type"].startswith("text/html")
    assert "text/html" in response.request.all_headers()["accept"]
    page.wait_for_selector(".yasr td", timeout=20_000)
    assert _editor_text(page) == QUERY
    cells = " ".join(page.locator(".yasr td").all_inner_texts())
    page.screenshot(path=str(artifacts_dir(layout.root) / "sparql-linked-query.png"))
    assert "Lille" in cells and "Paris" in cells
    # A reload keeps the tab but does not open a second copy of the query.
    page.reload(wait_until="networkidle")
    assert _tab_names(page).count("Shared query") == 1


def test_a_query_link_still_answers_sparql_clients(live_server: LiveServer) -> None:
    link = f"{live_server.url}/sparql?{urlencode({'query': QUERY})}"
    for accept in ("", "*/*", "application/sparql-results+xml", "application/xml"):
        reply = request("GET", link, headers={"Accept": accept} if accept else {})
        assert reply.status == 200 and reply.media_type != "text/html", accept
    browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    reply = request("GET", link + "&format=json", headers={"Accept": browser_accept})
    assert reply.media_type == "application/sparql-results+json"
    reply = request("GET", link, headers={"Accept": browser_accept})
    assert reply.media_type == "text/html" and "Accept" in reply.headers["vary"]
    assert reply.headers["access-control-allow-origin"] == "*"
    hostile = request("GET", f"{live_server.url}/sparql?" + urlencode(
        {"query": "SELECT * WHERE { ?s ?p '</script><script>alert(1)</script>' }"}),
        headers={"Accept": browser_accept})
    assert "<script>alert(1)" not in hostile.text


def test_a_shared_link_opens_the_shared_query_and_edits_survive_a_reload(chromium: Browser,
        live_server: LiveServer) -> None:
    author = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    author.goto(f"{live_server.url}/sparql", wait_until="networkidle")
    assert len(_tab_names(author)) == 1
    author.locator("#examples-menu").select_option(
        label="International (UN) control status of each substance")
    assert len(_tab_names(author)) == 2
    assert "International (UN) control status of each substance" in _tab_names(author)
    # The curator edits the query by typing, then reloads the page.
    author.locator(".tabPanel.active .CodeMirror").click()
    author.keyboard.press("Control+End")
    author.keyboard.type("\n# kept across reloads")
    author.wait_for_timeout(500)
    author.reload(wait_until="networkidle")
    assert len(_tab_names(author)) == 2
    assert _editor_text(author).endswith("# kept across reloads")
    author.locator(".tabPanel.active .yasqe_share").click()
    link = author.locator(".yasqe_sharePopup input").input_value()
    assert "#query=" in link

    # Someone else, with nothing stored, opens the link.
    reader = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    reader.goto(link, wait_until="networkidle")
    reader.wait_for_selector(".yasr td", timeout=20_000)
    assert _editor_text(reader).endswith("# kept across reloads")
    assert "control status" in _editor_text(reader).lower() or "UN" in _editor_text(reader)
    assert "#query=" not in reader.url


def test_an_ontology_term_iri_lands_on_its_entry(chromium: Browser,
                                                 live_server: LiveServer) -> None:
    page = chromium.new_page(viewport={"width": 1200, "height": 800})
    page.goto(f"{live_server.url}/ontology#Substance", wait_until="networkidle")
    entry = page.locator("section.term:target")
    assert entry.count() == 1
    assert "https://w3id.org/dmkg/ontology#Substance" in entry.inner_text()
    box = entry.bounding_box()
    assert box is not None and 0 <= box["y"] < 100
    assert page.evaluate("() => window.scrollY") > 500
    # The anchors earlier pages linked to still land on the same entry.
    page.goto(f"{live_server.url}/ontology#dmo-ControlMeasure", wait_until="networkidle")
    assert "ontology#ControlMeasure" in page.locator("span:target").evaluate(
        "e => e.parentElement.innerText")


class _Embedder(BaseHTTPRequestHandler):
    """A page of another origin that frames DMKG pages, as OpenRefine does its preview."""

    target = ""

    def do_GET(self) -> None:
        body = (f'<iframe id="preview" src="{self.target}/reconcile/preview?id=substance/mdma">'
                f'</iframe><iframe id="entity" src="{self.target}/id/substance/mdma"></iframe>'
                ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_openrefine_may_frame_the_preview_and_only_it(chromium: Browser,
                                                      live_server: LiveServer) -> None:
    handler = type("Embedder", (_Embedder,), {"target": live_server.url})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        page = chromium.new_page()
        page.goto(f"http://127.0.0.1:{server.server_port}/", wait_until="networkidle")
        preview = page.frame_locator("#preview")
        assert "MDMA" in preview.locator("strong").inner_text(timeout=10_000)
        handle = page.locator("#entity").element_handle()
        assert handle is not None
        entity = handle.content_frame()
        # Chromium refuses to show a page that forbids framing: its error page instead.
        assert entity is not None and entity.url.startswith("chrome-error:")
        assert "MDMA" not in entity.content()
    finally:
        server.shutdown()
        thread.join()


def test_a_shared_link_followed_in_an_open_editor_opens_the_query(chromium: Browser,
        live_server: LiveServer) -> None:
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/sparql", wait_until="networkidle")
    assert "Shared query" not in _tab_names(page)
    # Same document: only the fragment changes, as when a shared link is pasted.
    page.evaluate("q => { window.location.hash = 'query=' + encodeURIComponent(q); }",
                  QUERY)
    page.wait_for_selector(".yasr td", timeout=20_000)
    assert _editor_text(page) == QUERY
    assert "Shared query" in _tab_names(page)
    assert "Lille" in " ".join(page.locator(".yasr td").all_inner_texts())
    assert "#query=" not in page.url


COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def test_a_query_link_naming_a_dataset_runs_on_that_dataset(chromium: Browser,
                                                            live_server: LiveServer) -> None:
    facts = "https://w3id.org/dmkg/graph/facts"
    whole = json.loads(request("GET", f"{live_server.url}/sparql?" + urlencode(
        {"query": COUNT}), headers={"Accept": "application/sparql-results+json"}).body)
    sent: list[str] = []
    for parameter in ("default-graph-uri", "named-graph-uri"):
        sent.clear()
        params = {"query": COUNT, parameter: facts}
        reply = request("GET", f"{live_server.url}/sparql?{urlencode(params)}",
                        headers={"Accept": "application/sparql-results+json"})
        expected = json.loads(reply.body)["results"]["bindings"][0]["n"]["value"]
        assert expected != whole["results"]["bindings"][0]["n"]["value"]
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        page.on("request", lambda r: sent.append(r.post_data or "")
                if r.method == "POST" else None)
        page.goto(f"{live_server.url}/sparql?{urlencode(params)}",
                  wait_until="networkidle")
        page.wait_for_selector(".yasr td", timeout=20_000)
        cells = page.locator(".yasr td").all_inner_texts()
        assert expected in " ".join(cells), (parameter, expected, cells)
        assert any(urlencode({parameter: facts}) in body for body in sent), sent
        page.close()  # its requests are not the next round's


def test_prefix_completion_offers_the_datasets_own_prefixes_in_french(
        chromium: Browser, live_server: LiveServer) -> None:
    # geo: is W3C Basic Geo in this dataset (the editor's own list says GeoSPARQL), and the
    # editor's hint is written in the page's language.
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/sparql?lang=fr", wait_until="networkidle")
    page.locator(".CodeMirror").first.wait_for(state="visible", timeout=20_000)
    page.evaluate("document.querySelector('.tabPanel.active .CodeMirror').CodeMirror"
                  ".setValue('')")
    page.locator(".tabPanel.active .CodeMirror textarea").first.focus()
    page.keyboard.type("PREFIX geo")
    page.keyboard.press("Control+Space")
    hint = page.locator(".CodeMirror-hints li").first
    hint.wait_for(state="visible", timeout=10_000)
    assert "wgs84_pos" in hint.inner_text() and "geosparql" not in page.locator(
        ".CodeMirror-hints").inner_text()
    page.keyboard.press("Escape")
    # The hint the editor shows where a completion is possible (as its own code calls it).
    page.evaluate("document.querySelector('.tabPanel.active .CodeMirror').CodeMirror"
                  ".showNotification('hint', 'Press CTRL - <spacebar> to autocomplete')")
    notice = page.locator(".tabPanel.active .notificationContainer")
    notice.wait_for(state="attached", timeout=10_000)
    page.wait_for_function("!document.querySelector('.tabPanel.active .notificationContainer')"
                           ".textContent.includes('spacebar')", timeout=10_000)
    assert "Ctrl + Espace" in notice.text_content()
    prefixes = request("GET", f"{live_server.url}/static/js/prefixes.json")
    assert prefixes.status == 200
    assert json.loads(prefixes.text) == {name: str(ns) for name, ns in PREFIXES.items()}
