"""Fuzzing with hypothesis: the query guard, the query rewriting, the update analysis, the fact
loader and the protocol layer take anything without a crash, a 5xx or a hang."""

from __future__ import annotations

import contextlib
import copy
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Graph

from kg.facts_loader import (
    FactsInvalid,
    ReadFactFile,
    combine_facts,
    read_fact_bytes,
    read_fact_file,
)
from kg.ontology_index import OntologyIndex
from kg.paths import Layout
from kg.sparql_reading import lexed_query
from kg.sparql_text import UpdateSyntaxError, remote_operations, update_targets, with_row_limit
from kg.store import QueryRefused, QuerySyntaxError
from kg.store.oxigraph_backend import OxigraphBackend
from tests.canary import Canary
from tests.http import request
from tests.live import LiveServer
from tests.profiles import examples

FUZZ = settings(max_examples=examples(300), deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

# --- the query guard -------------------------------------------------------------------------


def _escaped(word: str, draw: Any) -> str:
    """Spell a keyword with random case and some letters as \\u escapes."""
    letters = []
    for letter in word:
        letter = letter.upper() if draw(st.booleans()) else letter.lower()
        letters.append(f"\\u{ord(letter):04X}" if draw(st.integers(0, 4)) == 0 else letter)
    return "".join(letters)


@st.composite
def disguised_service(draw: Any, port: int) -> str:
    keyword = _escaped("service", draw)
    silent = draw(st.sampled_from(["", " SILENT", " silent", " \\u0053ILENT"]))
    gap = draw(st.sampled_from([" ", "\n", "\t", " # note\n", "/**/ "[:1] + " "]))
    target = draw(st.sampled_from([f"<http://127.0.0.1:{port}/sparql>", "ex:remote",
                                   "?endpoint"]))
    inner = draw(st.sampled_from(["{ ?s ?p ?o }", "{ SELECT * { ?s ?p ?o } }"]))
    binding = (f"VALUES ?endpoint {{ <http://127.0.0.1:{port}/sparql> }} "
               if target == "?endpoint" else "")
    prefix = f"PREFIX ex: <http://127.0.0.1:{port}/> " if target == "ex:remote" else ""
    wrapper = draw(st.sampled_from(["{0}", "OPTIONAL {{ {0} }}", "{{ {0} }} UNION {{ }}",
                                    "FILTER EXISTS {{ {0} }}"]))
    pattern = wrapper.format(f"{keyword}{silent}{gap}{target} {inner}")
    return f"{prefix}SELECT * WHERE {{ {binding}{pattern} }}"


@pytest.fixture(scope="module")
def canary() -> Any:
    with Canary() as listening:
        yield listening


@pytest.fixture(scope="module")
def small_store() -> OxigraphBackend:
    backend = OxigraphBackend.in_memory()
    backend.store.add(ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.Literal("o"),
                              ox.NamedNode("urn:g")))
    return backend


@given(data=st.data())
@FUZZ
def test_no_disguised_service_reaches_out(canary: Canary, small_store: OxigraphBackend,
                                          data: st.DataObject) -> None:
    query = data.draw(disguised_service(canary.port))
    with pytest.raises((QueryRefused, QuerySyntaxError)):
        small_store.query(query)
    assert canary.connections == 0, query


@given(text=st.text(max_size=300))
@FUZZ
def test_the_guard_takes_any_text(text: str) -> None:
    found = remote_operations(lexed_query(text))
    assert isinstance(found, tuple)


SPARQL_WORDS = ["SELECT", "*", "WHERE", "{", "}", "?s", "?p", "?o", "LIMIT", "10", "OFFSET",
                "ORDER", "BY", "GROUP", "VALUES", "(", ")", "SERVICE", "GRAPH", "<urn:g>", ".",
                "#", "\n", '"', "'", "\\u0053", "FILTER", "EXISTS", "AS", "COUNT", "INSERT",
                "DATA", "DELETE", "WITH", "USING", ";", "CLEAR", "ALL", "DROP", "LOAD"]


@given(words=st.lists(st.sampled_from(SPARQL_WORDS), max_size=40))
@FUZZ
def test_rewriting_and_analysis_take_any_token_soup(small_store: OxigraphBackend,
                                                    words: list[str]) -> None:
    text = " ".join(words)
    limited = with_row_limit(lexed_query(text), 5).text
    try:
        answer = small_store.store.query(limited)
    except SyntaxError:
        pass
    else:
        if isinstance(answer, ox.QuerySolutions):
            assert len(list(answer)) <= 5 or limited == text
    with contextlib.suppress(UpdateSyntaxError):
        update_targets(text)


@given(modifiers=st.lists(st.sampled_from(["ORDER BY ?s", "LIMIT 3", "LIMIT 50", "OFFSET 1",
                                           "GROUP BY ?s ?p ?o"]), max_size=3, unique=True),
       nested=st.booleans(), values=st.booleans())
@FUZZ
def test_the_row_limit_never_changes_a_small_answer(modifiers: list[str], nested: bool,
                                                    values: bool) -> None:
    store = ox.Store()
    for i in range(20):
        store.add(ox.Quad(ox.NamedNode(f"urn:s{i}"), ox.NamedNode("urn:p"), ox.Literal(i)))
    limits = [m for m in modifiers if m.startswith("LIMIT")]
    if len(limits) > 1:
        return
    body = "{ SELECT ?s ?p ?o { ?s ?p ?o } LIMIT 15 }" if nested else "{ ?s ?p ?o }"
    grammar = ["GROUP", "ORDER", "LIMIT", "OFFSET"]  # the order SPARQL wants them in
    ordered = sorted(modifiers, key=lambda m: grammar.index(m.split()[0]))
    query = f"SELECT ?s ?p ?o WHERE {body} {' '.join(ordered)}"
    if values:
        query += " VALUES ?p { <urn:p> }"
    whole = list(store.query(query))  # type: ignore[arg-type]
    capped = list(store.query(with_row_limit(lexed_query(query), 7).text))  # type: ignore[arg-type]
    assert len(capped) == min(7, len(whole))


