"""The REST API over real HTTP: look-ups, search, lists, canned queries and its OpenAPI document."""

from __future__ import annotations

import dataclasses
import json
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from kg.paths import Layout
from service.description import ClaimLink, EntityDescription, Measure, SourceLink
from tests.http import request
from tests.live import LiveServer

DMR = "https://w3id.org/dmkg/id/"


def api(server: LiveServer, path: str, **params: Any) -> tuple[int, Any]:
    query = f"?{urlencode(params, doseq=True)}" if params else ""
    reply = request("GET", f"{server.url}/api{path}{query}")
    assert reply.media_type == "application/json", reply.body
    return reply.status, json.loads(reply.body)


def test_entity_by_id_holds_names_types_identifiers_relations_and_claims(
        live_server: LiveServer) -> None:
    status, body = api(live_server, "/entities/channel/drive")
    assert status == 200
    assert body["labels"] == {"en": "drive-through selling point",
                              "fr": "point de vente «\u00a0Drive\u00a0»"}
    assert {t["name"] for t in body["types"]} >= {"PointOfSale", "Channel"}
    places = {r["value"]["id"] for r in body["relations"]
              if r["property"]["iri"].endswith("#operatesIn")}
    assert places == {"place/paris", "place/bordeaux", "place/lille", "place/rennes",
                      "place/toulouse"}
    claim = next(c for c in body["claims"] if c.get("ref") == "F12")
    assert claim["quote"]["lang"] == "fr" and "voiture" in claim["quote"]["value"]
    assert claim["kind"] == "ReportedFinding"
    assert claim["confidence"]["id"] == "concept/high-confidence"
    assert claim["source"]["date"] == "2017-03-14"
    assert claim["source"]["creators"][0]["label"] == "Aurélie Haroche"
    assert claim["source"]["publisher"]["id"] == "actor/jim"


def test_entity_identifiers_and_incoming_relations(live_server: LiveServer) -> None:
    _, body = api(live_server, "/entities/substance/cocaine")
    assert {(i["scheme"], i["id"], i["match"]) for i in body["identifiers"]} == {
        ("wikidata", "Q41576", "exact"), ("chebi", "CHEBI:27958", "exact")}
    incoming = {(r["property"]["label"], r["subject"]["id"]) for r in body["incoming"]}
    assert ("form of", "substance/crack") in incoming
    assert ("distributes", "channel/sms-ordering") in incoming


def test_labels_follow_the_language_parameter(live_server: LiveServer) -> None:
    _, english = api(live_server, "/entities/substance/ketamine")
    _, french = api(live_server, "/entities/substance/ketamine", lang="fr")
    assert english["label"] == "ketamine" and french["label"] == "kétamine"
    assert french["types"][0]["label"] in {"dissociatif", "substance"}


def test_entity_by_iri_and_unknown_entities(live_server: LiveServer) -> None:
    status, body = api(live_server, "/entity", iri=f"{DMR}place/lille")
    assert status == 200 and body["id"] == "place/lille"
    status, body = api(live_server, "/entities/substance/unobtainium")
    assert status == 404 and "substance/unobtainium" in body["message"]
    status, body = api(live_server, "/entity", iri="https://example.org/x")
    assert status == 404


@pytest.mark.parametrize("text", ["ketamine", "Kétamine", "KETAMINE", "kétamine"])
def test_search_ignores_case_and_accents(live_server: LiveServer, text: str) -> None:
    _, body = api(live_server, "/search", q=text)
    first = body["results"][0]
    assert first["id"] == "substance/ketamine" and first["match"] == "exact"


def test_search_finds_alternative_names_and_filters_by_type(live_server: LiveServer) -> None:
    _, body = api(live_server, "/search", q="ecstasy")
    assert body["results"][0]["id"] == "substance/mdma"
    assert body["results"][0]["matched"] == "ecstasy"
    _, cities = api(live_server, "/search", q="paris", type="City")
    assert {r["id"] for r in cities["results"]} == {"place/paris"}


