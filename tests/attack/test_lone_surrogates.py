"""Over HTTP: a lone surrogate (U+D800 to U+DFFF, no Unicode character) is refused in every
write path, however it is spelled: Graph Store bodies in each accepted syntax, SPARQL updates
(as text or as a form) and restores. The answer is a 400 that names it, and nothing is
written. Differential: each body is also given to the engine's own parser, which must store
nothing from it either; a well-formed pair in JSON is one character, stored as the engine
reads it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote, quote_from_bytes

import pyoxigraph as ox
import pytest

from kg.paths import Layout
from tests.attack.writable import writable_server
from tests.http import Reply, request
from tests.live import LiveServer

TOKEN = "surrogates-token-0123456789abcdef"
GRAPH = "urn:surrogates:graph"
FORMATS = {"text/turtle": ox.RdfFormat.TURTLE, "application/n-triples": ox.RdfFormat.N_TRIPLES,
           "application/trig": ox.RdfFormat.TRIG, "text/n3": ox.RdfFormat.N3,
           "application/ld+json": ox.RdfFormat.JSON_LD,
           "application/rdf+xml": ox.RdfFormat.RDF_XML}
# How a literal holding a surrogate is spelled, by syntax family: as an escape, or as the
# bytes UTF-8 forbids (ED A0 80).
LITERALS = [b'"\\uD800"', b'"x\\udfff y"', b"'\\U0000DBFF'", b'"""\\uDC00\\uD800"""',
            b'"\xed\xa0\x80"']
RDF_XML = b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-' \
          b'ns#"><rdf:Description rdf:about="urn:a"><b xmlns="urn:x:">%s</b></rdf:Description>' \
          b'</rdf:RDF>'


def _bodies() -> list[tuple[str, bytes]]:
    bodies = [(media, b"<urn:a> <urn:b> " + literal + b" .")
              for media in ("text/turtle", "text/n3", "application/trig") for literal in LITERALS]
    bodies += [("application/n-triples", b"<urn:a> <urn:b> " + literal + b" .")
               for literal in LITERALS if not literal.startswith((b"'", b'"""'))]
    bodies += [("text/turtle", b"<urn:a\\uD800> <urn:b> 1 ."),
               ("text/turtle", b"@prefix p: <urn:\\uDBFF> . p:a <urn:b> 1 ."),
               ("text/turtle", b'<urn:a> <urn:b> "x"^^<urn:\\uD800> .')]
    bodies += [("application/ld+json", b'{"@id": "urn:a", "urn:b": "' + text + b'"}')
               for text in (b"\\uD800", b"\\udc00", b"x\\uD800y", b"\\uDC00\\uD800",
                            b"\xed\xa0\x80")]
    bodies += [("application/ld+json", b'{"@id": "urn:a\\uD800", "urn:b": "x"}')]
    bodies += [("application/rdf+xml", RDF_XML % text)
               for text in (b"&#xD800;", b"&#xdfff;", b"&#55296;", b"\xed\xa0\x80")]
    return bodies


@pytest.fixture(scope="module")
def writable(tmp_path_factory: pytest.TempPathFactory, built: Layout) -> Iterator[LiveServer]:
    with writable_server(tmp_path_factory, built, "surrogates", TOKEN) as server:
        yield server


def _auth(media: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}", "Content-Type": media}


def _written(server: LiveServer) -> bytes:
    reply = request("GET", f"{server.url}/admin/backup", headers=_auth("text/plain"))
    assert reply.status == 200, reply.text
    return reply.body


def _refused(reply: Reply, before: bytes, server: LiveServer) -> None:
    assert reply.status == 400, (reply.status, reply.text)
    assert "surrogate" in reply.text, reply.text
    assert _written(server) == before


def _engine_stores(body: bytes, fmt: ox.RdfFormat) -> list[ox.Quad] | None:
    """What the engine itself would store from body, or None if it refuses it."""
    try:
        return list(ox.parse(body, format=fmt, base_iri=GRAPH))
    except (SyntaxError, ValueError):
        return None


@pytest.mark.parametrize(("media", "body"), _bodies())
def test_a_graph_store_body_with_a_lone_surrogate_is_refused(writable: LiveServer, media: str,
                                                              body: bytes) -> None:
    assert _engine_stores(body, FORMATS[media]) is None  # the engine stores nothing either
    before = _written(writable)
    for method in ("PUT", "POST"):
        reply = request(method, f"{writable.url}/rdf-graphs/service?graph={quote(GRAPH)}",
                        body, _auth(media))
        _refused(reply, before, writable)


def test_a_pair_in_json_is_one_character_stored_as_the_engine_reads_it(
        writable: LiveServer) -> None:
    body = b'{"@id": "urn:a", "urn:b": "\\uD83D\\uDE00"}'
    [quad] = _engine_stores(body, ox.RdfFormat.JSON_LD) or []
    reply = request("PUT", f"{writable.url}/rdf-graphs/service?graph={quote(GRAPH)}", body,
                    _auth("application/ld+json"))
    assert reply.status in {201, 204}, reply.text
    query = f"SELECT ?o WHERE {{ GRAPH <{GRAPH}> {{ <urn:a> <urn:b> ?o }} }}"
    answer = request("GET", f"{writable.url}/sparql?query={quote(query)}",
                     headers={"Accept": "application/sparql-results+json"})
    [row] = json.loads(answer.body)["results"]["bindings"]
    assert row["o"]["value"] == quad.object.value == "\U0001F600"
    assert request("DELETE", f"{writable.url}/rdf-graphs/service?graph={quote(GRAPH)}",
                   None, _auth("text/plain")).status == 204


@pytest.mark.parametrize("literal", [*LITERALS, b'"\\U0000D800"'])
def test_an_update_with_a_lone_surrogate_is_refused(writable: LiveServer,
                                                    literal: bytes) -> None:
    text = b"INSERT DATA { GRAPH <" + GRAPH.encode() + b"> { <urn:a> <urn:b> " + literal + b" } }"
    before = _written(writable)
    reply = request("POST", f"{writable.url}/sparql", text, _auth("application/sparql-update"))
    _refused(reply, before, writable)
    form = b"update=" + quote_from_bytes(text).encode()
    reply = request("POST", f"{writable.url}/sparql", form,
                    _auth("application/x-www-form-urlencoded"))
    _refused(reply, before, writable)


@pytest.mark.parametrize("literal", LITERALS[:2] + LITERALS[-1:])
def test_a_restore_with_a_lone_surrogate_is_refused_and_changes_nothing(
        writable: LiveServer, literal: bytes) -> None:
    good = b"".join(b'<urn:s%d> <urn:p> "fine" <urn:surrogates:restored> .\n' % n
                    for n in range(30_000))
    backup = good + b"<urn:a> <urn:b> " + literal + b" <urn:surrogates:restored> .\n"
    assert _engine_stores(backup, ox.RdfFormat.N_QUADS) is None
    before = _written(writable)
    reply = request("POST", f"{writable.url}/admin/restore", backup,
                    _auth("application/n-quads"))
    _refused(reply, before, writable)
    assert "line 30001" in reply.text, reply.text