# --- the fact loader -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ontology_index(layout: Layout) -> OntologyIndex:
    return OntologyIndex.from_graph(Graph().parse(layout.ontology_dir / "dmo.ttl"))


def _mutate(node: Any, draw: Any) -> Any:
    """Replace one random part of a YAML document by a random value."""
    junk = draw(st.one_of(st.none(), st.integers(), st.floats(allow_nan=True),
                          st.text(max_size=30), st.lists(st.text(max_size=5), max_size=3),
                          st.dictionaries(st.text(max_size=5), st.text(max_size=5),
                                          max_size=2), st.booleans()))
    if isinstance(node, dict) and node:
        key = draw(st.sampled_from(sorted(node, key=str)))
        action = draw(st.integers(0, 3))
        if action == 0:
            del node[key]
        elif action == 1:
            node[key] = junk
        else:
            node[key] = _mutate(node[key], draw)
        return node
    if isinstance(node, list) and node:
        index = draw(st.integers(0, len(node) - 1))
        node[index] = _mutate(node[index], draw) if draw(st.booleans()) else junk
        return node
    return junk


@pytest.fixture(scope="module")
def fact_documents(layout: Layout) -> dict[str, Any]:
    return {p.name: yaml.safe_load(p.read_text(encoding="utf-8"))
            for p in sorted(layout.facts_dir.glob("*.yaml"))}


@pytest.fixture(scope="module")
def fact_files(layout: Layout) -> dict[Path, ReadFactFile]:
    # Each example changes one file: the others are read once, here.
    return {p: read_fact_file(p) for p in sorted(layout.facts_dir.glob("*.yaml"))}


@given(data=st.data())
@settings(max_examples=examples(150), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_the_fact_loader_names_what_is_wrong_in_any_mutation(
        ontology_index: OntologyIndex, fact_documents: dict[str, Any],
        fact_files: dict[Path, ReadFactFile], data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(sorted(fact_files)))
    if data.draw(st.integers(0, 5)) == 0:
        raw = data.draw(st.binary(max_size=200))
    else:
        mutated = _mutate(copy.deepcopy(fact_documents[path.name]), data.draw)
        raw = yaml.safe_dump(mutated, allow_unicode=True).encode("utf-8")
    try:
        combine_facts(sorted({**fact_files, path: read_fact_bytes(path, raw)}.items()),
                      ontology_index)
    except FactsInvalid as invalid:
        assert invalid.errors
        for error in invalid.errors:
            assert error.file is not None and str(error)


# --- the protocol layer, over HTTP -----------------------------------------------------------

PATHS = ["/sparql", "/api/search", "/api/entities/substance/ketamine", "/api/claims",
         "/api/queries/cq13", "/reconcile", "/reconcile/suggest/entity", "/rdf-graphs/service",
         "/id/substance/ketamine", "/search", "/admin/backup", "/ontology", "/.well-known/void"]
PARAMS = ["query", "update", "q", "format", "lang", "type", "default-graph-uri",
          "named-graph-uri", "graph", "default", "queries", "id", "prefix", "claim", "page",
          "per_page", "using-graph-uri"]
MEDIA = ["application/sparql-query", "application/sparql-update",
         "application/x-www-form-urlencoded", "text/turtle", "application/json",
         "application/ld+json", "multipart/form-data; boundary=x", "text/plain; charset=latin1",
         "", "*/*", "application/sparql-query; charset=utf-16"]


@st.composite
def http_requests(draw: Any) -> tuple[str, str, bytes, dict[str, str]]:
    method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]))
    params = draw(st.lists(st.tuples(st.sampled_from(PARAMS),
                                     st.one_of(st.text(max_size=60),
                                               st.sampled_from(["SELECT * {?s ?p ?o}",
                                                                "ASK {}", "CLEAR ALL",
                                                                "x" * 3000]))),
                           max_size=4))
    query = "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in params)
    path = draw(st.sampled_from(PATHS)) + (f"?{query}" if query else "")
    body = draw(st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)))
    headers = {"Content-Type": draw(st.sampled_from(MEDIA)),
               "Accept": draw(st.sampled_from(["*/*", "text/html", "application/json",
                                               "text/turtle;q=0.1, nonsense", ""]))}
    if draw(st.booleans()):
        headers["Authorization"] = draw(st.sampled_from(["Bearer", "Bearer x", "Basic Zm9v",
                                                         "Bearer " + "a" * 200]))
    return method, path, body, headers


@given(call=http_requests())
@FUZZ
def test_the_service_answers_anything_without_a_5xx(live_server: LiveServer,
                                                    call: tuple[str, str, bytes,
                                                                dict[str, str]]) -> None:
    method, path, body, headers = call
    reply = request(method, live_server.url + path, body if method != "GET" else None,
                    headers, timeout=20)
    assert reply.status < 500, (method, path, headers, reply.status, reply.body[:300])
    assert b"Traceback" not in reply.body
