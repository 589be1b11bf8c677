"""Every route belongs to a family, and every answer of a family, success or error, follows the
family's rules (error format, CORS, Vary, page headers, kept answers): walked over the
application's whole URL map and over every error status each family can give, over real HTTP."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask

from kg.paths import Layout
from service.app import create_app
from service.errors import error_format
from service.front import BODY_SECONDS
from service.i18n import LANG_COOKIE
from service.routes import (
    FAMILIES,
    UNROUTED,
    ErrorFormat,
    Family,
    family,
    family_of,
    requested_format,
)
from tests.http import Reply, request
from tests.live import LiveServer
from tests.service.test_writes import TOKEN, writable_settings

SAMPLES = {"kind": "substance", "slug": "ketamine", "version": "0.1.0",
           "name": "cq02-drive-cities", "filename": "vendor/yasgui-4.6.2/LICENSE",
           "part": "graph/facts"}
# Query strings a route needs to succeed.
ARGUMENTS = {"/rdf-graphs/service": "?default", "/api/entity":
             "?iri=https%3A%2F%2Fw3id.org%2Fdmkg%2Fid%2Fsubstance%2Fketamine"}
ENDLESS = quote("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")
BEARER = {"Authorization": "Bearer not-a-token-of-anyone"}
GOOD = {"Authorization": f"Bearer {TOKEN}"}
IMAGE = {"Accept": "image/png"}
TOO_BIG = 20 * 1024 * 1024
GSP = "/rdf-graphs/service?graph=urn:x:g"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
BROWSER = {"Accept": BROWSER_ACCEPT}

# Each error status a family can give, and a request that gets it from the plain service:
# (status, method, path, body, headers). Every family of the table has some (a test fails
# otherwise); those the HTTP front gives every family are sent to each in
# test_the_front_refuses_in_every_familys_format.
Case = tuple[int, str, str, str | int | None, dict[str, str]]
ERRORS: dict[str, list[Case]] = {
    "pages": [(400, "GET", "/browse/substance?page=x", None, {}),
              (404, "GET", "/browse/nonsense", None, {}),
              (404, "GET", "/no-such-page", None, {}),
              (405, "POST", "/search", "", {}),
              (414, "GET", f"/claims?trend={'x' * 9000}", None, {})],
    "page-data": [(400, "GET", "/claims?format=json&trend=bad", None, {}),
                  (400, "GET", "/claims?format=csv&kind=Rumour", None, {}),
                  (400, "GET", "/browse/substance?format=json&per_page=0", None, {}),
                  (404, "GET", "/browse/nonsense?format=json", None, {}),
                  (405, "POST", "/map?format=json", "", {}),
                  # Refused before the request is read whole: the format asked still counts.
                  (414, "GET", f"/claims?format=json&trend={'x' * 9000}", None, {}),
                  (414, "GET", f"/map?format=csv&q={'x' * 9000}", None, {})],
    "static": [(404, "GET", "/static/no-such-file.js", None, {}),
               (405, "POST", "/favicon.ico", "", {})],
    "endpoint": [(400, "GET", "/sparql?query=ASK%20%7B", None, {}),
                 # A person using the editor's form without scripts gets a page.
                 (400, "POST", "/sparql", "query=ASK%20%7B", BROWSER | {
                     "Content-Type": "application/x-www-form-urlencoded"}),
                 (404, "GET", "/sparql/no-such-thing", None, {}),
                 (405, "DELETE", "/sparql", None, {}),
                 (405, "GET", "/sparql?update=CLEAR%20ALL", None, {}),
                 (406, "GET", "/sparql?query=ASK%7B%7D", None, IMAGE),
                 (413, "POST", "/sparql", TOO_BIG, {}),
                 (415, "POST", "/sparql", "ASK {}", {"Content-Type": "text/plain"})],
    "graph-store": [(400, "GET", "/rdf-graphs/service", None, {}),
                    (404, "GET", "/rdf-graphs/service?graph=urn:x:none", None, {}),
                    (405, "PATCH", "/rdf-graphs/service", None, {}),
                    (406, "GET", "/rdf-graphs/service?default", None, IMAGE)],
    "linked-data": [(400, "GET", "/id/substance/ketamine?format=nonsense", None, {}),
                    (404, "GET", "/id/substance/unobtainium", None, {}),
                    (405, "POST", "/id/substance/ketamine", "", {}),
                    (406, "GET", "/id/substance/ketamine", None, IMAGE)],
    "dataset": [(400, "GET", "/ontology?format=nonsense", None, {}),
                (404, "GET", "/dumps/no-such-dump.nq", None, {}),
                # A person mistyping the address of one of its pages gets a page.
                (404, "GET", "/dataset/nope", None, BROWSER),
                (404, "GET", "/graph/nope", None, BROWSER),
                (404, "GET", "/ontology/nope", None, BROWSER),
                (405, "POST", "/dataset", "", {}),
                (406, "GET", "/ontology", None, IMAGE)],
    "api": [(400, "GET", "/api/sources?page=x", None, {}),
            (404, "GET", "/api/queries/no-such-query", None, {}),
            (404, "GET", "/api/docs/nope", None, BROWSER),
            (405, "POST", "/api/types", "", {}),
            (414, "GET", f"/api/types?lang={'x' * 9000}", None, {})],
    "api-lookups": [(400, "GET", "/api/entities/substance/ketamine?lang=xx", None, {}),
                    (400, "GET", "/api/search", None, {}),
                    (404, "GET", "/api/entities/substance/unobtainium", None, {}),
                    (405, "DELETE", "/api/entities/substance/ketamine", None, {}),
                    (405, "POST", "/api/search?q=x", "", {}),
                    (414, "GET", f"/api/search?q={'x' * 9000}", None, {})],
    "reconciliation": [(400, "GET", "/reconcile?queries=not-json", None, {}),
                       (404, "GET", "/reconcile/no-such-thing", None, {}),
                       (405, "DELETE", "/reconcile", None, {}),
                       (413, "POST", "/reconcile", TOO_BIG, {})],
    "operator": [(404, "GET", "/ready/no-such-thing", None, {}),
                 (405, "POST", "/health", "", {})],
    "admin": [(403, "GET", "/admin/backup", None, {}),
              (404, "GET", "/admin/backup/no-such-thing", None, {}),
              (405, "DELETE", "/admin/backup", None, {})],
    # Refused before its body is read (writes are not enabled).
    "restore": [(403, "POST", "/admin/restore", "x", {}),
                (404, "GET", "/admin/restore/no-such-thing", None, {}),
                (405, "GET", "/admin/restore", None, {})],
}
# Those that need writes enabled (401 and 415 of the write routes).
WRITE_ERRORS: dict[str, list[Case]] = {
    "endpoint": [(401, "POST", "/sparql", "CLEAR SILENT GRAPH <urn:x:g>",
                  {"Content-Type": "application/sparql-update", **BEARER})],
    "graph-store": [(401, "PUT", GSP, "", BEARER),
                    (415, "PUT", GSP, "x", {"Content-Type": "text/x-nonsense", **GOOD}),
                    (413, "PUT", GSP, TOO_BIG, {"Content-Type": "text/turtle", **GOOD})],
    "admin": [(401, "GET", "/admin/backup", None, BEARER)],
    "restore": [(401, "POST", "/admin/restore", "x", BEARER),
                (415, "POST", "/admin/restore", "x", {"Content-Type": "text/plain", **GOOD}),
                (413, "POST", "/admin/restore", 2 << 30, {"Content-Type": "application/zip",
                                                          **GOOD})],
}


@pytest.fixture(scope="module")
def app(built: Layout) -> Iterator[Flask]:
    yield create_app({"HOME": str(built.root), "STORE": "memory"})


def _paths(app: Flask) -> list[tuple[str, str]]:
    """(path, method) for every rule of the URL map and each of its methods."""
    found = []
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: SAMPLES[m.group(1)], rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((path, method))
    return sorted(set(found))


def test_every_route_belongs_to_a_family(app: Flask) -> None:
    for path, _ in _paths(app):
        assert family_of(path) in FAMILIES, path


def _send(server: LiveServer, method: str, path: str, body: str | int | None,
          headers: dict[str, str]) -> Reply:
    if isinstance(body, int):
        return _announced_too_big(server, method, path, body, headers)
    return request(method, server.url + path, body, headers)


def _announced_too_big(server: LiveServer, method: str, path: str, size: int,
                       headers: dict[str, str]) -> Reply:
    """Send a request whose body is announced larger than allowed, and read the answer."""
    head = {"Content-Type": "application/sparql-query", **headers}
    lines = "".join(f"{name}: {value}\r\n" for name, value in head.items())
    return _raw(server.port, f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             f"Connection: close\r\n{lines}Content-Length: {size}\r\n\r\n",
                b"ASK {}", timeout=30)


def varied_on(reply: Reply) -> set[str]:
    """The request headers an answer says it depends on, in small letters."""
    return {v.strip().lower() for v in reply.headers.get("vary", "").split(",") if v.strip()}


def declared_vary(chosen: Family, reply: Reply) -> set[str]:
    """The request headers the family table says such an answer depends on."""
    declared = chosen.vary + "," + (chosen.pages_vary if reply.media_type == "text/html" else "")
    return {v.strip().lower() for v in declared.split(",") if v.strip()}


MEDIA = {ErrorFormat.TEXT: "text/plain", ErrorFormat.JSON: "application/json",
         ErrorFormat.HTML: "text/html"}


def family_asked(path: str) -> Family:
    """The family of a path with its query string."""
    bare, _, query = path.partition("?")
    return family(bare, requested_format(query))


def check(reply: Reply, path: str, method: str = "GET", credentials: bool = False,
          accept: str = "") -> None:
    """Assert that an answer to a request accepting accept follows the rules of its path's
    family."""
    chosen = family_asked(path)
    where = (method, path, reply.status, chosen.name, reply.headers)
    assert reply.headers.get("x-content-type-options") == "nosniff", where
    cors = reply.headers.get("access-control-allow-origin") == "*"
    assert cors == (chosen.cors and not credentials), where
    assert declared_vary(chosen, reply) <= varied_on(reply), where
    if reply.media_type == "text/html" and chosen.page_headers:
        assert "content-security-policy" in reply.headers, where
    if chosen.kept and reply.status == 200 and method == "GET":
        assert "etag" in reply.headers and "dmkg-cache" in reply.headers, where
    if not chosen.kept:
        assert "dmkg-cache" not in reply.headers, where
    if reply.status < 400:
        return
    shape = error_format(chosen, accept)
    assert reply.media_type == MEDIA[shape], where
    assert b"Traceback" not in reply.body, where
    if chosen.browser_errors is not None:
        assert "accept" in varied_on(reply), where  # a page for browsers, else the format
    if reply.status == 405:
        assert reply.headers.get("allow"), where  # what is allowed instead (RFC 9110)
    if shape is ErrorFormat.JSON:
        error = json.loads(reply.body)
        assert error["code"] == reply.status and error["message"] and error["status"], where
    elif shape is ErrorFormat.HTML:
        assert f"<title>{reply.status} ".encode() in reply.body, where
    else:
        assert reply.body.strip() and b"<html" not in reply.body, where


def test_every_route_follows_its_family_on_success_and_error(
        app: Flask, live_server: LiveServer) -> None:
    seen: dict[str, set[int]] = {}
    served_pages: set[str] = set()
    met: set[tuple[str, int]] = set()  # (family, error status) the walk met
    for path, method in _paths(app):
        body = "" if method in {"POST", "PUT"} else None
        query = ARGUMENTS.get(path, "") if method == "GET" else ""
        reply = request(method, live_server.url + path + query, body)
        check(reply, path, method)
        seen.setdefault(family_of(path).name, set()).add(reply.status)
        # Errors on the same route: an unknown path below it, a method it refuses, a media
        # type it cannot give.
        below = path.rstrip("/") + "/no-such-thing"
        for where, error in ((below, request("GET", live_server.url + below)),
                             (path, request("PATCH", live_server.url + path)),
                             (path + query, request("GET", live_server.url + path + query,
                                                    headers=IMAGE) if method == "GET" else None)):
            if error is not None:
                check(error, where, "PATCH" if error.status == 405 else "GET")
                if error.status >= 400:
                    met.add((family_asked(where).name, error.status))
        if method == "GET" and request("GET", live_server.url + path + query,
                                       headers=BROWSER).media_type == "text/html":
            # A family that serves pages answers a person's mistyped address with one.
            missing = request("GET", live_server.url + below, headers=BROWSER)
            check(missing, below, accept=BROWSER_ACCEPT)
            if family(below) is family(path):
                assert missing.status == 404 and missing.media_type == "text/html", below
                served_pages.add(family(path).name)
        if method == "GET" and family_of(path, "json").formats:
            download = request("GET", f"{live_server.url}{path}?format=json")
            check(download, f"{path}?format=json")
            seen.setdefault(family_of(path, "json").name, set()).add(download.status)
    for chosen in FAMILIES:
        # Without writes enabled, a family of writes only (admin) has no success to give.
        assert any(s < 300 for s in seen[chosen.name]) or chosen.needs_token("GET"), chosen
    # The walk did see the pages of each family that has some.
    assert {"pages", "endpoint", "linked-data", "dataset", "api"} <= served_pages, served_pages
    # Each error status the walk met in a family is one of its error cases.
    cases = {(name, case[0]) for table in (ERRORS, WRITE_ERRORS)
             for name, listed in table.items() for case in listed}
    assert met <= cases, sorted(met - cases)


def test_every_answer_written_in_the_cookies_language_varies_on_the_cookie(
        app: Flask, live_server: LiveServer) -> None:
    """Each GET route with and without the French cookie: where the answers differ, the
    family table and the answer both name Cookie."""
    french = {"Cookie": f"{LANG_COOKIE}=fr"}
    differ = set()
    # The sample name fits /api/queries/<name>; /graph/<name> is walked with a graph's too.
    paths = [path for path, method in _paths(app) if method == "GET"] + ["/graph/facts"]
    for path in paths:
        url = live_server.url + path + ARGUMENTS.get(path, "")
        for accept in ("text/html", "*/*"):
            plain = request("GET", url, headers={"Accept": accept})
            chosen = request("GET", url, headers={"Accept": accept, **french})
            if plain.body == chosen.body:
                continue
            differ.add(path)
            where = (path, accept, family(path).name)
            assert "cookie" in declared_vary(family(path), chosen), where
            assert "cookie" in varied_on(plain) and "cookie" in varied_on(chosen), where
    # The walk does see the pages that follow the cookie, of every family that has some.
    assert {"/", "/sparql", "/dataset", "/graph/facts", "/api/docs",
            "/id/substance/ketamine"} <= differ, differ


def test_the_error_cases_name_only_families_of_the_table() -> None:
    names = {chosen.name for chosen in FAMILIES}
    assert set(ERRORS) <= names and set(WRITE_ERRORS) <= names


def _send_cases(server: LiveServer, name: str, cases: list[Case],
                credentials: bool = False) -> list[tuple[int, Reply]]:
    """Send each error case of a family; assert it gets its status in the family's format."""
    replies = []
    for status, method, path, body, headers in cases:
        reply = _send(server, method, path, body, headers)
        assert reply.status == status, (method, path, reply.status, reply.body[:200])
        assert family_asked(path).name == name, path
        check(reply, path, method, credentials, headers.get("Accept", ""))
        replies.append((status, reply))
    return replies


