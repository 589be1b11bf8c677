"""Over HTTP: a short text that would cost the parser seconds (one long chain of operators,
argument list or UNION chain, or many long ones) is refused before the engine reads it, with
a 400 that names the limit; long lists given as VALUES, and ordinary queries, are not."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from kg.nesting import (
    MAX_BINDS,
    MAX_COST,
    MAX_JOINED,
    MAX_TERMS,
    TooDeep,
    TooWide,
    check_sparql,
)
from kg.paths import Layout
from kg.store.base import guarded
from tests.attack.writable import writable_server
from tests.http import Reply, request
from tests.live import LiveServer

LONG = MAX_TERMS + 10
UPDATE_TOKEN = "joins-token-0123456789"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, built: Layout) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("cost"), home=built.root) as live:
        yield live


def post(server: LiveServer, query: str) -> Reply:
    return request("POST", f"{server.url}/sparql", query,
                   {"Content-Type": "application/sparql-query",
                    "Accept": "application/sparql-results+json"})


def chain(operator: str, term: str, count: int) -> str:
    return operator.join([term] * count)


WIDE = {
    "sum": f"SELECT ({chain('+', '1', LONG)} AS ?x) {{}}",
    "product": f"SELECT ({chain(' * ', '?a', LONG)} AS ?x) {{}}",
    "or": f"ASK {{ FILTER({chain(' || ', 'true', LONG)}) }}",
    "and": f"ASK {{ FILTER({chain('&&', '(1 = 1)', LONG)}) }}",
    "in": f"SELECT * {{ ?s ?p ?o FILTER(?o IN ({chain(', ', '<urn:x>', LONG)})) }}",
    "concat": "SELECT (CONCAT(" + chain(",", '"a"', LONG) + ") AS ?x) {}",
    "coalesce": f"SELECT (COALESCE({chain(',', '?u', LONG)}) AS ?x) {{}}",
    "union": f"SELECT * {{ {chain(' UNION ', '{}', LONG)} }}",
    "glued union": f"SELECT * {{ {chain('union', '{}', LONG)} }}",
    "alternative path": f"SELECT * {{ ?s {chain('|', '<urn:p>', LONG)} ?o }}",
    "sequence path": f"SELECT * {{ ?s {chain('/', '<urn:p>', LONG)} ?o }}",
    "commented": f"SELECT ({chain('+', '1', LONG // 2)} # a comment\n"
                 f"+ {chain('+', '1', LONG // 2)} AS ?x) {{}}",
    "escaped name": "PREFIX x: <urn:x#> SELECT (x:a\\# " + chain("+", "1", LONG) + " AS ?x) {}",
}


@pytest.mark.parametrize("name", sorted(WIDE))
def test_a_long_chain_is_refused_with_the_limit_it_passed(server: LiveServer, name: str) -> None:
    reply = post(server, WIDE[name])
    assert reply.status == 400, (reply.status, reply.text[:300])
    assert f"more than the {MAX_TERMS}" in reply.text and "VALUES" in reply.text, reply.text


def test_many_long_expressions_are_refused_together(server: LiveServer) -> None:
    one = chain("+", "1", MAX_TERMS - 10)
    count = MAX_COST // (MAX_TERMS - 10) ** 2 + 1
    query = "SELECT " + " ".join(f"({one} AS ?x{i})" for i in range(count)) + " {}"
    reply = post(server, query)
    assert reply.status == 400, (reply.status, reply.text[:300])
    assert "too many long expressions" in reply.text and str(MAX_COST) in reply.text


@pytest.mark.parametrize("query", [
    f"SELECT ({chain('+', '1', MAX_TERMS // 2)} AS ?x) {{}}",
    f"SELECT * {{ ?s ?p ?o FILTER(?o IN ({chain(', ', '<urn:x>', MAX_TERMS // 2)})) }}",
    # Long lists of values go as VALUES blocks, rows as short as they are many.
    "SELECT ?x { VALUES ?x { " + " ".join(f'"{i}"' for i in range(3_000)) + " } }",
    "SELECT ?x ?y { VALUES (?x ?y) { " + " ".join(f"({i} {i})" for i in range(3_000)) + " } }",
    # Operators inside strings, comments and IRIs are not operators.
    'SELECT ?x { BIND("' + chain("+", "1", 3 * MAX_TERMS) + '" AS ?x) }',
    "SELECT ?x { BIND(<urn:" + chain(",", "1", 3 * MAX_TERMS) + "> AS ?x) }",
    "SELECT ?x # " + chain("+", "1", 3 * MAX_TERMS) + "\n{ BIND(1 AS ?x) }",
    # The `^^` of a typed literal is no operator.
    "SELECT ?x { VALUES ?x { " + " ".join(f'"{i}"^^<urn:t>' for i in range(3_000)) + " } }",
    # A two-character operator is one operator: just under the limit, answered.
    *(f"ASK {{ FILTER({chain(operator, '?a', MAX_TERMS - 10)}) }}" for operator in ("||", " && ")),
    *(f"ASK {{ FILTER({chain('&&', f'?a{operator}1', MAX_TERMS // 2 - 5)}) }}"
      for operator in ("<=", ">=", "!=", " <= ")),
])
def test_ordinary_and_long_valued_queries_are_answered(server: LiveServer, query: str) -> None:
    reply = post(server, query)
    assert reply.status == 200, (reply.status, reply.text[:300])
    answer = json.loads(reply.body)
    assert "boolean" in answer or answer["results"]["bindings"] is not None


def test_the_readme_states_the_bound() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert f"{MAX_TERMS} operators" in readme


@pytest.mark.parametrize("operator", ["&&", "+", "*", ",", "="])
def test_a_chain_after_less_than_is_counted_though_it_looks_like_an_iri(operator: str) -> None:
    # `1<1&&1&&...>0`: to the engine a chain of operators, to a reader of IRIs one IRI.
    with pytest.raises(TooWide):
        check_sparql(f"ASK {{ FILTER(1<{chain(operator, '1', LONG)}>0) }}")
    with pytest.raises(TooWide):
        check_sparql(f"SELECT (?a <{chain(operator, '?b', LONG)}>?c AS ?x) {{}}")


def test_iris_are_read_whole_where_they_are_iris() -> None:
    iris = chain(", ", "<urn:a-b+c*d=e>", MAX_TERMS // 2)
    check_sparql(f"SELECT * {{ ?s ?p ?o FILTER(?o IN ({iris})) }}")
    # In a collection, an IRI after another is counted as if it could be a comparison: a
    # list of fifty is read all the same (a hundred items are more than a group may join).
    check_sparql(f"SELECT * {{ ?s <urn:p> ({chain(' ', '<urn:a-b-c-d>', MAX_TERMS // 20)}) }}")


@pytest.mark.parametrize("operator", ["||", "&&"])
def test_a_two_character_operator_is_counted_once(operator: str) -> None:
    with pytest.raises(TooWide, match=f"with {LONG - 1} operators"):
        check_sparql(f"ASK {{ FILTER({chain(operator, '?a', LONG)}) }}")


@pytest.mark.parametrize("operator", ["<=", ">=", "!=", " <= "])
def test_a_two_character_comparison_is_counted_once(operator: str) -> None:
    # LONG comparisons joined by LONG - 1 `&&`.
    with pytest.raises(TooWide, match=f"with {2 * LONG - 1} operators"):
        check_sparql(f"ASK {{ FILTER({chain('&&', f'?a{operator}1', LONG)}) }}")


def test_the_guard_bounds_every_text_it_reads() -> None:
    # Whoever asks for a reading (the endpoint, a backend, a write), the text is bounded on
    # its tokens before the plain form is written, and the refusal names what it was.
    with pytest.raises(TooWide, match="the query holds an expression"):
        guarded(WIDE["sum"])
    with pytest.raises(TooDeep, match="the update nests deeper"):
        guarded("INSERT DATA { <urn:a> <urn:b> " + "(" * 200 + "1" + ")" * 200 + " }",
                what="update")
    # A text that is refused both as too deep and as unreadable is told the bound first.
    with pytest.raises(TooDeep):
        guarded("SELECT * { " + "{" * 200 + " ?s nope:p ?o " + "}" * 200 + " }")


def binds(count: int, keyword: str = "BIND") -> str:
    return "SELECT ?v1 WHERE { " + " ".join(f"{keyword}(1 AS ?v{i})" for i in range(count)) + " }"


@pytest.mark.parametrize("keyword", ["BIND", "bind", "Bind"])
def test_many_binds_are_refused_before_the_engine_reads_them(server: LiveServer,
                                                             keyword: str) -> None:
    # Tens of thousands of BINDs in a megabyte held the engine's reading for half a minute.
    reply = post(server, binds(MAX_BINDS + 1, keyword))
    assert reply.status == 400, (reply.status, reply.text[:300])
    assert f"{MAX_BINDS + 1} BINDs, more than the {MAX_BINDS}" in reply.text
    healthy = request("GET", f"{server.url}/sparql?query=ASK%7B%7D",
                      headers={"Accept": "application/sparql-results+json"})
    assert healthy.status == 200


def test_binds_up_to_the_bound_and_the_word_elsewhere_are_answered(server: LiveServer) -> None:
    assert post(server, binds(MAX_BINDS)).status == 200
    # The word in strings, comments, IRIs, variables and names is no BIND of the query.
    others = " ".join(f'BIND("BIND" AS ?s{i}) # BIND\n' for i in range(MAX_BINDS // 2))
    reply = post(server, f"SELECT * WHERE {{ {others} BIND(<urn:BIND> AS ?BIND) }}")
    assert reply.status == 200, (reply.status, reply.text[:300])


def star(count: int) -> str:
    return " ".join(f"?s <urn:p{i}> ?o{i} ." for i in range(count))


# Each joins more patterns in one group than kg.nesting.MAX_JOINED; on an empty store the
# engine took about 9 s of CPU to plan the first two (the time limit retires the worker).
JOINED = {
    "shared subject": f"SELECT * WHERE {{ {star(200)} }}",
    "optionals": "SELECT * WHERE { ?s ?p ?o "
                 + " ".join(f"OPTIONAL {{ ?s <urn:p{i}> ?o{i} }}" for i in range(200)) + " }",
    "predicate list": "SELECT * WHERE { ?s "
                      + " ; ".join(f"<urn:p{i}> ?o{i}" for i in range(200)) + " }",
    "object list": "SELECT * WHERE { ?s <urn:p> " + ", ".join(f"?o{i}" for i in range(200)) + " }",
    "groups": "SELECT * WHERE { " + " ".join(f"{{ ?s <urn:p{i}> ?o{i} }}"
                                            for i in range(200)) + " }",
    "graphs": "SELECT * WHERE { " + " ".join(f"GRAPH ?g {{ ?s <urn:p{i}> ?o{i} }}"
                                            for i in range(200)) + " }",
    "in a subquery": f"ASK {{ {{ SELECT * WHERE {{ {star(200)} }} }} }}",
    # Groups side by side are planned as one join: 2 x 99 took 9 s; 8 x 70 the time limit.
    "groups side by side": "SELECT * WHERE { " + " ".join(
        "{ " + " ".join(f"?s <urn:p{j}x{i}> ?o{j}x{i} ." for i in range(99)) + " }"
        for j in range(2)) + " }",
    "many groups side by side": "SELECT * WHERE { " + " ".join(
        "{ " + " ".join(f"?s <urn:p{j}x{i}> ?o{j}x{i} ." for i in range(70)) + " }"
        for j in range(8)) + " }",
}


@pytest.mark.parametrize("name", list(JOINED))
def test_a_group_joining_too_many_patterns_is_refused_at_once(server: LiveServer,
                                                              name: str) -> None:
    workers = server.workers()
    started = time.monotonic()
    reply = post(server, JOINED[name])
    assert reply.status == 400, (reply.status, reply.text[:300])
    assert f"more than the {MAX_JOINED} one may join" in reply.text, reply.text
    assert time.monotonic() - started < 2
    assert server.workers() == workers  # no worker was retired for running out of time
    assert post(server, "ASK {}").status == 200


def test_the_refusal_comes_in_each_family_s_error_format(server: LiveServer) -> None:
    # The query editor's form sent without scripts is answered with a page; a client that
    # asks for results, by GET or POST, with text.
    text = "ASK{" + "".join(f"OPTIONAL{{?s ?p ?o{i}}}" for i in range(MAX_JOINED + 1)) + "}"
    said = f"joins {MAX_JOINED + 1} triple patterns"
    browser = request("POST", f"{server.url}/sparql", f"query={quote(text)}",
                      {"Content-Type": "application/x-www-form-urlencoded",
                       "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert browser.status == 400 and "text/html" in browser.headers["content-type"]
    assert said in browser.text, browser.text
    client = request("GET", f"{server.url}/sparql?query={quote(text, safe='{}?')}",
                     headers={"Accept": "application/sparql-results+json"})
    assert client.status == 400 and said in client.text, client.text
    assert "text/html" not in client.headers["content-type"]


@pytest.mark.parametrize("query", [
    # As many as one group may join, and many in groups that are not joined.
    f"SELECT * WHERE {{ {star(MAX_JOINED)} }}",
    "SELECT * WHERE { " + " UNION ".join(f"{{ ?s <urn:p{i}> ?o }}" for i in range(300)) + " }",
    # (On no rows: each row would be matched against each group.)
    "SELECT * WHERE { ?s <urn:p> ?o "
    + " ".join(f"FILTER NOT EXISTS {{ ?s <urn:p{i}> ?o }}" for i in range(300)) + " }",
    "SELECT * WHERE { ?s <urn:p> ?o " + " ".join(f"MINUS {{ ?s <urn:p{i}> ?o }}"
                                                for i in range(300)) + " }",
    # What would be patterns, in strings and comments, is no join.
    f"SELECT ?x WHERE {{ BIND(\"{star(300)}\" AS ?x) }}",
    f"SELECT ?x WHERE {{ # {star(300)}\n BIND(1 AS ?x) }}",
    f"CONSTRUCT {{ {star(300)} }} WHERE {{ ?s <urn:p0> ?o0 }}",
])
def test_groups_within_the_bound_and_unjoined_groups_are_answered(server: LiveServer,
                                                                  query: str) -> None:
    reply = request("POST", f"{server.url}/sparql", query,
                    {"Content-Type": "application/sparql-query",
                     "Accept": "application/sparql-results+json, text/turtle;q=0.9"})
    assert reply.status == 200, (reply.status, reply.text[:300])


def test_the_readme_states_the_join_bound() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert f"{MAX_JOINED} triple patterns" in readme


@pytest.fixture(scope="module")
def writable(tmp_path_factory: pytest.TempPathFactory, built: Layout) -> Iterator[LiveServer]:
    with writable_server(tmp_path_factory, built, "joins", UPDATE_TOKEN) as live:
        yield live


@pytest.mark.parametrize("update", [
    f"DELETE {{ ?s <urn:p0> ?o0 }} INSERT {{ ?s <urn:q> 1 }} WHERE {{ {star(200)} }}",
    f"DELETE WHERE {{ GRAPH <urn:mine> {{ {star(200)} }} }}",
])
def test_an_update_joining_too_many_patterns_is_refused_at_once(writable: LiveServer,
                                                                update: str) -> None:
    workers = writable.workers()
    started = time.monotonic()
    reply = request("POST", f"{writable.url}/sparql", update,
                    {"Authorization": f"Bearer {UPDATE_TOKEN}",
                     "Content-Type": "application/sparql-update"})
    assert reply.status == 400, (reply.status, reply.text[:300])
    assert "update joins 200 triple patterns" in reply.text, reply.text
    assert time.monotonic() - started < 2
    assert writable.workers() == workers
    # Long data and templates are no joins.
    rows = " ".join(f"<urn:s> <urn:p{i}> {i} ." for i in range(300))
    reply = request("POST", f"{writable.url}/sparql",
                    f"INSERT DATA {{ GRAPH <urn:mine> {{ {rows} }} }}",
                    {"Authorization": f"Bearer {UPDATE_TOKEN}",
                     "Content-Type": "application/sparql-update"})
    assert reply.status in {200, 204}, (reply.status, reply.text[:300])