def test_the_type_filter_takes_the_ontology_classes_only(live_server: LiveServer,
                                                         spec: dict[str, Any]) -> None:
    parameter = next(p for p in spec["paths"]["/api/search"]["get"]["parameters"]
                     if p["name"] == "type")
    assert {"City", "Substance", "PointOfSale"} <= set(parameter["schema"]["items"]["enum"])
    status, body = api(live_server, "/search", q="paris", type="Unicorn")
    assert status == 400 and "Must be one of" in json.dumps(body)


def test_search_ranks_exact_then_prefix_then_words(live_server: LiveServer) -> None:
    _, body = api(live_server, "/search", q="cocaine", per_page=100)
    tiers = [r["match"] for r in body["results"]]
    order = {"exact": 0, "prefix": 1, "words": 2, "substring": 3, "text": 4, "fuzzy": 5}
    assert tiers == sorted(tiers, key=order.__getitem__)
    assert body["results"][0]["id"] == "substance/cocaine"
    assert "words" in tiers


def test_search_pages_carry_totals_and_next_links(live_server: LiveServer) -> None:
    _, first = api(live_server, "/search", q="k", per_page=2)
    assert first["total"] > 2 and len(first["results"]) == 2
    reply = request("GET", live_server.url + first["next"])
    second = json.loads(reply.body)
    assert second["page"] == 2
    assert {r["id"] for r in second["results"]}.isdisjoint({r["id"] for r in first["results"]})


@pytest.mark.parametrize(
    ("path", "params", "names"),
    [("/search", {"q": "x", "per_page": 500}, "per_page"),
     ("/search", {}, "q"),
     ("/search", {"q": "x", "page": "two"}, "page"),
     ("/search", {"q": "x", "lang": "de"}, "lang"),
     ("/search", {"q": "x", "type": "Nonsense"}, "type"),
     ("/claims", {"kind": "Rumour"}, "kind")],
)
def test_bad_parameters_are_400_naming_the_parameter(live_server: LiveServer, path: str,
                                                     params: dict[str, Any], names: str) -> None:
    status, body = api(live_server, path, **params)
    assert status == 400
    assert f"'{names}'" in body["message"]


@pytest.mark.parametrize(
    ("path", "params", "names"),
    [("/claims", {"confidence": "concept/nonsense"}, "'confidence'"),
     ("/claims", {"period": "2015"}, "'period'"),
     ("/claims", {"trend": "marginal", "colour": "red", "shape": "round"}, "'colour', 'shape'"),
     ("/search", {"q": "x", "class": "City"}, "'class'"),
     ("/entities/substance/cocaine", {"lang": "fr", "format": "json"}, "'format'"),
     ("/entity", {"iri": f"{DMR}place/lille", "q": "x"}, "'q'"),
     ("/queries", {"all": "1"}, "'all'")],
)
def test_unknown_parameters_are_400_naming_them(live_server: LiveServer, path: str,
                                                params: dict[str, Any], names: str) -> None:
    status, body = api(live_server, path, **params)
    assert status == 400
    assert names in body["message"]


@pytest.mark.parametrize("path", ["/claims", "/search"])
@pytest.mark.parametrize(("name", "short"), [("trend", "marginal"),
                                             ("confidence", "low-confidence")])
def test_concept_filters_take_the_id_or_its_short_form(live_server: LiveServer, path: str,
                                                       name: str, short: str) -> None:
    text = {"q": "a"} if path == "/search" else {}
    found = [api(live_server, path, per_page=100, **text, **{name: value})
             for value in (short, f"concept/{short}")]
    assert [status for status, _ in found] == [200, 200]
    assert found[0][1]["results"] == found[1][1]["results"]
    assert 0 < found[0][1]["total"] < api(live_server, path, per_page=1, **text)[1]["total"]


def test_the_search_page_names_an_api_search_that_answers(live_server: LiveServer) -> None:
    reply = request("GET", f"{live_server.url}/search?q=a&class=City")
    api_search = reply.headers["link"].split(">")[0].lstrip("<")
    assert "type=City" in api_search
    assert request("GET", live_server.url + api_search).status == 200


def test_types_with_counts(live_server: LiveServer) -> None:
    _, body = api(live_server, "/types")
    counts = {t["name"]: t["count"] for t in body}
    assert counts["City"] == 8 and counts["Claim"] == 37