@pytest.mark.parametrize("name", [chosen.name for chosen in FAMILIES])
def test_each_error_status_of_a_family_follows_its_rules(live_server: LiveServer,
                                                         name: str) -> None:
    # Every family of the table: a family added without error cases fails here.
    assert ERRORS.get(name), f"no error cases for the {name} family"
    _send_cases(live_server, name, ERRORS[name])


@pytest.fixture(scope="module")
def writable(tmp_path_factory: pytest.TempPathFactory, built: Layout) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("writable-routes")
    with LiveServer(folder, home=built.root, settings=writable_settings(folder)) as server:
        yield server


@pytest.mark.parametrize("name", sorted(WRITE_ERRORS))
@pytest.mark.parametrize("expect", [{}, {"Expect": "100-continue"}], ids=["sent", "expect"])
def test_the_write_errors_follow_their_family(writable: LiveServer, name: str,
                                              expect: dict[str, str]) -> None:
    # With `Expect: 100-continue` or without, a write without a valid token is refused by
    # the front before its body is read: with no CORS either, since it carries credentials.
    cases = [(status, method, path, body, headers | expect)
             for status, method, path, body, headers in WRITE_ERRORS[name]]
    for status, reply in _send_cases(writable, name, cases, credentials=True):
        if status == 401:
            assert reply.headers["www-authenticate"].startswith("Bearer")


