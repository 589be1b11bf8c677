"""JSON errors over real HTTP: the message explains, the status is said once, and every error
of the REST API is the one its OpenAPI document declares for that status."""

from __future__ import annotations

import json
import re
import time
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import schemathesis
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from kg.paths import Layout
from tests.http import Reply, request
from tests.live import LiveServer

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# (method, path, body, headers, status): errors of every family whose errors are JSON.
Case = tuple[str, str, bytes | None, dict[str, str], int]
API_ERRORS: list[Case] = [
    ("GET", "/api/entities/substance/unobtainium", None, {}, 404),
    ("GET", "/api/entity?" + urlencode({"iri": "https://example.org/x"}), None, {}, 404),
    ("GET", "/api/claims?substance=substance/unobtainium", None, {}, 404),
    ("GET", "/api/queries/cq99", None, {}, 404),
    ("GET", "/api/queries/cq02-drive-cities?nonsense=1", None, {}, 400),
    ("GET", "/api/search?q=x&per_page=many", None, {}, 400),
    ("GET", "/api/types?lang=de", None, {}, 400),
    ("GET", "/api/entities/substance/ketamine/status?date=yesterday", None, {}, 400),
    ("POST", "/api/search?q=x", b"", {}, 405),
    ("DELETE", "/api/types", None, {}, 405),
    ("PUT", "/api/entities/substance/ketamine", b"{}", {}, 405),
    ("GET", "/api/search?q=" + "x" * 9000, None, {}, 414),
    ("GET", "/api/types", None, {f"X-Field-{n}": "1" for n in range(101)}, 431),
]
OTHER_ERRORS: list[Case] = [
    ("GET", "/api/nowhere", None, {}, 404),
    ("GET", "/reconcile/nowhere", None, {}, 404),
    ("GET", "/reconcile/preview?id=x/y", None, {}, 404),
    ("DELETE", "/reconcile", None, {}, 405),
    ("POST", "/reconcile", b"", FORM, 400),
    ("GET", "/reconcile?" + urlencode({"extend": "not json"}), None, {}, 400),
    ("GET", "/reconcile/propose_properties?limit=lots", None, {}, 400),
    ("PUT", "/health", b"", {}, 405),
    ("GET", "/ready/nowhere", None, {}, 404),
    # The data downloads of pages are read by programs too.
    ("GET", "/claims?format=json&trend=bad", None, {}, 400),
    ("GET", "/claims?format=csv&source=source/nowhere", None, {}, 400),
    ("GET", "/browse/substance?format=json&per_page=0", None, {}, 400),
    ("GET", "/browse/nowhere?format=json", None, {}, 404),
]


def case_id(value: object) -> str | None:
    """A case's method and path as its name (a very long path cut short)."""
    return value[:80] if isinstance(value, str) else None


def send(server: LiveServer, method: str, path: str, body: bytes | None,
         headers: dict[str, str]) -> Reply:
    return request(method, server.url + path, body, headers)


def assert_explained(reply: Reply, status: int) -> dict[str, Any]:
    """The error is JSON whose fields carry the status, and whose message only explains."""
    assert reply.status == status, reply.body
    assert reply.media_type == "application/json"
    body: dict[str, Any] = json.loads(reply.body)
    reason = HTTPStatus(status).phrase
    assert (body["code"], body["status"]) == (status, reason)
    message = body["message"]
    assert message and not re.match(r"\d{3}\b", message), message
    assert f"{reason}:" not in message, message
    return body


@pytest.mark.parametrize(("method", "path", "body", "headers", "status"),
                         API_ERRORS + OTHER_ERRORS, ids=case_id)
def test_a_json_error_says_its_status_once(live_server: LiveServer, method: str, path: str,
                                           body: bytes | None, headers: dict[str, str],
                                           status: int) -> None:
    assert_explained(send(live_server, method, path, body, headers), status)


