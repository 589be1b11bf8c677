"""One request must not crash the service, outlast its limits or hold its memory.

Over real HTTP: deep nesting and long chains (which overflow a parser's stack), texts too long
to read, rows past the cap however the query is written, and queries that grow without end.
"""

from __future__ import annotations

import json
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from kg.nesting import (
    MAX_DEPTH,
    QUOTED_WEIGHT,
    json_depth,
    sparql_depth,
    token_bounds,
    xml_depth,
)
from kg.paths import Layout
from kg.sparql_reading import tokens
from kg.store.base import guard
from tests.attack.writable import writable_server
from tests.http import Reply, request
from tests.live import LiveServer

TOKEN = "hostile-token-0123456789"


def get(server: LiveServer, sparql: str, timeout: float = 120) -> Reply:
    return request("GET", f"{server.url}/sparql?query={quote(sparql)}",
                   headers={"Accept": "application/sparql-results+json"}, timeout=timeout)


def post(server: LiveServer, sparql: str, timeout: float = 120) -> Reply:
    return request("POST", f"{server.url}/sparql", body=sparql, timeout=timeout,
                   headers={"Content-Type": "application/sparql-query",
                            "Accept": "application/sparql-results+json"})


def alive(server: LiveServer, workers: set[int]) -> None:
    """The same workers still serve: none crashed and had to be replaced."""
    assert get(server, "ASK {}").status == 200
    assert server.workers() == workers
    assert b"signal" not in server.log.read_bytes()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory, built: Layout) -> Iterator[LiveServer]:
    with writable_server(tmp_path_factory, built, "hostile", TOKEN, QUERY_TIMEOUT="60",
                         RESULT_LIMIT="5", QUERY_MEMORY_MB="400") as server:
        yield server


DEEP = 4000
NESTED = {
    "braces": "SELECT * WHERE " + "{" * DEEP + " ?s ?p ?o " + "}" * DEEP,
    "parentheses": "SELECT * WHERE { FILTER(" + "(" * DEEP + "1" + ")" * DEEP + ") }",
    "functions": "SELECT * WHERE { BIND(" + "CONCAT(" * DEEP + "'a'" + ")" * DEEP + " AS ?x) }",
    "exists": "ASK { " + "FILTER EXISTS { " * DEEP + "}" * DEEP + " }",
    "blank nodes": "SELECT * WHERE { ?s ?p " + "[ ?p " * DEEP + "1" + " ]" * DEEP + " }",
    "collections": "SELECT * WHERE { ?s ?p " + "( " * DEEP + "1" + " )" * DEEP + " }",
    # Closing brackets where the parser never sees them do not hide the nesting.
    "closers in comments": "SELECT * WHERE " + "{ # }\n" * DEEP + "?s ?p ?o" + "}" * DEEP,
    "closers in strings": "SELECT * WHERE " + "{ FILTER('}') " * DEEP + "}" * DEEP,
    "triple terms": "SELECT * WHERE { ?s ?p " + "<<( ?s ?p " * DEEP + "?o" + " )>>" * DEEP + " }",
    # 200 levels are 2.4 KB, and take the parser far longer than the time limit.
    "reified triples": "SELECT * WHERE { " + "<< " * 200 + "?s ?p ?o" + " >> ?p ?o" * 200 + " }",
}


def depth(sparql: str) -> int:
    """The nesting depth of SPARQL text, as the guard measures it on its tokens."""
    return token_bounds(tokens(sparql))[0]


def quoted(levels: int) -> str:
    """A query nesting reified triple patterns levels deep."""
    return "SELECT * WHERE { " + "<< " * levels + "?s ?p ?o" + " >> ?p ?o" * levels + " }"


def test_reified_triples_as_deep_as_allowed_are_answered(hostile: LiveServer) -> None:
    levels = (MAX_DEPTH - 1) // QUOTED_WEIGHT
    assert depth(quoted(levels)) <= MAX_DEPTH < depth(quoted(levels + 1))
    reply = post(hostile, quoted(levels))
    assert reply.status == 200, reply.text


@pytest.mark.parametrize("name", list(NESTED))
def test_deep_nesting_is_refused_before_parsing(hostile: LiveServer, name: str) -> None:
    workers = hostile.workers()
    reply = post(hostile, NESTED[name])
    assert reply.status == 400, reply.text
    assert f"deeper than {MAX_DEPTH} levels" in reply.text
    alive(hostile, workers)


@pytest.mark.parametrize("name", ["braces", "parentheses"])
def test_deep_nesting_is_refused_by_get_too(hostile: LiveServer, name: str) -> None:
    # The brackets as they are, so that 4000 levels fit in the request line.
    workers = hostile.workers()
    reply = request("GET", f"{hostile.url}/sparql?query={quote(NESTED[name], safe='{}()')}")
    assert reply.status == 400, reply.text
    assert f"deeper than {MAX_DEPTH} levels" in reply.text
    alive(hostile, workers)


