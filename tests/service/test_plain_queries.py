"""A plain GET query is answered from the request's environment alone: read as werkzeug's
request reads it (the same operation, base IRI and refusals), over real HTTP too."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

from hypothesis import example, given, settings
from hypothesis import strategies as st
from werkzeug.wrappers import Request

from service.media import prefers_html
from service.protocol import NOT_PLAIN, Operation, base_of, plain_query, read_operation
from tests.http import request
from tests.live import LiveServer

NAMES = ["query", "update", "format", "output", "results", "default-graph-uri",
         "named-graph-uri", "using-graph-uri", "Query", "other", ""]
VALUES = ["", "ASK {}", "SELECT * { ?s ?p ?o }", "json", "csv", "html", "http://example.org/g",
          "urn:x-rdflib:default", "a b", "é"]
# Raw pieces a query string may hold: separators, escapes, bytes that are not UTF-8.
RAW = ["&", ";", "=", "+", "%", "%2", "%FF", "%C3", "%C3%A9", "%26", "%3D", "é", "\xff", " "]
ACCEPTS = ["", "application/sparql-results+json", "text/html", "*/*",
           "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
           "text/html;q=0.5, text/csv"]


def _pair(name: str, value: str, raw: bool) -> str:
    return f"{name}={value}" if raw else urlencode({name: value})


PAIRS = st.builds(_pair, st.sampled_from(NAMES), st.sampled_from(VALUES) | st.text(max_size=4),
                  st.booleans())
QUERY_STRINGS = (st.lists(PAIRS, max_size=5).map("&".join)
                 | st.lists(st.sampled_from(RAW) | PAIRS, max_size=8).map("".join))


def _environ(method: str, query_string: str, accept: str | None = None,
             host: str | None = None, scheme: str = "http") -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method, "PATH_INFO": "/sparql", "SCRIPT_NAME": "",
        # WSGI holds the raw bytes of the target as Latin-1.
        "QUERY_STRING": query_string.encode("utf-8").decode("latin-1"),
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "wsgi.url_scheme": scheme}
    if accept is not None:
        environ["HTTP_ACCEPT"] = accept
    if host is not None:
        environ["HTTP_HOST"] = host
    return environ


@settings(max_examples=600, deadline=None)
@example("GET", "query=ASK%20%7B%7D&format=csv&format=tsv&output=xml", None)
@example("HEAD", "format=&query=ASK%20%7B%7D&results=json&format=", "text/html")
@given(st.sampled_from(["GET", "HEAD", "POST", "PUT"]), QUERY_STRINGS,
       st.sampled_from(ACCEPTS) | st.none())
def test_a_plain_query_is_read_as_the_full_reading_reads_it(method: str, query_string: str,
                                                            accept: str | None) -> None:
    environ = _environ(method, query_string, accept)
    plain = plain_query(environ)
    reading = Request(environ)
    full: Operation | None
    try:
        full = read_operation(reading) if method != "POST" else None
    except Exception:  # a refusal: the full reading words it
        assert plain is None
        return
    if plain is not None:
        assert plain == full
        assert not prefers_html(reading)
    elif (method in ("GET", "HEAD") and full is not None and full.kind == "query"
          and not prefers_html(reading) and not NOT_PLAIN & set(reading.args)):
        raise AssertionError(f"a plain query read the long way: {query_string!r}")


@given(st.sampled_from([None, "example.org", "example.org:80", "example.org:443",
                        "example.org:8080", "[::1]:8080", "bad host", "ex ample", ""]),
       st.sampled_from(["http", "https"]))
def test_the_base_iri_is_the_requests_own(host: str | None, scheme: str) -> None:
    environ = _environ("GET", "query=ASK%20%7B%7D", host=host, scheme=scheme)
    reading = Request(environ)
    assert base_of(environ) == f"{reading.scheme}://{reading.host}{reading.path}"


def _get(server: LiveServer, target: str, headers: dict[str, str] | None = None
         ) -> tuple[int, str, bytes]:
    reply = request("GET", f"{server.url}/sparql?{target}", headers=headers or {})
    return reply.status, reply.media_type, reply.body


def test_plain_queries_and_their_neighbours_over_http(live_server: LiveServer) -> None:
    ask = quote("ASK {}")
    json_type = "application/sparql-results+json"
    # A relative IRI resolves against the endpoint's IRI, as the client named its host.
    status, media, body = _get(live_server, "query=" + quote("SELECT (<x> AS ?i) {}"),
                               {"Host": "example.org:8080", "Accept": json_type})
    assert status == 200 and media == json_type
    bound = json.loads(body)["results"]["bindings"]
    assert bound[0]["i"]["value"] == "http://example.org:8080/x"
    # Two queries, a query and an update, an update by GET: refused with the full reading's
    # words.
    status, media, body = _get(live_server, f"query={ask}&query={ask}")
    assert status == 400 and b"exactly one query" in body
    status, _, body = _get(live_server, f"query={ask}&update=" + quote("CLEAR ALL"))
    assert status == 400 and b"either a query or an update" in body
    # A byte that is not UTF-8 stays percent-encoded in the text: a syntax error, not a crash.
    status, _, body = _get(live_server, "query=ASK%20%7B%FF%7D")
    assert status == 400 and b"at 1:6: unexpected '%'" in body
    # A browser gets the editor, unless it names a format (even a blank one).
    browser = {"Accept": ACCEPTS[4]}
    status, media, body = _get(live_server, f"query={ask}", browser)
    assert status == 200 and media == "text/html" and b"ASK {}" in body
    for named in ("format=json", "output=json"):
        status, media, body = _get(live_server, f"query={ask}&{named}", browser)
        assert status == 200 and media == json_type and json.loads(body)["boolean"] is True
    # A blank one chooses nothing: the browser's Accept does (application/xml, q=0.9).
    status, media, _ = _get(live_server, f"query={ask}&format=", browser)
    assert status == 200 and media == "application/sparql-results+xml"
    # The first non-empty format parameter chooses, format before output.
    status, media, _ = _get(live_server, f"output=xml&format=&query={ask}&format=csv&format=tsv")
    assert status == 200 and media == "text/csv"
    # A dataset named by the rdflib client's name for the default graph: the default graph.
    status, media, body = _get(live_server, f"query={ask}&default-graph-uri="
                               + quote("urn:x-rdflib:default"), {"Accept": json_type})
    assert status == 200 and json.loads(body)["boolean"] is True
