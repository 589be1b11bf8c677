"""Kept entity answers over real HTTP: the same bytes again, ETags and 304s, errors not kept."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlencode

import pytest

from service.response_cache import KEPT_ONLY, NotKept, ResponseCache
from tests.http import Reply, request
from tests.live import LiveServer

ID = "https://w3id.org/dmkg/id/"
LOOKUP = "/api/entities/substance/ketamine"


def test_a_look_up_is_kept_and_answered_again_byte_for_byte(live_server: LiveServer) -> None:
    # The host is part of the key: one no other request has named makes a key of its own.
    host = {"Host": f"h{uuid.uuid4().hex}.localhost:{live_server.port}"}
    first = request("GET", f"{live_server.url}{LOOKUP}?lang=fr", headers=host)
    again = request("GET", f"{live_server.url}{LOOKUP}?lang=fr", headers=host)
    assert (first.status, again.status) == (200, 200)
    assert (first.headers["dmkg-cache"], again.headers["dmkg-cache"]) == ("miss", "hit")
    assert again.body == first.body
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["content-type"] == first.headers["content-type"]
    assert json.loads(again.body)["label"] == "kétamine"


def test_a_conditional_request_for_an_unchanged_answer_gets_a_304(live_server: LiveServer) -> None:
    etag = request("GET", live_server.url + LOOKUP).headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    for asked in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        reply = request("GET", live_server.url + LOOKUP, headers={"If-None-Match": asked})
        assert reply.status == 304, asked
        assert reply.body == b""
        assert reply.headers["etag"] == etag
        assert "content-length" not in reply.headers or reply.headers["content-length"] == "0"
    stale = request("GET", live_server.url + LOOKUP, headers={"If-None-Match": '"other"'})
    assert stale.status == 200 and json.loads(stale.body)["id"] == "substance/ketamine"


def test_negotiated_pages_are_kept_per_format_and_language(live_server: LiveServer) -> None:
    path = live_server.url + "/id/substance/ketamine"
    turtle = [request("GET", path, headers={"Accept": "text/turtle"}) for _ in range(2)]
    french = [request("GET", path, headers={"Accept": "text/html", "Accept-Language": "fr"})
              for _ in range(2)]
    assert [r.media_type for r in turtle] == ["text/turtle"] * 2
    assert [r.media_type for r in french] == ["text/html"] * 2
    assert turtle[1].headers["dmkg-cache"] == french[1].headers["dmkg-cache"] == "hit"
    assert turtle[1].body == turtle[0].body
    assert turtle[0].headers["etag"] != french[0].headers["etag"]
    assert '<html lang="fr"' in french[1].text
    # The security headers of a page are added to every answer, kept or not.
    assert "default-src" in french[1].headers["content-security-policy"]
    head = request("HEAD", path, headers={"Accept": "text/turtle"})
    assert head.status == 200 and head.body == b""
    assert head.headers["content-length"] == str(len(turtle[0].body))


def test_errors_are_not_kept(live_server: LiveServer) -> None:
    for _ in range(2):
        missing = request("GET", live_server.url + "/api/entities/substance/no-such-thing")
        assert missing.status == 404
        assert "dmkg-cache" not in missing.headers and "etag" not in missing.headers
    bad = request("GET", live_server.url + LOOKUP + "?lang=xx")
    assert bad.status == 400 and "dmkg-cache" not in bad.headers


def _sparql(live_server: LiveServer, query: str, headers: dict[str, str] | None = None) -> Reply:
    return request("GET", f"{live_server.url}/sparql?{urlencode({'query': query})}",
                   headers={"Accept": "application/sparql-results+json", **(headers or {})})


def test_a_query_sent_by_get_is_kept_until_the_data_changes(live_server: LiveServer) -> None:
    query = f"SELECT ?p ?o WHERE {{ <{ID}substance/ketamine> ?p ?o }} # {uuid.uuid4()}"
    first, again = _sparql(live_server, query), _sparql(live_server, query)
    assert (first.status, again.status) == (200, 200)
    assert (first.headers["dmkg-cache"], again.headers["dmkg-cache"]) == ("miss", "hit")
    assert again.body == first.body and json.loads(again.body)["results"]["bindings"]
    # Every endpoint answer keeps its headers when it is kept.
    assert again.headers["access-control-allow-origin"] == "*"
    assert again.headers["vary"] == "Accept"


def test_a_query_reading_the_clock_is_evaluated_each_time(live_server: LiveServer) -> None:
    query = f'SELECT (STR(NOW()) AS ?now) (STRUUID() AS ?id) WHERE {{}} # {uuid.uuid4()}'
    first, again = _sparql(live_server, query), _sparql(live_server, query)
    assert (first.status, again.status) == (200, 200)
    assert "dmkg-cache" not in again.headers
    assert again.headers["cache-control"] == "no-store"
    assert json.loads(again.body) != json.loads(first.body)


def test_answers_reached_at_another_host_are_kept_apart(live_server: LiveServer) -> None:
    # A relative IRI resolves against the endpoint's IRI, which names the host.
    query = f'SELECT (IRI("x") AS ?x) WHERE {{}} # {uuid.uuid4()}'
    here = _sparql(live_server, query, {"Host": "one.example"})
    there = _sparql(live_server, query, {"Host": "two.example"})
    assert (here.status, there.status) == (200, 200)
    assert there.headers["dmkg-cache"] == "miss"
    values = [json.loads(r.body)["results"]["bindings"][0]["x"]["value"] for r in (here, there)]
    assert values == ["http://one.example/x", "http://two.example/x"]


def test_a_front_asking_for_kept_answers_only_gets_one_or_is_told() -> None:
    rendered: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        rendered.append(environ["QUERY_STRING"])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"answer"]

    kept = ResponseCache(app, 1 << 20)
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/sparql", "QUERY_STRING": "query=ASK{}",
               "wsgi.url_scheme": "http", "HTTP_HOST": "x"}
    assert not kept.holds(environ)
    with pytest.raises(NotKept):  # the application is not called: the front calls it
        kept({**environ, KEPT_ONLY: True}, lambda *_: None)
    assert rendered == []
    assert b"".join(kept(dict(environ), lambda *_: None)) == b"answer"
    assert kept.holds(environ)
    assert b"".join(kept({**environ, KEPT_ONLY: True}, lambda *_: None)) == b"answer"
    assert rendered == ["query=ASK{}"]
    kept.clear()
    assert not kept.holds(environ)
