"""Reconciliation queries of every shape the 0.2 schema allows, and shapes it does not, sent
over HTTP as OpenRefine sends them (a form field)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator

from kg.paths import Layout
from tests.http import request
from tests.live import LiveServer
from tests.profiles import examples
from tests.service.test_reconcile import Validate
from tests.service.test_reconcile import validate as validate  # the fixture

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def post(server: LiveServer, body: str, headers: dict[str, str] | None = None
         ) -> tuple[int, Any]:
    reply = request("POST", f"{server.url}/reconcile", body, headers or FORM)
    return reply.status, json.loads(reply.body)


def batch(server: LiveServer, queries: Any) -> tuple[int, Any]:
    return post(server, urlencode({"queries": json.dumps(queries)}))


def ids(answer: Any) -> list[str]:
    return [r["id"] for r in answer["result"]]


@pytest.mark.parametrize("bad_type", [5, [5], [None], {"name": "x"}, True])
def test_a_type_that_names_no_type_is_400(live_server: LiveServer, bad_type: Any) -> None:
    status, body = batch(live_server, {"q0": {"query": "k", "type": bad_type}})
    assert status == 400 and "'type'" in body["message"]


def test_a_type_may_be_given_as_an_object(live_server: LiveServer) -> None:
    for form in ("Substance", {"id": "Substance"}, [{"id": "Substance", "name": "substance"}]):
        status, body = batch(live_server, {"q": {"query": "ecstasy", "type": form}})
        assert status == 200 and ids(body["q"])[0] == "substance/mdma", form


def test_property_only_queries_find_by_the_properties(live_server: LiveServer,
                                                      validate: Validate) -> None:
    for queries in ({"h": {"properties": [{"pid": "wikidata", "v": "Q243547"}]}},
                    {"h": {"query": "", "properties": [{"pid": "chebi", "v": "CHEBI:6121"}]}},
                    {"h": {"properties": [{"pid": "chebi", "v": 6121}]}}):
        validate("reconciliation-query-batch.json", queries)
        status, body = batch(live_server, queries)
        assert status == 200, body
        validate("reconciliation-result-batch.json", body)
        assert ids(body["h"]) == ["substance/ketamine"]
        assert body["h"]["result"][0]["match"] is True
    status, body = batch(live_server, {"h": {"properties": [
        {"pid": "operatesIn", "v": {"id": "place/toulouse"}}]}})
    assert status == 200 and "channel/drive" in ids(body["h"])


def test_a_property_condition_adds_the_candidate_that_meets_it(live_server: LiveServer) -> None:
    status, body = batch(live_server, {"q": {"query": "x", "properties": [
        {"pid": "chebi", "v": "CHEBI:6121"}]}})
    assert status == 200 and ids(body["q"])[0] == "substance/ketamine"
    # A name that matches still counts: herbal cannabis is named and has ADDICTO's term.
    status, body = batch(live_server, {"q": {"query": "marijuana", "properties": [
        {"pid": "wikidata", "v": "Q243547"}]}})
    assert ids(body["q"])[:2] == ["substance/herbal-cannabis", "substance/ketamine"] or \
        set(ids(body["q"])[:2]) == {"substance/herbal-cannabis", "substance/ketamine"}


def test_one_unreadable_query_does_not_fail_the_batch(live_server: LiveServer,
                                                      validate: Validate) -> None:
    status, body = batch(live_server, {
        "good": {"query": "ketamine"}, "text_limit": {"query": "a", "limit": "3"},
        "zero": {"query": "ketamine", "limit": 0}, "bad": {"query": "k", "type": 5},
        "big": {"query": "a", "limit": 10_000}})
    assert status == 200, body
    validate("reconciliation-result-batch.json", body)
    assert ids(body["good"])[0] == "substance/ketamine"
    assert len(body["text_limit"]["result"]) == 3
    assert body["zero"]["result"] == []
    assert body["bad"]["result"] == [] and "'type'" in body["bad"]["error"]["message"]
    assert 10 < len(body["big"]["result"]) <= 50


def test_a_post_without_a_form_field_is_400(live_server: LiveServer) -> None:
    queries = json.dumps({"q": {"query": "ketamine"}})
    status, body = post(live_server, queries, {"Content-Type": "application/json"})
    assert status == 400 and "form field" in body["message"]
    assert "versions" not in body


def test_queries_that_are_not_utf8_say_so(live_server: LiveServer) -> None:
    status, body = post(live_server, "queries=%ff")
    assert status == 400 and "UTF-8" in body["message"]
    reply = request("GET", f"{live_server.url}/reconcile?queries=%ff")
    assert reply.status == 400 and "UTF-8" in json.loads(reply.body)["message"]
    status, body = post(live_server, "queries=" + quote('{"q":{"query":"kétamine"}}'))
    assert status == 200 and ids(body["q"])[0] == "substance/ketamine"


def test_chebi_ids_take_one_form_everywhere(live_server: LiveServer) -> None:
    extended = post(live_server, urlencode({"extend": json.dumps(
        {"ids": ["substance/ketamine"], "properties": [{"id": "chebi"}]})}))[1]
    written = extended["rows"]["substance/ketamine"]["chebi"][0]["str"]
    assert written == "CHEBI:6121"
    # What data extension writes, reconciliation reads back, as a query or a condition.
    for query in ({"query": written}, {"properties": [{"pid": "chebi", "v": written}]},
                  {"properties": [{"pid": "chebi", "v": "6121"}]}):
        status, body = batch(live_server, {"q": query})
        assert status == 200 and ids(body["q"]) == ["substance/ketamine"], query


def test_an_addiction_ontology_id_reconciles(live_server: LiveServer) -> None:
    # ADDICTO_0000919 (cannabis as a commodity) is broader than herbal cannabis: a candidate,
    # never a match.
    for text in ("ADDICTO:0000919", "addicto:0000919",
                 "http://purl.obolibrary.org/obo/ADDICTO_0000919",
                 "http://addictovocab.org/ADDICTO_0000919"):
        status, body = batch(live_server, {"q": {"query": text}})
        assert status == 200 and ids(body["q"]) == ["substance/herbal-cannabis"], text
        top = body["q"]["result"][0]
        assert top["match"] is False and top["score"] == 70 and "within" in top["description"]


HAS_IDENTIFIER = ("ASK {{ ?s a <https://w3id.org/dmkg/ontology#{0}> ; "
                  "<http://www.w3.org/2004/02/skos/core#exactMatch> ?x "
                  "FILTER(STRSTARTS(STR(?x), '{1}')) }}")
NAMESPACES = {"wikidata": "http://www.wikidata.org/entity/",
              "chebi": "http://purl.obolibrary.org/obo/CHEBI_"}


def test_identifiers_are_proposed_only_for_types_that_have_them(live_server: LiveServer) -> None:
    def proposed(type_id: str) -> set[str]:
        reply = request("GET", f"{live_server.url}/reconcile/propose_properties?type={type_id}")
        return {p["id"] for p in json.loads(reply.body)["properties"]}

    def has(type_id: str, pid: str) -> bool:
        query = HAS_IDENTIFIER.format(type_id, NAMESPACES[pid])
        reply = request("GET", f"{live_server.url}/sparql?{urlencode({'query': query})}",
                        headers={"Accept": "application/sparql-results+json"})
        answer: bool = json.loads(reply.body)["boolean"]
        return answer

    assert {"wikidata", "chebi"} <= proposed("Substance")
    assert not {"wikidata", "chebi"} & proposed("Regulation")
    for type_id in ("City", "Regulation", "Source", "Substance", "Actor"):
        offered = proposed(type_id)
        for pid in NAMESPACES:
            assert (pid in offered) == has(type_id, pid), (type_id, pid)


def test_preview_needs_an_id_and_lists_other_names_once(live_server: LiveServer) -> None:
    reply = request("GET", f"{live_server.url}/reconcile/preview")
    assert reply.status == 400 and "id" in reply.text
    reply = request("GET", f"{live_server.url}/reconcile/preview?id=substance/ketamine")
    assert reply.status == 200
    aliases = reply.text.split("Also known as: ", 1)[1].split("</div>", 1)[0].split(", ")
    assert aliases.count("K") == 1 and "special K" in aliases
    assert "ketamine" not in aliases and "kétamine" not in aliases


def _schema(shared_dir: Path) -> Draft7Validator:
    path = shared_dir / "conformance" / "reconciliation-api-0.2" / "reconciliation-query-batch.json"
    return Draft7Validator(json.loads(path.read_text()))


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                    | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=6)
VALUE = st.one_of(st.text(max_size=12), st.integers(), st.booleans(),
                  st.fixed_dictionaries({"id": st.sampled_from(["place/lille", "x", ""])}), JSON)
CONDITION = st.one_of(st.fixed_dictionaries({
    "pid": st.sampled_from(["wikidata", "chebi", "operatesIn", "regulates", "nope"]),
    "v": st.one_of(VALUE, st.lists(VALUE, max_size=3))}), JSON)
QUERY = st.dictionaries(
    st.sampled_from(["query", "type", "limit", "properties", "type_strict", "other"]),
    st.one_of(JSON, st.sampled_from(["ketamine", "", "Q243547", "CHEBI:6121", "Substance",
                                     "any", "all"]),
              st.lists(st.sampled_from(["City", "Substance", {"id": "Place"}]), max_size=2),
              st.integers(-3, 80), st.lists(CONDITION, max_size=3)),
    max_size=5)


@settings(max_examples=examples(150), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(query=st.one_of(QUERY, JSON))
@pytest.mark.slow
def test_no_query_shape_gives_a_server_error(live_server: LiveServer, shared_dir: Path,
                                             query: Any) -> None:
    status, body = batch(live_server, {"q": query})
    assert status in (200, 400), (query, status, body)
    if status == 400:
        assert body["message"]
    else:
        assert "error" not in body["q"] or body["q"]["result"] == []
    if _answerable(shared_dir, query):
        assert status == 200 and "error" not in body["q"], (query, body)


def _answerable(shared_dir: Path, query: Any) -> bool:
    """Whether the schema accepts the query and it has something to match, a known property
    and a whole, non-negative limit."""
    if not _schema(shared_dir).is_valid({"q": query}):
        return False
    conditions = query.get("properties", [])
    if any(c["pid"] not in {"wikidata", "chebi", "operatesIn", "regulates"} for c in conditions):
        return False
    limit = query.get("limit", 0)
    if limit != int(limit) or limit < 0:
        return False

    def filled(value: Any) -> bool:
        text = value["id"] if isinstance(value, dict) else str(value)
        return bool(text.strip())

    values = [v for c in conditions for v in (c["v"] if isinstance(c["v"], list) else [c["v"]])]
    return bool(query.get("query", "").strip()) or any(filled(v) for v in values)


def test_the_readme_proposal_example_is_what_the_service_proposes(
        live_server: LiveServer, layout: Layout) -> None:
    readme = (layout.root / "README.md").read_text(encoding="utf-8")
    example = readme.split("propose_properties?type=Substance` proposes", 1)[1]
    substance, regulation = example.split("(for `Regulation`:", 1)
    regulation = regulation.split("no identifiers)", 1)[0]

    def proposed(type_id: str) -> set[str]:
        reply = request("GET", f"{live_server.url}/reconcile/propose_properties?type={type_id}")
        return {p["id"] for p in json.loads(reply.body)["properties"]}

    named = set(re.findall(r"`([\^a-zA-Z]+)`", substance))
    assert named and named <= proposed("Substance"), named - proposed("Substance")
    named = set(re.findall(r"`([\^a-zA-Z]+)`", regulation))
    assert named and named <= proposed("Regulation")
    assert not {"wikidata", "chebi"} & proposed("Regulation")


def test_a_query_longer_than_any_name_is_refused_clearly(live_server: LiveServer) -> None:
    status, body = batch(live_server, {"q": {"query": "x" * 10_000}})
    assert status == 400 and "500 characters" in body["message"]
    status, body = batch(live_server, {"q": {"query": "ketamine " * 55}})
    assert status == 200