# Each overflows an 8 MiB thread stack (the default) and is answered in seconds.
CHAINS = {
    "UNION": "SELECT * WHERE { " + " UNION ".join(["{}"] * 10000) + " }",
    "&&": "SELECT * WHERE { FILTER(" + "&&".join(["true"] * 10000) + ") }",
    "OPTIONAL": "SELECT * WHERE { " + "OPTIONAL { } " * 10000 + "}",
    "BIND": "SELECT * WHERE { " + "".join(f"BIND({i} AS ?v{i}) " for i in range(3000)) + "}",
    "BIND at the bound": "SELECT * WHERE { " + "".join(f"BIND({i} AS ?v{i}) "
                                                       for i in range(1000)) + "}",
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CHAINS))
def test_long_chains_do_not_overflow_the_stack(hostile: LiveServer, name: str) -> None:
    # Flat text, but the parser and the evaluator recurse once per link. Chains of
    # operators this long are refused before the parser reads them (kg.nesting.MAX_TERMS).
    workers = hostile.workers()
    reply = post(hostile, CHAINS[name])
    if name in {"UNION", "&&", "BIND"}:
        assert reply.status == 400 and "more than the 1000" in reply.text, reply.text
    else:
        assert reply.status == 200, reply.text
    alive(hostile, workers)


def test_update_nesting_is_refused_before_parsing(hostile: LiveServer) -> None:
    workers = hostile.workers()
    update = ("INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> " + "( " * DEEP + "1"
              + " )" * DEEP + " } }")
    reply = request("POST", f"{hostile.url}/sparql", body=update,
                    headers={"Content-Type": "application/sparql-update",
                             "Authorization": f"Bearer {TOKEN}"})
    assert reply.status == 400, reply.text
    assert "deeper than" in reply.text
    alive(hostile, workers)


def test_update_pattern_nesting_is_refused_before_parsing(hostile: LiveServer) -> None:
    workers = hostile.workers()
    update = ("DELETE { ?s ?p ?o } WHERE { " + "<< " * 200 + "?s ?p ?o" + " >> ?p ?o" * 200
              + " }")
    reply = request("POST", f"{hostile.url}/sparql", body=update, timeout=120,
                    headers={"Content-Type": "application/sparql-update",
                             "Authorization": f"Bearer {TOKEN}"})
    assert reply.status == 400, reply.text
    assert "deeper than" in reply.text
    alive(hostile, workers)


DOCUMENTS = {
    "application/ld+json": ('{"@id": "urn:a", "urn:p": ' + '{"urn:p": ' * 6000 + '1'
                            + '}' * 6000 + '}'),
    "application/rdf+xml": ('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
                            ' xmlns:p="urn:p#"><rdf:Description rdf:about="urn:a">'
                            + '<p:p><rdf:Description>' * 3000
                            + '</rdf:Description></p:p>' * 3000
                            + '</rdf:Description></rdf:RDF>'),
    "text/turtle": "<urn:a> <urn:p> " + "[ <urn:p> " * 6000 + "1" + " ]" * 6000 + " .",
    "application/n-triples": ("<urn:a> <urn:p> " + "<<( <urn:a> <urn:p> " * 6000 + "<urn:o>"
                              + " )>>" * 6000 + " ."),
}


@pytest.mark.parametrize("media_type", list(DOCUMENTS))
def test_deeply_nested_graphs_are_refused_before_parsing(hostile: LiveServer,
                                                         media_type: str) -> None:
    workers = hostile.workers()
    reply = request("PUT", f"{hostile.url}/rdf-graphs/service?graph=urn:deep",
                    body=DOCUMENTS[media_type],
                    headers={"Content-Type": media_type, "Authorization": f"Bearer {TOKEN}"})
    assert reply.status == 400, reply.text
    assert "deeper than" in reply.text
    alive(hostile, workers)


def test_the_depth_reading_never_finds_less_than_the_parser() -> None:
    # Brackets that the parser reads as code count, whatever a string-aware reading says.
    assert sparql_depth("{ # }\r {") == 2  # a carriage return ends a comment for Oxigraph
    assert sparql_depth("ASK { FILTER(?a<?b)+(?c>1) }") >= 2
    assert sparql_depth(r"{ ex:a\) ( }") == 2
    assert sparql_depth("{ '''}''' \"}\" { }") == 2
    assert json_depth(b'{"a\\"]]": [[{"b": "}}"}]]}') == 4
    assert xml_depth(b'<!-- <a><a> --><a x="/>"><b/><c></c></a>') == 2
    # `<<` opens a reified triple wherever it is code; `<<(` a triple term.
    assert sparql_depth("{ << ?s ?p ?o >> ?p ?o }") == 1 + QUOTED_WEIGHT
    assert sparql_depth("{ ?s ?p <<( ?s ?p <<( ?s ?p ?o )>> )>> }") == 3
    assert sparql_depth("<< '>>' \"<<\" # >> <<\n <<<urn:b> ?p ?o>>") == 2 * QUOTED_WEIGHT
    assert sparql_depth("ASK { FILTER(?a<<urn:x>) }") >= 2  # two `<` may still be code


