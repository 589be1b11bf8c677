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
    plain = _batch(live_server, {"q": {"query": "cannabis"}})["q"]["result"]
    queries = {"q": {"query": "cannabis",
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
     json.dumps({"q": {"query": "x", "limit": 0}}),
     json.dumps({"q": {"query": "x", "properties": [{"pid": "p"}]}})],
)
def test_malformed_batches_are_400(live_server: LiveServer, payload: str) -> None:
    reply = request("GET", f"{live_server.url}/reconcile?{urlencode({'queries': payload})}")
    assert reply.status == 400
    assert json.loads(reply.body)["message"]