def test_sources_list(live_server: LiveServer) -> None:
    _, body = api(live_server, "/sources", per_page=100)
    titles = {s["id"]: s["title"] for s in body["results"]}
    assert titles["source/ofdt-tendances-115"].startswith("Substances psychoactives")
    assert "regulation/un-single-convention-1961" in titles


@pytest.mark.parametrize(
    ("params", "refs"),
    [({"substance": "substance/crack"}, {"F10", "F11", "R10"}),
     ({"kind": "Opinion"}, {"F20", "F23", "F24", "F27", "F28"}),
     ({"trend": "marginal"}, {"F13"}),
     ({"place": "place/lille", "trend": "strongly-increasing"}, {"F6"}),
     ({"source": "source/chassaing-2017-03-14-comment"}, {"F24", "F29"}),
     ({"channel": "channel/dark-web"}, {"F13", "F14", "F26", "F27"})],
)
def test_claims_filtered(live_server: LiveServer, params: dict[str, str], refs: set[str]) -> None:
    status, body = api(live_server, "/claims", per_page=100, **params)
    assert status == 200
    assert {c["ref"] for c in body["results"]} == refs


def test_claims_filter_on_an_unknown_entity_is_404(live_server: LiveServer) -> None:
    status, body = api(live_server, "/claims", substance="substance/cocaïne")
    assert status == 404 and "'substance'" in body["message"]


def test_canned_queries_are_listed_with_their_parameters(live_server: LiveServer) -> None:
    _, body = api(live_server, "/queries")
    by_name = {q["name"]: q for q in body}
    assert len(by_name) == 16
    status = by_name["cq16-status-at-date"]["parameters"]
    assert [(p["name"], p["type"]) for p in status] == [
        ("entity", "iri"), ("at", "date"), ("jurisdiction", "iri")]
    assert by_name["cq13-claim-provenance"]["parameters"][0]["name"] == "claim"
    assert by_name["cq02-drive-cities"]["title"].startswith("Cities")


def test_canned_query_runs_with_its_default_and_a_given_parameter(live_server: LiveServer) -> None:
    status, body = api(live_server, "/queries/cq13-claim-provenance")
    assert status == 200
    assert {r["claim"] for r in body["rows"]} == {f"{DMR}claim/ofdt-t115-drive-cities"}
    assert {r["report_author"] for r in body["rows"]} >= {"Thomas Néfau", "Maitena Milhet"}
    other = f"{DMR}claim/ofdt-t115-crack-paris"
    _, bound = api(live_server, "/queries/cq13-claim-provenance", claim=other)
    assert {r["claim"] for r in bound["rows"]} == {other}
    assert body["columns"][0] == "claim"


@pytest.mark.parametrize(
    ("params", "status", "says"),
    [({"claim": "not an iri"}, 400, "'claim'"),
     ({"claim": 'https://x.example/a> } ?s ?p ?o {'}, 400, "'claim'"),
     ({"nope": "1"}, 400, "'nope'")],
)
def test_canned_query_parameters_are_checked(live_server: LiveServer, params: dict[str, str],
                                             status: int, says: str) -> None:
    got, body = api(live_server, "/queries/cq13-claim-provenance", **params)
    assert got == status and says in body["message"]


def test_a_hostile_but_valid_iri_is_only_a_term(live_server: LiveServer) -> None:
    status, body = api(live_server, "/queries/cq13-claim-provenance",
                       claim="https://w3id.org/dmkg/id/claim/x%7D%20UNION")
    assert status == 200 and body["rows"] == []


def test_unknown_canned_query_is_404(live_server: LiveServer) -> None:
    status, _ = api(live_server, f"/queries/{quote('cq99')}")
    assert status == 404


# --- OpenAPI -----------------------------------------------------------------------------------