def _one_path_of(chosen: Family) -> str:
    """A path the family answers, with the ?format= it needs."""
    path = "/api/types" if chosen.name == "api" else chosen.prefixes[0]
    path = "/id/substance/ketamine" if chosen.name == "linked-data" else path
    return f"{path}?format={chosen.formats[0]}" if chosen.formats else path


@pytest.mark.parametrize("chosen", FAMILIES, ids=lambda f: f.name)
def test_an_answer_written_on_the_socket_is_in_the_family_format(chosen: Family) -> None:
    # What the memory cap writes to the requests in hand before the process ends.
    from service.errors import ServiceError, raw_error

    path = _one_path_of(chosen)
    raw = raw_error(ServiceError(503, "the query needed more memory"), path)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines[1:])}
    assert lines[0] == "HTTP/1.1 503 Service Unavailable"
    assert int(headers["content-length"]) == len(body)
    check(Reply(503, headers, body), path)
    assert family_asked(path) is chosen


@pytest.mark.slow  # a server of its own, a query let run to its time limit
def test_the_time_limit_and_the_rate_limit_answer_in_the_family_format(
        tmp_path: Path, built: Layout) -> None:
    settings = {"QUERY_TIMEOUT": "1", "RATE_LIMIT": "0.2", "RATE_BURST": "2"}
    with LiveServer(tmp_path, home=built.root, settings=settings) as server:
        stopped = request("GET", f"{server.url}/sparql?query={ENDLESS}")
        while stopped.status == 429:  # the start-up probes spent the burst
            time.sleep(int(stopped.headers["retry-after"]))
            stopped = request("GET", f"{server.url}/sparql?query={ENDLESS}")
        assert stopped.status == 503 and "time limit" in stopped.text
        check(stopped, "/sparql")
        # Wait for the retired worker's successor before counting what the families answer
        # (its rate limit starts afresh).
        deadline = time.monotonic() + 30
        while True:
            try:
                if request("GET", f"{server.url}/health").status == 200:
                    break
            except ConnectionError:
                assert time.monotonic() < deadline, "no worker came to replace the retired one"
                time.sleep(0.2)
        for chosen in FAMILIES:
            path = _one_path_of(chosen)
            # The worker that ran the stopped query was replaced: its successor admits two.
            replies = [request("GET", server.url + path) for _ in range(4)]
            statuses = [r.status for r in replies]
            if chosen.limited:
                assert 429 in statuses, (chosen.name, statuses)
                refused = replies[statuses.index(429)]
                assert int(refused.headers["retry-after"]) >= 1
                check(refused, path)
            else:
                assert 429 not in statuses, (chosen.name, statuses)


