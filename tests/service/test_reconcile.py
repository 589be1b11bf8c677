"""The reconciliation service, as OpenRefine calls it, checked against the W3C 0.2 schemas."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from jsonschema import Draft7Validator
from referencing import Registry
from referencing.jsonschema import DRAFT7

from tests.http import request
from tests.live import LiveServer

Validate = Callable[[str, Any], None]


@pytest.fixture(scope="module")
def validate(shared_dir: Path) -> Validate:
    folder = shared_dir / "conformance" / "reconciliation-api-0.2"
    schemas = {p.name: json.loads(p.read_text()) for p in folder.glob("*.json")}
    registry = Registry()
    # The schemas say "http://json-schema.org/schema#", which names no draft: read them as 7.
    for schema in schemas.values():
        registry = registry.with_resource(schema["$id"].rstrip("#"),
                                          DRAFT7.create_resource(schema))

    def check(name: str, document: Any) -> None:
        schema = schemas[name]
        Draft7Validator(schema, registry=registry).validate(document)

    return check


def get_json(server: LiveServer, path: str, **params: Any) -> tuple[int, Any]:
    query = f"?{urlencode(params)}" if params else ""
    reply = request("GET", f"{server.url}{path}{query}")
    return reply.status, json.loads(reply.body)


def test_manifest(live_server: LiveServer, validate: Validate) -> None:
    status, manifest = get_json(live_server, "/reconcile")
    assert status == 200
    validate("manifest.json", manifest)
    assert manifest["identifierSpace"] == "https://w3id.org/dmkg/id/"
    assert {t["id"] for t in manifest["defaultTypes"]} >= {"Substance", "Place"}
    assert manifest["view"]["url"].endswith("/id/{{id}}")


def _batch(server: LiveServer, queries: dict[str, Any], method: str = "POST") -> Any:
    payload = json.dumps(queries)
    if method == "GET":
        reply = request("GET", f"{server.url}/reconcile?{urlencode({'queries': payload})}")
    else:
        reply = request("POST", f"{server.url}/reconcile", urlencode({"queries": payload}),
                        {"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 200, reply.body
    return json.loads(reply.body)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_batched_queries_score_and_match(live_server: LiveServer, validate: Validate,
                                         method: str) -> None:
    queries = {"q0": {"query": "Kétamine"}, "q1": {"query": "ecstasy", "type": "Substance"},
               "q2": {"query": "Lille", "type": ["City"], "limit": 3}}
    validate("reconciliation-query-batch.json", queries)
    answer = _batch(live_server, queries, method)
    validate("reconciliation-result-batch.json", answer)
    top = {key: value["result"][0] for key, value in answer.items()}
    assert top["q0"]["id"] == "substance/ketamine" and top["q0"]["match"] is True
    assert top["q1"]["id"] == "substance/mdma"
    assert top["q2"]["id"] == "place/lille" and len(answer["q2"]["result"]) <= 3
    scores = [r["score"] for r in answer["q0"]["result"]]
    assert scores == sorted(scores, reverse=True)
    assert all(not r["match"] for r in answer["q0"]["result"][1:])


def test_type_filter_excludes_other_types(live_server: LiveServer) -> None:
    answer = _batch(live_server, {"q": {"query": "paris", "type": "Regulation"}})
    assert answer["q"]["result"] == []


def test_property_conditions_raise_the_matching_candidate(live_server: LiveServer,
                                                          validate: Validate) -> None:
    plain = _batch(live_server, {"q": {"query": "cannabis", "type": "Substance"}})["q"]["result"]
    queries = {"q": {"query": "cannabis", "type": "Substance",
                     "properties": [{"pid": "wikidata", "v": "Q2845"}]}}
    validate("reconciliation-query-batch.json", queries)
    conditioned = _batch(live_server, queries)["q"]["result"]
    assert {r["id"] for r in plain[:2]} == {"substance/herbal-cannabis", "substance/cannabis-resin"}
    # Q2845 is only a close match of herbal cannabis: an exact-match condition meets no one.
    assert all(r["score"] < 90 for r in conditioned)
    located = _batch(live_server, {"q": {"query": "Drive", "properties": [
        {"pid": "operatesIn", "v": {"id": "place/toulouse"}}]}})["q"]["result"]
    assert located[0]["id"] == "channel/drive" and located[0]["score"] >= 90
    elsewhere = _batch(live_server, {"q": {"query": "Drive", "properties": [
        {"pid": "operatesIn", "v": "Marseille"}]}})["q"]["result"]
    assert elsewhere[0]["score"] < located[0]["score"]


@pytest.mark.parametrize(
    ("path", "schema", "params", "expected"),
    [("/reconcile/suggest/entity", "suggest-entities-response.json", {"prefix": "keta"},
      "substance/ketamine"),
     ("/reconcile/suggest/type", "suggest-types-response.json", {"prefix": "subst"},
      "Substance"),
     ("/reconcile/suggest/property", "suggest-properties-response.json", {"prefix": "operat"},
      "operatesIn")],
)
def test_suggest(live_server: LiveServer, validate: Validate, path: str, schema: str,
                 params: dict[str, str], expected: str) -> None:
    status, body = get_json(live_server, path, **params)
    assert status == 200
    validate(schema, body)
    assert expected in {r["id"] for r in body["result"]}


def test_preview(live_server: LiveServer) -> None:
    reply = request("GET", f"{live_server.url}/reconcile/preview?id=substance/mdma")
    assert reply.status == 200 and reply.media_type == "text/html"
    assert "MDMA" in reply.text and "ecstasy" in reply.text
    assert request("GET", f"{live_server.url}/reconcile/preview?id=x/y").status == 404


@pytest.mark.parametrize(
    "payload",
    ["not json", json.dumps([1, 2]), json.dumps({"q": {"query": ""}}),
     json.dumps({"q": {"query": "x", "limit": -1}}),
     json.dumps({"q": {"query": "x", "properties": [{"pid": "p"}]}})],
)
def test_malformed_batches_are_400(live_server: LiveServer, payload: str) -> None:
    reply = request("GET", f"{live_server.url}/reconcile?{urlencode({'queries': payload})}")
    assert reply.status == 400
    assert json.loads(reply.body)["message"]


def _form(server: LiveServer, field: str, value: Any) -> Any:
    """POST one form field to /reconcile as OpenRefine does; return the JSON answer."""
    reply = request("POST", f"{server.url}/reconcile", urlencode({field: json.dumps(value)}),
                    {"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 200, reply.body
    return json.loads(reply.body)


@pytest.mark.parametrize("query", [
    "Q243547", "wd:Q243547", "http://www.wikidata.org/entity/Q243547",
    "https://www.wikidata.org/wiki/Q243547", "CHEBI:6121", "chebi:6121",
    "http://purl.obolibrary.org/obo/CHEBI_6121", "substance/ketamine",
    "https://w3id.org/dmkg/id/substance/ketamine"])
def test_reconciling_by_identifier_matches_the_entity(live_server: LiveServer,
                                                      validate: Validate, query: str) -> None:
    queries = {"q0": {"query": query}}
    validate("reconciliation-query-batch.json", queries)
    answer = _form(live_server, "queries", queries)
    validate("reconciliation-result-batch.json", answer)
    result = answer["q0"]["result"]
    assert [r["id"] for r in result] == ["substance/ketamine"]
    assert result[0]["match"] is True and result[0]["score"] == 100


def test_identifier_of_another_type_or_a_close_match_is_no_match(
        live_server: LiveServer) -> None:
    other_type = _form(live_server, "queries", {"q": {"query": "Q243547", "type": "City"}})
    assert other_type["q"]["result"] == []
    # chebi:75722 is only a close match (still to verify) of one substance.
    close = _form(live_server, "queries", {"q": {"query": "CHEBI:75722"}})["q"]["result"]
    assert len(close) == 1 and close[0]["match"] is False and close[0]["score"] < 100
    unknown = _form(live_server, "queries", {"q": {"query": "Q1"}})["q"]["result"]
    assert unknown == []


def test_suggest_honours_the_cursor(live_server: LiveServer, validate: Validate) -> None:
    pages = []
    for cursor in (0, 10):
        status, body = get_json(live_server, "/reconcile/suggest/entity", prefix="a",
                                cursor=cursor)
        assert status == 200
        validate("suggest-entities-response.json", body)
        pages.append([r["id"] for r in body["result"]])
    assert len(pages[0]) == 10 and pages[1]
    assert not set(pages[0]) & set(pages[1])
    status, whole = get_json(live_server, "/reconcile/suggest/entity", prefix="a")
    assert [r["id"] for r in whole["result"]] == pages[0]
    status, _ = get_json(live_server, "/reconcile/suggest/entity", prefix="a", cursor="-1")
    assert status == 400
    status, body = get_json(live_server, "/reconcile/suggest/entity", prefix="Q243547")
    assert [r["id"] for r in body["result"]] == ["substance/ketamine"]


def test_manifest_offers_data_extension(live_server: LiveServer, validate: Validate) -> None:
    _, manifest = get_json(live_server, "/reconcile")
    validate("manifest.json", manifest)
    extend = manifest["extend"]
    assert extend["propose_properties"]["service_path"] == "/reconcile/propose_properties"


def test_property_proposals_for_a_type(live_server: LiveServer, validate: Validate) -> None:
    status, body = get_json(live_server, "/reconcile/propose_properties", type="Substance")
    assert status == 200
    validate("data-extension-property-proposal.json", body)
    assert body["type"] == "Substance"
    assert {"wikidata", "chebi", "^regulates"} <= {p["id"] for p in body["properties"]}
    _, regulations = get_json(live_server, "/reconcile/propose_properties", type="Regulation")
    assert {"regulates", "effectiveFrom", "jurisdiction"} <= {
        p["id"] for p in regulations["properties"]}
    _, limited = get_json(live_server, "/reconcile/propose_properties", type="Substance",
                          limit=2)
    assert len(limited["properties"]) == 2
    reply = request("GET", f"{live_server.url}/reconcile/propose_properties?"
                    + urlencode({"type": "Substance", "callback": "jsonp123"}))
    assert reply.text.startswith("jsonp123(") and "^regulates" in reply.text
    status, body = get_json(live_server, "/reconcile/propose_properties", type="Nothing")
    assert status == 400 and "type" in body["message"]


def test_data_extension_fetches_values(live_server: LiveServer, validate: Validate) -> None:
    query = {"ids": ["substance/ketamine", "regulation/injectable-ketamine-fr-liste-i",
                     "substance/unknown"],
             "properties": [{"id": "wikidata"}, {"id": "chebi"}, {"id": "effectiveFrom"},
                            {"id": "regulates", "settings": {"limit": "1"}},
                            {"id": "^regulates"}]}
    validate("data-extension-query.json", query)
    answer = _form(live_server, "extend", query)
    validate("data-extension-response.json", answer)
    assert [m["id"] for m in answer["meta"]] == ["wikidata", "chebi", "effectiveFrom",
                                                 "regulates", "^regulates"]
    ketamine = answer["rows"]["substance/ketamine"]
    assert ketamine["wikidata"] == [{"str": "Q243547"}]
    assert ketamine["chebi"] == [{"str": "CHEBI:6121"}]
    regulating = {v["id"] for v in ketamine["^regulates"]}
    # The 2017 listing regulates the injectable preparations, not the substance.
    assert "regulation/ketamine-fr-stupefiants-1997" in regulating
    assert "regulation/injectable-ketamine-fr-stupefiants-2017" not in regulating
    measure = answer["rows"]["regulation/injectable-ketamine-fr-liste-i"]
    assert measure["effectiveFrom"] == [{"str": "1997"}]
    assert measure["regulates"] == [{"id": "substance/injectable-ketamine",
                                     "name": "injectable ketamine preparations"}]
    assert answer["rows"]["substance/unknown"] == {
        "wikidata": [], "chebi": [], "effectiveFrom": [], "regulates": [], "^regulates": []}


def test_data_extension_gives_full_dates_as_dates(live_server: LiveServer,
                                                  validate: Validate) -> None:
    query = {"ids": ["regulation/codeine-medicines-fr-prescription-only-2017"],
             "properties": [{"id": "effectiveFrom"}]}
    answer = _form(live_server, "extend", query)
    validate("data-extension-response.json", answer)
    row = answer["rows"]["regulation/codeine-medicines-fr-prescription-only-2017"]
    assert row["effectiveFrom"] == [{"date": "2017-07-17T00:00:00"}]  # the date the graph keeps


@pytest.mark.parametrize("extend", [
    "not json", json.dumps({"ids": "x"}), json.dumps({"ids": [], "properties": []}),
    json.dumps({"ids": ["substance/ketamine"], "properties": [{"id": "noSuchProperty"}]}),
    json.dumps({"ids": [], "properties": [{"id": "regulates", "settings": {"limit": -1}}]})])
def test_malformed_extension_queries_are_400(live_server: LiveServer, extend: str) -> None:
    reply = request("POST", f"{live_server.url}/reconcile", urlencode({"extend": extend}),
                    {"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 400
    assert json.loads(reply.body)["message"]


def test_preview_may_be_framed_and_other_pages_may_not(live_server: LiveServer) -> None:
    preview = request("GET", f"{live_server.url}/reconcile/preview?id=substance/mdma")
    assert "x-frame-options" not in preview.headers
    assert "frame-ancestors *" in preview.headers["content-security-policy"]
    for path in ("/", "/id/substance/mdma", "/reconcile/preview?id=x/y"):
        reply = request("GET", f"{live_server.url}{path}", headers={"Accept": "text/html"})
        if reply.media_type == "text/html":
            assert reply.headers["x-frame-options"] == "DENY"
            assert "frame-ancestors 'none'" in reply.headers["content-security-policy"]
