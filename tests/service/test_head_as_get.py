"""HEAD on the endpoint answers with the status and headers GET would (RFC 9110, 9.3.2),
whether or not an answer to the same request is kept: over real HTTP, for fresh query texts,
with a browser's, a program's and an ambiguous Accept header."""

from __future__ import annotations

import http.client
import uuid
from urllib.parse import urlencode

import pytest

from tests.live import LiveServer

Head = tuple[int, list[tuple[str, str]], bytes]

ACCEPTS = [
    None,  # no Accept header at all
    "text/html",  # a browser's request: the editor page
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "*/*;q=0.1, text/html;q=0.2",  # HTML ranked first, though anything would do
    "application/sparql-results+json",
    "application/sparql-results+json;q=0.5, text/html;q=0.4",  # a program's, HTML as well
    "text/turtle",  # no SELECT answer takes it: a 406
]
QUERIES = {
    "select": "SELECT ?p ?o WHERE {{ <https://w3id.org/dmkg/id/substance/ketamine> ?p ?o }} "
              "LIMIT 3 # {tag}",
    "ask": "ASK {{ ?s ?p ?o }} # {tag}",
}


def ask(server: LiveServer, method: str, query: str, accept: str | None,
        extra: str = "") -> Head:
    """Send one request; return its status, its header fields but Date, in order, and body."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request(method, f"/sparql?{urlencode({'query': query})}{extra}",
                           headers={} if accept is None else {"Accept": accept})
        response = connection.getresponse()
        fields = [(name.lower(), value) for name, value in response.getheaders()
                  if name.lower() != "date"]
        return response.status, fields, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("form", sorted(QUERIES))
@pytest.mark.parametrize("accept", ACCEPTS)
def test_head_answers_as_get_before_and_after_the_answer_is_kept(
        live_server: LiveServer, accept: str | None, form: str) -> None:
    query = QUERIES[form].format(tag=uuid.uuid4())  # a text never asked before
    before = ask(live_server, "HEAD", query, accept)
    fresh = ask(live_server, "GET", query, accept)
    after = ask(live_server, "HEAD", query, accept)
    again = ask(live_server, "GET", query, accept)
    assert before[:2] == fresh[:2], (before[:2], fresh[:2])
    assert after[:2] == again[:2], (after[:2], again[:2])
    assert before[2] == after[2] == b""
    assert fresh[2], fresh  # the GET's body, which the HEAD leaves out
    if fresh[0] == 200:
        # The kept answer is the one a GET made: a HEAD kept none of its own, empty.
        assert dict(fresh[1])["dmkg-cache"] == "miss" and dict(again[1])["dmkg-cache"] == "hit"
        assert dict(fresh[1])["content-length"] == str(len(fresh[2]))


@pytest.mark.parametrize("accept", ["text/html", "*/*;q=0.1, text/html;q=0.2"])
def test_a_browsers_head_gets_the_editors_head(live_server: LiveServer, accept: str) -> None:
    query = QUERIES["ask"].format(tag=uuid.uuid4())
    head = ask(live_server, "HEAD", query, accept)
    assert head[0] == 200, head
    assert dict(head[1])["content-type"].startswith("text/html"), head


@pytest.mark.parametrize("accept", ["text/html", None])
def test_a_named_format_wins_for_head_as_for_get(live_server: LiveServer,
                                                 accept: str | None) -> None:
    query = QUERIES["select"].format(tag=uuid.uuid4())
    for extra in ("&format=json", "&format=html", "&format=nonsense"):
        head = ask(live_server, "HEAD", query, accept, extra)
        get = ask(live_server, "GET", query, accept, extra)
        assert head[:2] == get[:2], (extra, head[:2], get[:2])