def test_every_api_route_is_in_the_document(spec: dict[str, Any], built: Layout) -> None:
    from service.app import create_app

    app = create_app({"HOME": str(built.root), "STORE": "memory"})
    routes = {rule.rule.replace("<string:", "{").replace(">", "}")
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")}
    routes -= {"/api/openapi.json", "/api/docs"}
    assert routes == set(spec["paths"])
    assert spec["openapi"].startswith("3.1")


def test_every_operation_documents_its_400_and_the_concept_spellings(
        spec: dict[str, Any]) -> None:
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert "unknown" in operation["responses"]["400"]["description"], (method, path)
    for path in ("/api/claims", "/api/search"):
        described = {p["name"]: p for p in spec["paths"][path]["get"]["parameters"]}
        for name, short in (("trend", "increasing"), ("confidence", "high-confidence")):
            words = json.dumps(described[name])
            assert f"concept/{short}" in words and f"form {short}" in words, (path, name)


def test_documented_examples_validate_against_their_schemas(spec: dict[str, Any]) -> None:
    registry = Registry().with_resource("urn:spec", Resource.from_contents(
        {**spec, "$schema": "https://json-schema.org/draft/2020-12/schema"}))
    checked = 0
    for operations in spec["paths"].values():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "delete", "patch"}:
                continue
            for response in operation.get("responses", {}).values():
                content = response.get("content", {}).get("application/json", {})
                if "example" not in content:
                    continue
                schema = json.loads(json.dumps(content["schema"]).replace(
                    '"#/components', '"urn:spec#/components'))
                Draft202012Validator(schema, registry=registry).validate(content["example"])
                checked += 1
    assert checked >= 6


def test_answers_validate_against_their_schemas(live_server: LiveServer,
                                                spec: dict[str, Any]) -> None:
    registry = Registry().with_resource("urn:spec", Resource.from_contents(
        {**spec, "$schema": "https://json-schema.org/draft/2020-12/schema"}))
    for path, params in (("/entities/{kind}/{slug}", None), ("/search", {"q": "coca"}),
                         ("/claims", {"kind": "Opinion"}), ("/types", None),
                         ("/sources", None), ("/queries", None)):
        schema = spec["paths"]["/api" + path]["get"]["responses"]["200"]["content"][
            "application/json"]["schema"]
        schema = json.loads(json.dumps(schema).replace('"#/components', '"urn:spec#/components'))
        concrete = path.replace("{kind}/{slug}", "substance/ketamine")
        _, body = api(live_server, concrete, **(params or {}))
        Draft202012Validator(schema, registry=registry).validate(body)


def test_the_look_up_schemas_are_those_of_the_typed_description(
        spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    for component, cls in (("Entity", EntityDescription), ("Claim", ClaimLink),
                           ("Source", SourceLink), ("Measure", Measure)):
        fields = dataclasses.fields(cls)
        assert set(schemas[component]["properties"]) == {f.name for f in fields}
        assert set(schemas[component]["required"]) == {
            f.name for f in fields if f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING}
    # Written null when unknown, not left out.
    assert "null" in schemas["Entity"]["properties"]["definition"]["type"]


def test_a_look_up_leaves_out_what_is_unknown(live_server: LiveServer) -> None:
    _, place = api(live_server, "/entities/place/lille")
    assert place["definition"] is None or isinstance(place["definition"], str)
    assert "claim" not in place and "source" not in place and "claims_stated" not in place
    assert place["relations"] and all("id" not in r["property"] for r in place["relations"])
    assert all(set(r["value"]) <= {"iri", "id", "label", "value", "lang", "datatype"}
               for r in place["relations"])


def test_a_query_runs_by_its_short_name(live_server: LiveServer) -> None:
    full = request("GET", f"{live_server.url}/api/queries/cq02-drive-cities")
    short = request("GET", f"{live_server.url}/api/queries/cq02")
    assert full.status == 200 and short.status == 200, short.body[:200]
    assert json.loads(short.body) == json.loads(full.body)
    missing = request("GET", f"{live_server.url}/api/queries/cq99")
    assert missing.status == 404 and b"cq02-drive-cities" in missing.body


def test_search_next_link_and_map_format(live_server: LiveServer) -> None:
    url = f"{live_server.url}/api/search?q=a&per_page=1&facets=true"
    found = json.loads(request("GET", url).body)
    assert found["next"] and "facets=true" in found["next"] and "True" not in found["next"]
    assert request("GET", live_server.url + found["next"]).status == 200
    assert request("GET", f"{live_server.url}/map?format=bogus").status == 400
    assert request("GET", f"{live_server.url}/map?format=json").status == 200