@pytest.mark.parametrize("path", ["/sparql", "/api/search", "/id/substance/ketamine",
                                  "/reconcile"])
def test_preflight_by_family(live_server: LiveServer, path: str) -> None:
    preflight = request("OPTIONS", live_server.url + path,
                        headers={"Origin": "https://elsewhere.example",
                                 "Access-Control-Request-Method": "GET",
                                 "Access-Control-Request-Headers": "accept"})
    assert preflight.status == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "GET" in preflight.headers["access-control-allow-methods"]
    assert "authorization" not in preflight.headers["access-control-allow-headers"].lower()


def test_pages_and_admin_carry_no_cors(live_server: LiveServer) -> None:
    for path in ("/", "/search?q=drive", "/admin/backup"):
        assert "access-control-allow-origin" not in request(
            "GET", live_server.url + path).headers


def test_a_request_line_too_long_is_plain_text_readable_cross_origin(
        live_server: LiveServer) -> None:
    reply = request("GET", f"{live_server.url}/sparql?query={'a' * 9000}",
                    headers={"Origin": "https://example.org"})
    assert reply.status == 414
    assert reply.media_type == "text/plain"
    assert reply.headers.get("x-content-type-options") == "nosniff"
    assert reply.headers.get("access-control-allow-origin") == "*"
    assert b"POST" in reply.body and b"<html" not in reply.body