def test_a_jsonp_error_says_its_status_once(live_server: LiveServer) -> None:
    reply = request("GET", f"{live_server.url}/api/nowhere?callback=seen")
    assert reply.status == 404
    text = reply.text
    assert text.startswith("seen(") and text.endswith(");")
    message = json.loads(text[len("seen("):-2])["message"]
    assert "404" not in message and "Not Found" not in message


# --- the OpenAPI document declares what the errors are ------------------------------------------

@pytest.mark.slow
def test_the_document_is_valid_openapi(spec: dict[str, Any]) -> None:
    schemathesis.openapi.from_dict(spec).validate()


def test_every_operation_documents_its_errors_with_the_error_body(
        spec: dict[str, Any]) -> None:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for status in ("405", "429", "503"):
                assert error_schema(spec, operation, status), (path, method, status)


def error_schema(spec: dict[str, Any], operation: dict[str, Any],
                 status: str) -> dict[str, Any] | None:
    """The schema of an operation's JSON answer for status, following a response's $ref."""
    response = operation["responses"].get(status)
    if response is None:
        return None
    if "$ref" in response:
        response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    found: dict[str, Any] | None = response.get("content", {}).get(
        "application/json", {}).get("schema")
    return found


def operation_of(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    """The documented operation answering path: its own method's, else its GET's (a 405)."""
    plain = urlsplit(path).path
    for template, item in spec["paths"].items():
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), plain):
            found: dict[str, Any] = item.get(method.lower()) or item["get"]
            return found
    raise LookupError(f"{path} is no documented operation")


def assert_documented(spec: dict[str, Any], method: str, path: str, reply: Reply) -> None:
    """The answer matches the schema its operation declares for its status (not a default)."""
    schema = error_schema(spec, operation_of(spec, method, path), str(reply.status))
    assert schema is not None, f"{method} {path}: {reply.status} is not documented"
    registry = Registry().with_resource("urn:spec", Resource.from_contents(
        {**spec, "$schema": "https://json-schema.org/draft/2020-12/schema"}))
    schema = json.loads(json.dumps(schema).replace('"#/components', '"urn:spec#/components'))
    Draft202012Validator(schema, registry=registry).validate(json.loads(reply.body))


@pytest.mark.parametrize(("method", "path", "body", "headers", "status"), API_ERRORS,
                         ids=case_id)
def test_every_api_error_is_the_documented_one(live_server: LiveServer, spec: dict[str, Any],
                                               method: str, path: str, body: bytes | None,
                                               headers: dict[str, str], status: int) -> None:
    reply = send(live_server, method, path, body, headers)
    assert reply.status == status
    assert_documented(spec, method, path, reply)


def answered(server: LiveServer, path: str, status: int) -> Reply:
    """GET path until it answers status, waiting out the rate limit as Retry-After says.

    Under load a query thread may finish before the request thread even starts waiting on
    it, time limit of a microsecond or not: the attempts are many, and what came is told."""
    seen = []
    for _ in range(40):
        reply = request("GET", server.url + path)
        if reply.status == status:
            return reply
        seen.append(reply.status)
        if reply.status == 429:
            time.sleep(float(reply.headers["retry-after"]))
    raise AssertionError(f"{path} never answered {status}: {seen}")


@pytest.mark.slow
def test_the_limits_errors_are_documented_ones(tmp_path: Path, built: Layout) -> None:
    """The time limit's 503 and the rate limit's 429, from a service with both set tight."""
    settings = {"QUERY_TIMEOUT": "0.000001", "RATE_LIMIT": "1", "RATE_BURST": "2"}
    with LiveServer(tmp_path, home=built.root, settings=settings) as server:
        spec = json.loads(answered(server, "/api/openapi.json", 200).body)
        # A query may still finish within a microsecond: the next one will not.
        path = "/api/queries/cq02-drive-cities"
        timed_out = answered(server, path, 503)
        assert_explained(timed_out, 503)
        assert_documented(spec, "GET", path, timed_out)
        replies = [request("GET", f"{server.url}/api/types") for _ in range(6)]
        refused = next(r for r in replies if r.status == 429)
        assert_explained(refused, 429)
        assert_documented(spec, "GET", "/api/types", refused)