def test_the_depth_of_a_query_is_read_on_the_engines_tokens() -> None:
    # What the guard measures: brackets in strings, comments and IRIs are not code there.
    assert depth("ASK { # }\r { } }") == 2  # a carriage return ends a comment for Oxigraph
    assert depth("ASK { FILTER(?a<?b) FILTER((?c>1)) }") == 3
    assert depth("ASK { FILTER('''}}}''' = \")))\") }") == 2
    # Brackets in an IRI count while it is read, as if its `<` could be "less than".
    assert depth("SELECT * { ?s <urn:(((> <urn:[[[> }") == 4
    assert depth("SELECT * { ?s ?p <urn:a_(b)>, <urn:c_(d)>, <urn:e_(f)> }") == 2
    assert depth("ASK { FILTER(?a<<urn:x>) }") == 2  # "less than", then an IRI
    assert depth("SELECT * { << ?s ?p ?o >> ?p ?o }") == 1 + QUOTED_WEIGHT
    assert depth("SELECT * { ?s ?p <<( ?s ?p <<( ?s ?p ?o )>> )>> }") == 3
    # Closers with nothing open hide no nesting that follows them.
    assert depth("ASK { } } } } { { { } } }") == 3


def test_the_result_cap_holds_however_the_query_is_written(hostile: LiveServer) -> None:
    # An escaped '#' in a prefixed name reads as a comment to the rewrite, which then misses
    # where the query ends: the cap is enforced again where the rows are written.
    values = " ".join(str(n) for n in range(1, 21))
    for sparql in (
        f"PREFIX ex: <urn:x/> SELECT ?x WHERE {{ VALUES ?x {{ {values} }} "
        r"FILTER(?x != ex:a\#b) }",
        f"PREFIX ex: <urn:x/> SELECT ?x WHERE {{ {{ SELECT ?x WHERE {{ VALUES ?x {{ {values} }} }}"
        r" LIMIT 15 } FILTER(?x != ex:a\#b) }",
    ):
        for accept, count in (
                ("application/sparql-results+json",
                 lambda body: len(json.loads(body)["results"]["bindings"])),
                ("text/csv", lambda body: len(body.splitlines()) - 1),
                ("application/sparql-results+xml", lambda body: body.count(b"<result>"))):
            reply = request("GET", f"{hostile.url}/sparql?query={quote(sparql)}",
                            headers={"Accept": accept})
            assert reply.status == 200, reply.text
            assert count(reply.body) == 5, (sparql, accept)
            assert reply.headers["dmkg-result-truncated"] == "true"


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory, built: Layout) -> Iterator[LiveServer]:
    settings = {"QUERY_TIMEOUT": "1", "MAX_QUERY_BYTES": "600000"}
    with LiveServer(tmp_path_factory.mktemp("strict"), home=built.root,
                    settings=settings) as server:
        yield server


def test_a_text_past_the_size_limit_gets_413(strict: LiveServer) -> None:
    reply = post(strict, "ASK {} #" + "x" * 600_000)
    assert reply.status == 413, reply.text
    assert "600000" in reply.text


def test_the_time_limit_covers_reading_the_query(strict: LiveServer) -> None:
    # Reading this took many seconds: it must happen within the 1 s limit, not before. It is
    # now refused by the join bound read from its tokens, or, on a loaded machine, by the
    # time limit while it is read; never answered after the limit.
    sparql = "SELECT * WHERE { " + "?a <b> 'c' . " * 40000 + "}"
    started = time.monotonic()
    reply = post(strict, sparql)
    elapsed = time.monotonic() - started
    if reply.status == 400:
        assert "joins 40000 triple patterns" in reply.text
    else:
        assert reply.status == 503, reply.text
        assert "1 s time limit" in reply.text
    assert elapsed < 5


@pytest.mark.slow
def test_a_query_that_grows_without_end_gets_503_and_its_worker_is_replaced(
        hostile: LiveServer) -> None:
    binds = " ".join(f"BIND(CONCAT(?s{i}, ?s{i}) AS ?s{i + 1})" for i in range(26))
    sparql = (f"SELECT (STRLEN(?s26) AS ?n) WHERE {{ BIND(\"0123456789abcdef\" AS ?s0) "
              f"{binds} }}")
    before = hostile.workers()
    reply = get(hostile, sparql, timeout=60)
    assert reply.status == 503, reply.text
    assert "400 MB" in reply.text
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and before & hostile.workers():
        time.sleep(0.2)
    assert not before & hostile.workers()
    assert get(hostile, "ASK {}").status == 200


def test_query_caches_hold_bounded_bytes() -> None:
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        for n in range(60):
            guard(f"SELECT * WHERE {{ ?a <b> '{n}' }} #" + "x" * 200_000)
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 60 texts of 200 kB, their readings kept, would be 24 MB.
    assert held - base < 8 * 1024 * 1024


def test_helper_threads_have_deep_stacks(tmp_path: Path) -> None:
    import pyoxigraph as ox

    from service.limits import HELPER_STACK, Deadline, DeadlineRunner

    store = ox.Store()
    chain = "SELECT * WHERE { " + "OPTIONAL { } " * 20000 + "}"
    assert HELPER_STACK >= 256 << 20
    assert len(DeadlineRunner().run(lambda: list(store.query(chain)), Deadline(0))) == 1  # type: ignore[arg-type]