@pytest.mark.parametrize("path", ["/", "/sparql", "/api/docs", "/id/substance/ketamine",
                                  "/timeline", "/map", "/claims", "/search?q=kokain"])
def test_pages_run_their_own_scripts_only(live_server: LiveServer, path: str) -> None:
    reply = request("GET", live_server.url + path, headers={"Accept": "text/html"})
    assert reply.status == 200, reply.text
    policy = dict(part.strip().split(" ", 1) for part in
                  reply.headers["content-security-policy"].split(";"))
    assert policy["script-src"] == "'self'"
    # Every script is a file of the service's own, or data that no browser runs.
    for attributes in re.findall(r"<script([^>]*)>", reply.text):
        assert "src=" in attributes or re.search(r'type="application/(ld\+)?json"', attributes), \
            attributes
    assert not re.search(r"<[^>]+\son[a-z]+=", reply.text)  # no inline event handlers



def test_a_browser_gets_linked_data_errors_as_a_page_in_its_language(
        live_server: LiveServer) -> None:
    missing = f"{live_server.url}/id/substance/nope"
    french = {"Accept": BROWSER_ACCEPT, "Accept-Language": "fr"}
    page = request("GET", missing, headers=french)
    assert page.status == 404 and page.media_type == "text/html"
    assert '<html lang="fr">' in page.text and "Page introuvable" in page.text
    assert "substance/nope" in page.text
    refused = request("DELETE", f"{live_server.url}/id/substance/cocaine?lang=fr",
                      headers={"Accept": BROWSER_ACCEPT})
    assert refused.status == 405 and refused.media_type == "text/html"
    assert "Méthode non autorisée" in refused.text and "GET" in refused.headers["allow"]
    english = request("GET", missing, headers={"Accept": BROWSER_ACCEPT, "Accept-Language": "en"})
    assert '<html lang="en">' in english.text and "404 Not Found" in english.text
    # Other clients keep their one line of text.
    for accept in ("", "*/*", "text/turtle", "application/ld+json"):
        reply = request("GET", missing, headers={"Accept": accept, "Accept-Language": "fr"})
        assert reply.status == 404 and reply.media_type == "text/plain", accept
        assert reply.text == "no entity substance/nope in this graph\n"


