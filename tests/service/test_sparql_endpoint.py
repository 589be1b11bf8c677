"""Every request to /sparql is answered by the endpoint alone: none enters Flask's request
dispatch, whatever it asks (a query, an update, the editor, the service description, OPTIONS)
and however it is refused; the pages around it still do."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask, request, url_for
from werkzeug.test import Client

from kg.paths import Layout
from service.app import create_app
from service.i18n import LANG_COOKIE
from tests.service.test_writes import TOKEN, writable_settings

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
ASK = "/sparql?query=" + quote("ASK { ?s ?p ?o }")
UPDATE = "INSERT DATA { GRAPH <urn:dmkg:test:one> { <urn:a> <urn:b> 1 } }"
WRITE = {"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"}
# (method, target, headers, body, status): every kind of answer /sparql gives.
REQUESTS = [
    ("GET", ASK, {"Accept": "application/sparql-results+json"}, None, 200),
    ("HEAD", ASK, {}, None, 200),
    ("POST", "/sparql", {"Content-Type": "application/sparql-query"}, "ASK {}", 200),
    ("POST", "/sparql", {"Content-Type": "application/x-www-form-urlencoded"},
     "query=ASK%20%7B%7D", 200),
    ("GET", ASK + "&lang=fr", BROWSER, None, 200),  # the editor, with the query in it
    ("GET", "/sparql", BROWSER, None, 200),  # the editor
    ("GET", "/sparql/", BROWSER, None, 200),
    ("GET", "/sparql", {"Accept": "text/turtle"}, None, 200),  # the service description
    ("OPTIONS", "/sparql", {}, None, 204),
    ("OPTIONS", "/sparql", {"Origin": "https://elsewhere.example",
                            "Access-Control-Request-Method": "POST"}, None, 204),
    ("POST", "/sparql", WRITE, UPDATE, 204),
    ("POST", "/sparql", {"Content-Type": "application/sparql-update"}, UPDATE, 401),
    ("POST", "/sparql", {**WRITE, **BROWSER}, "CLEAR GRAPH <https://w3id.org/dmkg/graph/facts>",
     403),
    ("POST", "/sparql", WRITE, "INSERT DATA {", 400),
    ("GET", "/sparql?query=" + quote("ASK {"), {}, None, 400),
    ("GET", "/sparql?update=" + quote("CLEAR ALL"), {}, None, 405),
    ("DELETE", "/sparql", BROWSER, None, 405),
    ("GET", "/sparql?format=nosuch", {}, None, 400),
    ("GET", "/sparql", {"Accept": "image/png"}, None, 406),
    ("POST", "/sparql", {"Content-Type": "text/plain"}, "ASK {}", 415),
]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, built: Layout) -> Iterator[Flask]:
    folder = tmp_path_factory.mktemp("sparql-endpoint")
    yield create_app({"HOME": str(built.root), **writable_settings(folder)})


def _dispatched(app: Flask) -> list[str]:
    """The paths of the requests Flask dispatches from now on."""
    seen: list[str] = []
    app.before_request_funcs.setdefault(None, []).append(lambda: seen.append(request.path))
    return seen


def test_no_request_to_the_endpoint_enters_flask(app: Flask) -> None:
    dispatched = _dispatched(app)
    client = Client(app)
    for method, target, headers, body, status in REQUESTS:
        reply = client.open(target, method=method, headers=headers, data=body)
        assert reply.status_code == status, (method, target, reply.get_data(as_text=True))
        reply.close()
    assert dispatched == []
    # The pages around it still go through Flask (the check above sees what it would).
    client.get("/", headers=BROWSER).close()
    assert dispatched == ["/"]


def test_the_editor_is_written_as_a_page(app: Flask) -> None:
    client = Client(app)
    reply = client.get(ASK + "&lang=fr", headers=BROWSER)
    page = reply.get_data(as_text=True)
    assert reply.mimetype == "text/html" and '<html lang="fr"' in page
    # Its links are built from Flask's URL map, as the pages' are.
    assert '<form class="plain" method="get" action="/sparql">' in page
    assert 'href="/sparql?format=turtle"' in page
    assert '<script src="/static/js/editor.js"></script>' in page
    assert json.dumps("ASK { ?s ?p ?o }")[1:-1] in page
    # The language asked for is kept for the next pages, as every page keeps it.
    assert f"{LANG_COOKIE}=fr" in reply.headers.get("Set-Cookie", "")


def test_the_endpoint_is_in_the_url_map_for_links_only(app: Flask) -> None:
    rules = [rule for rule in app.url_map.iter_rules() if rule.rule == "/sparql"]
    assert len(rules) == 1 and rules[0].build_only, rules
    with app.test_request_context("/"):
        assert url_for("sparql.sparql", format="turtle") == "/sparql?format=turtle"


def test_an_update_is_audited_with_its_client(app: Flask, tmp_path: Path) -> None:
    client = Client(app)
    text = "INSERT DATA { GRAPH <urn:dmkg:test:audited> { <urn:a> <urn:b> 2 } }"
    reply = client.post("/sparql", data=text, headers=WRITE,
                        environ_overrides={"REMOTE_ADDR": "192.0.2.7"})
    assert reply.status_code == 204, reply.get_data(as_text=True)
    audit = Path(app.extensions["dmkg"].settings.audit_log)
    records = [json.loads(line) for line in audit.read_text(encoding="utf-8").splitlines()]
    mine = [r for r in records if "urn:dmkg:test:audited" in r.get("targets", [])]
    assert [(r["who"], r["client"], r["status"]) for r in mine] == [
        ("alice", "192.0.2.7", "applied")], mine
    # The write is no longer under way once answered.
    assert app.extensions["dmkg"].writes.under_way == {}