@pytest.mark.parametrize("path", ["/claims?format=json", "/claims?format=csv",
                                  "/map?format=json", "/browse/substance?format=json"])
def test_the_downloads_of_pages_carry_cors_as_the_api_does(live_server: LiveServer,
                                                          path: str) -> None:
    download = request("GET", live_server.url + path)
    assert download.status == 200 and download.media_type != "text/html"
    assert download.headers["access-control-allow-origin"] == "*"
    page = request("GET", live_server.url + path.split("?")[0])
    assert "access-control-allow-origin" not in page.headers


@pytest.mark.parametrize("path", ["/api/entities/substance/ketamine", "/api/search?q=keta"])
def test_api_look_ups_and_searches_are_kept_and_vary_on_nothing_they_ignore(
        live_server: LiveServer, path: str) -> None:
    url = live_server.url + path
    first = request("GET", url, headers={"Accept-Language": "de"})
    french = request("GET", url, headers={"Accept-Language": "fr", "Accept": "text/html",
                                          "Cookie": f"{LANG_COOKIE}=fr"})
    assert first.status == french.status == 200 and first.body == french.body
    # The language is the lang parameter's: the answer is kept once for every reader.
    assert french.headers["dmkg-cache"] == "hit" and french.headers["etag"] == first.headers["etag"]
    assert not varied_on(french) & {"accept", "accept-language", "cookie"}, french.headers
    again = request("GET", url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status == 304


def test_views_raise_their_errors_and_never_abort() -> None:
    # One error model: views raise ServiceError (or a domain error with its status in
    # service/errors.py); werkzeug's abort() would bypass the messages written there.
    root = Path(__file__).resolve().parents[2] / "service"
    aborting = [p.name for p in sorted(root.glob("*.py"))
                if re.search(r"\babort\(", p.read_text(encoding="utf-8"))]
    assert aborting == []


def _raw(port: int, head: str, body: bytes = b"", timeout: float = 60) -> Reply:
    """Send bytes as they are (a request the HTTP front refuses) and read the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head.encode("latin-1") + body)
        raw = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                raw += chunk
    top, _, content = raw.partition(b"\r\n\r\n")
    first, *rest = top.decode("latin-1").split("\r\n")
    fields = dict(line.split(": ", 1) for line in rest)
    return Reply(int(first.split()[1]), {k.lower(): v for k, v in fields.items()}, content)


# The request buffer of the front's server: a body announced larger is refused (503).
BUFFER_MB = 1


@pytest.fixture(scope="module")
def front_server(tmp_path_factory: pytest.TempPathFactory,
                 built: Layout) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("front-routes")
    with LiveServer(folder, home=built.root,
                    settings={"REQUEST_BUFFER_MB": str(BUFFER_MB)}) as server:
        yield server


def _refusals(target: str) -> list[tuple[int, str]]:
    """Requests to target the HTTP front refuses before the application sees them, each with
    the status it gets: (status, request head)."""
    host = "Host: 127.0.0.1\r\nConnection: close\r\n"
    longer = target + ("&" if "?" in target else "?") + "x=" + "y" * 9000
    fields = "".join(f"X-Field-{n}: 1\r\n" for n in range(101))
    return [
        # Two lengths: the parser refuses it (uvicorn's own answer before).
        (400, f"POST {target} HTTP/1.1\r\n{host}Content-Length: 1\r\nContent-Length: 2\r\n\r\n"),
        (414, f"GET {longer} HTTP/1.1\r\n{host}\r\n"),
        (431, f"GET {target} HTTP/1.1\r\n{host}{fields}\r\n"),
        (501, f"POST {target} HTTP/1.1\r\n{host}Transfer-Encoding: gzip, chunked\r\n\r\n"),
        # More than the worker reads at once: told to come back (PUT: not a backup, which
        # is refused before its body when writes are not enabled).
        (503, f"PUT {target} HTTP/1.1\r\n{host}Content-Length: {(BUFFER_MB << 20) + 1}\r\n"
              "\r\n"),
    ]


@pytest.mark.parametrize("chosen", FAMILIES, ids=lambda f: f.name)
def test_the_front_refuses_in_every_familys_format(front_server: LiveServer,
                                                   chosen: Family) -> None:
    """Each status the HTTP front gives any request, over real HTTP to a path of each family:
    in the family's format, with its CORS and nosniff."""
    target = _one_path_of(chosen)
    for status, head in _refusals(target):
        reply = _raw(front_server.port, head)
        assert reply.status == status, (target, head[:60], reply.status, reply.body[:200])
        check(reply, target, head.split()[0])
        if status == 503:
            assert int(reply.headers["retry-after"]) >= 1


def test_a_request_line_that_names_no_path_gets_the_page_of_an_unknown_address(
        live_server: LiveServer) -> None:
    # Not HTTP at all: no path, so no family but the one of addresses no family names.
    reply = _raw(live_server.port, "GARBAGE\r\n\r\n")
    assert reply.status == 400 and family("") is UNROUTED
    check(reply, "/no-such-page")
    assert b"<title>400 " in reply.body


@pytest.mark.slow  # waits for the front's time limit on a body (BODY_SECONDS, 30 s)
def test_a_body_too_slow_is_refused_in_every_familys_format(front_server: LiveServer) -> None:
    def slow(chosen: Family) -> tuple[Family, Reply]:
        target = _one_path_of(chosen)
        # Ten bytes announced, one sent: the front stops waiting for the rest (PUT: not a
        # backup, refused before its body when writes are not enabled).
        return chosen, _raw(front_server.port, f"PUT {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                               "Content-Length: 10\r\n\r\n", b"q",
                            timeout=BODY_SECONDS + 30)

    with ThreadPoolExecutor(len(FAMILIES)) as pool:
        for chosen, reply in pool.map(slow, FAMILIES):
            assert reply.status == 408, (chosen.name, reply.status, reply.body[:200])
            check(reply, _one_path_of(chosen), "PUT")


@pytest.mark.parametrize("chosen", [f for f in FAMILIES if f.writes], ids=lambda f: f.name)
def test_each_write_of_the_table_is_refused_before_its_body_without_a_token(
        writable: LiveServer, chosen: Family) -> None:
    # The HTTP front reads the table's writes: a client waiting for `100 Continue` gets its
    # 401 instead, and never sends the body.
    path = GSP if chosen.name == "graph-store" else chosen.prefixes[0]
    for method in [m for m in chosen.writes if m != "*"] or ["POST"]:
        reply = _raw(writable.port, f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                    "Connection: close\r\nExpect: 100-continue\r\n"
                                    "Content-Length: 5000000\r\n\r\n", timeout=10)
        assert reply.status == 401, (chosen.name, method, reply.status, reply.body[:200])
        check(reply, path, method)


@pytest.mark.parametrize("path", ["/sparql", "/sparql/"])
def test_a_form_update_with_a_wrong_token_is_refused_before_its_body_on_both_endpoint_paths(
        writable: LiveServer, path: str) -> None:
    # The endpoint answers both paths: a form carrying a bearer token is a write on both.
    reply = _raw(writable.port, f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                "Connection: close\r\nExpect: 100-continue\r\n"
                                "Authorization: Bearer wrong-token\r\n"
                                "Content-Type: application/x-www-form-urlencoded\r\n"
                                "Content-Length: 5000000\r\n\r\n", timeout=10)
    assert reply.status == 401, (path, reply.status, reply.body[:200])


# A path of each family that reads the store when asked, for the 503 of a store that stopped
# answering (the families whose answers need none are not in it).
READS_THE_STORE = {"pages": "/", "page-data": "/claims?format=json",
                   "endpoint": "/sparql?query=ASK%7B%7D", "linked-data": "/id/substance/ketamine",
                   "api-lookups": "/api/entities/substance/ketamine", "operator": "/ready"}


@pytest.mark.slow  # two servers: the second one's store is the first one's endpoint
def test_a_store_that_stopped_answering_gives_a_503_in_each_familys_format(
        tmp_path: Path, built: Layout) -> None:
    (tmp_path / "store").mkdir()
    (tmp_path / "service").mkdir()
    store = LiveServer(tmp_path / "store", home=built.root, args=("--store", "memory"))
    with store, LiveServer(tmp_path / "service", home=built.root,
                           args=("--store", f"sparql+{store.url}/sparql")) as service:
        store.__exit__(None, None, None)
        for name, path in READS_THE_STORE.items():
            for accept in ("", BROWSER_ACCEPT):
                if name == "endpoint" and accept:
                    continue  # a browser gets the query editor, which runs the query itself
                reply = request("GET", service.url + path, headers={"Accept": accept})
                assert reply.status == 503, (name, accept, reply.status, reply.body[:200])
                assert family_asked(path).name == name, path
                check(reply, path, accept=accept)
                assert b"cannot be reached" in reply.body, (name, reply.body[:300])
