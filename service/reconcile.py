"""The W3C Reconciliation Service API 0.2, as OpenRefine uses it, at /reconcile."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request

from kg.catalogue import EXACT, Catalogue, Entity, Hit, fold
from kg.namespaces import DMO, DMR
from kg.store import Backend
from service.i18n import WORDS
from service.reconcile_extend import SETTINGS, ExtendError, extend, propose
from service.reconcile_ids import IdentifierHit, by_identifier

blueprint = Blueprint("reconcile", __name__)

DEFAULT_TYPES = ("Substance", "Channel", "Actor", "Place", "Regulation", "Source", "Practice",
                 "Risk", "Factor")
# Properties a query may condition on: object properties by DMO name, plus identifiers.
IDENTIFIER_PROPERTIES = {"wikidata": "Wikidata identifier (Q…)",
                         "chebi": "ChEBI identifier (CHEBI:…)"}
MAX_QUERIES = 100
MAX_LIMIT = 50
SUGGEST_SIZE = 10
PREVIEW_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
                  "base-uri 'none'; form-action 'none'; frame-ancestors *")


class BadRequest(ValueError):
    """A reconciliation request that cannot be read; the message says what is wrong."""


def _json(data: Any, status: int = 200) -> Response:
    callback = request.args.get("callback")
    body = json.dumps(data, ensure_ascii=False)
    if callback and callback.replace("_", "").replace(".", "").isalnum():
        # JSONP, which OpenRefine still uses for some cross-origin calls.
        return Response(f"{callback}({body});", status=status,
                        content_type="application/javascript; charset=utf-8")
    response = Response(body, status=status, content_type="application/json; charset=utf-8")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _catalogue() -> Catalogue:
    found: Catalogue = current_app.extensions["dmkg.catalogue"]
    return found


def _type(name: str) -> dict[str, str]:
    return {"id": name, "name": _catalogue().label(str(DMO[name])) or name}


def _object_properties() -> dict[str, str]:
    catalogue = _catalogue()
    found = {}
    for iri, labels in catalogue.terms.items():
        name = iri.removeprefix(str(DMO))
        if name[:1].islower():
            found[name] = labels.get("en") or name
    return found


def manifest() -> dict[str, Any]:
    """Describe the service for OpenRefine."""
    base = request.host_url.rstrip("/")
    return {
        "versions": ["0.2"],
        "name": "DMKG, the Drug-Market Knowledge Graph",
        "identifierSpace": str(DMR),
        "schemaSpace": str(DMO),
        "documentation": f"{base}/api/docs",
        "serviceVersion": "0.1.0",
        "defaultTypes": [_type(t) for t in DEFAULT_TYPES],
        "view": {"url": f"{base}/id/{{{{id}}}}"},
        "preview": {"url": f"{base}/reconcile/preview?id={{{{id}}}}", "width": 420,
                    "height": 260},
        "suggest": {
            "entity": {"service_url": base, "service_path": "/reconcile/suggest/entity"},
            "type": {"service_url": base, "service_path": "/reconcile/suggest/type"},
            "property": {"service_url": base, "service_path": "/reconcile/suggest/property"},
        },
        "extend": {
            "propose_properties": {"service_url": base,
                                   "service_path": "/reconcile/propose_properties"},
            "property_settings": SETTINGS,
        },
    }


@dataclass
class Condition:
    """A property value a candidate should have."""

    pid: str
    values: list[str]


def _conditions(raw: Any) -> list[Condition]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise BadRequest("'properties' must be a list of {pid, v}")
    conditions = []
    for item in raw:
        if not isinstance(item, dict) or "pid" not in item or "v" not in item:
            raise BadRequest("each property condition needs 'pid' and 'v'")
        value = item["v"]
        values = value if isinstance(value, list) else [value]
        texts = []
        for v in values:
            if isinstance(v, dict):
                if "id" not in v:
                    raise BadRequest("an entity value needs an 'id'")
                texts.append(str(v["id"]))
            elif isinstance(v, str | int | float | bool):
                texts.append(str(v))
            else:
                raise BadRequest("a property value is a string, number, boolean or {id}")
        conditions.append(Condition(str(item["pid"]), texts))
    return conditions


def _matches(entity: Entity, condition: Condition, related: dict[str, set[str]]) -> bool:
    wanted = {fold(v).removeprefix(fold(str(DMR))) for v in condition.values}
    if condition.pid in IDENTIFIER_PROPERTIES:
        return bool(wanted & related.get(condition.pid, set()))
    targets = related.get(condition.pid, set())
    names = set()
    for target in targets:
        other = _catalogue().by_id(target)
        names.add(fold(target))
        if other:
            names |= {fold(n) for n in other.labels.values()}
            names |= {fold(n) for _, n in other.alt_labels}
    return bool(wanted & names)


def _related(entity: Entity) -> dict[str, set[str]]:
    """The entity's outgoing DMO relations by property name, and its identifiers."""
    from service.resources import Resources

    backend = current_app.extensions["dmkg.backend"]
    out = Resources(backend, _catalogue()).outgoing(entity.iri)
    found: dict[str, set[str]] = {}
    for predicate, values in out.items():
        if predicate.startswith(str(DMO)):
            found[predicate.removeprefix(str(DMO))] = {
                str(v).removeprefix(str(DMR)) for v in values}
    for value in out.get("http://www.w3.org/2004/02/skos/core#exactMatch", []):
        text = str(value)
        if text.startswith("http://www.wikidata.org/entity/"):
            found.setdefault("wikidata", set()).add(fold(text.rsplit("/", 1)[1]))
        elif "CHEBI_" in text:
            found.setdefault("chebi", set()).add(fold("chebi:" + text.rsplit("_", 1)[1]))
    return found


def reconcile_one(query: dict[str, Any]) -> dict[str, Any]:
    """Candidates for one query, best first, with scores and a match flag."""
    text = query.get("query")
    if not isinstance(text, str) or not text.strip():
        raise BadRequest("each query needs a non-empty 'query' string")
    wanted_types = query.get("type")
    types = {wanted_types} if isinstance(wanted_types, str) else set(wanted_types or [])
    if any(not isinstance(t, str) for t in types):
        raise BadRequest("'type' is a type id or a list of them")
    limit = query.get("limit", 10)
    if not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"'limit' is a whole number from 1 to {MAX_LIMIT}")
    conditions = _conditions(query.get("properties"))
    named = by_identifier(text, _catalogue(), current_app.extensions["dmkg.backend"])
    if named:
        return {"result": _identified(named, types, limit)}
    results: list[tuple[Hit, float, list[dict[str, Any]]]] = []
    for hit in _catalogue().search(text, types or None, limit=max(limit * 3, 20)):
        score = hit.score
        features = [{"id": "name_tier", "value": hit.tier}]
        if conditions:
            related = _related(hit.entity)
            met = sum(_matches(hit.entity, c, related) for c in conditions)
            score = score * (0.5 + 0.5 * met / len(conditions))
            features.append({"id": "properties_matched", "value": met})
        results.append((hit, round(score, 2), features))
    results.sort(key=lambda r: -r[1])
    results = results[:limit]
    answer = []
    runner_up = results[1][1] if len(results) > 1 else 0.0
    for position, (hit, score, features) in enumerate(results):
        # A match: the best candidate, named exactly, clearly ahead of the next.
        is_match = position == 0 and hit.tier == EXACT and score >= 85 and score - runner_up >= 5
        answer.append({
            "id": hit.entity.id,
            "name": hit.entity.label(),
            "description": f"{hit.entity.kind}; matched “{hit.name}”",
            "type": [_type(t) for t in sorted(hit.entity.types)],
            "score": score,
            "match": is_match,
            "features": features,
        })
    return {"result": answer}


def _identified(named: list[IdentifierHit], types: set[str], limit: int
                ) -> list[dict[str, Any]]:
    """Candidates for a query that is an identifier: an exact link is a match when alone."""
    kept = [h for h in named if not types or h.entity.types & types][:limit]
    exact = [h for h in kept if h.exact]
    return [{
        "id": hit.entity.id,
        "name": hit.entity.label(),
        "description": f"{hit.entity.kind}; {'same as' if hit.exact else 'close to'} "
                       f"{hit.identifier}",
        "type": [_type(t) for t in sorted(hit.entity.types)],
        "score": 100.0 if hit.exact else 80.0,
        "match": hit.exact and len(exact) == 1,
        "features": [{"id": "identifier", "value": hit.exact}],
    } for hit in kept]


def _queries_payload() -> dict[str, Any] | None:
    raw = request.values.get("queries")
    if raw is None:
        return None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise BadRequest(f"'queries' is not JSON: {error.msg} at character {error.pos}") from error
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise BadRequest("'queries' is an object mapping keys to query objects")
    if len(data) > MAX_QUERIES:
        raise BadRequest(f"at most {MAX_QUERIES} queries in one batch")
    return data


@blueprint.errorhandler(BadRequest)
def bad_request(error: BadRequest) -> Response:
    """Answer a request that cannot be read with 400 and what is wrong."""
    return _json({"code": 400, "status": "Bad Request", "message": str(error)}, 400)


@blueprint.route("/reconcile", methods=["GET", "POST"])
def reconcile() -> Response:
    """The manifest, or the answers to a batch of queries or to a data extension query."""
    extension = request.values.get("extend")
    if extension is not None:
        try:
            wanted = json.loads(extension)
        except json.JSONDecodeError as error:
            raise BadRequest(f"'extend' is not JSON: {error.msg} at character {error.pos}"
                             ) from error
        return _json(_extension(lambda c, b: extend(c, b, wanted)))
    batch = _queries_payload()
    if batch is None:
        return _json(manifest())
    return _json({key: reconcile_one(query) for key, query in batch.items()})


def _extension(answer: Callable[[Catalogue, Backend], dict[str, Any]]) -> dict[str, Any]:
    try:
        return answer(_catalogue(), current_app.extensions["dmkg.backend"])
    except ExtendError as error:
        raise BadRequest(str(error)) from error


@blueprint.get("/reconcile/propose_properties")
def propose_properties() -> Response:
    """Properties to fetch for entities of a type (data extension)."""
    type_id = request.args.get("type", "")
    raw = request.args.get("limit", "0")
    if not raw.isdigit() or len(raw) > 6:
        raise BadRequest("'limit' is a whole number, 0 or more")
    return _json(_extension(lambda c, b: propose(c, b, type_id, int(raw))))


def _prefix() -> str:
    prefix = request.args.get("prefix", "")
    if not prefix.strip():
        raise BadRequest("'prefix' is required")
    return prefix[:200]


def _cursor() -> int:
    """The position of the first suggestion wanted (Suggest API 'cursor', default 0)."""
    raw = request.args.get("cursor", "0")
    if not raw.isdigit() or len(raw) > 9:
        raise BadRequest("'cursor' is a whole number, 0 or more")
    return int(raw)


@blueprint.get("/reconcile/suggest/entity")
def suggest_entity() -> Response:
    """Auto-complete entity names (or an identifier), SUGGEST_SIZE from the cursor."""
    prefix, cursor = _prefix(), _cursor()
    wanted = request.args.get("type")
    named = by_identifier(prefix, _catalogue(), current_app.extensions["dmkg.backend"])
    if named:
        entities = [h.entity for h in named if not wanted or wanted in h.entity.types]
        entities = entities[cursor:cursor + SUGGEST_SIZE]
    else:
        entities = [h.entity for h in _catalogue().search(
            prefix, {wanted} if wanted else None, offset=cursor, limit=SUGGEST_SIZE)]
    return _json({"result": [{"id": e.id, "name": e.label(), "description": e.kind,
                              "notable": [_type(t) for t in sorted(e.types)]}
                             for e in entities]})


@blueprint.get("/reconcile/suggest/type")
def suggest_type() -> Response:
    """Auto-complete type names (DMO classes with individuals)."""
    prefix, cursor = fold(_prefix()), _cursor()
    names = _catalogue().type_counts()
    found = [_type(n) for n in names
             if prefix in fold(n) or prefix in fold(_type(n)["name"])]
    return _json({"result": found[cursor:cursor + SUGGEST_SIZE]})


@blueprint.get("/reconcile/suggest/property")
def suggest_property() -> Response:
    """Auto-complete property names usable in reconciliation conditions."""
    prefix, cursor = fold(_prefix()), _cursor()
    candidates = {**_object_properties(), **IDENTIFIER_PROPERTIES}
    found = [{"id": pid, "name": name} for pid, name in sorted(candidates.items())
             if prefix in fold(pid) or prefix in fold(name)]
    return _json({"result": found[cursor:cursor + SUGGEST_SIZE]})


@blueprint.get("/reconcile/preview")
def preview() -> Response:
    """A small HTML card of an entity, for OpenRefine's preview pane."""
    ident = request.args.get("id", "")
    entity = _catalogue().by_id(ident)
    if entity is None:
        return Response("no such entity\n", status=404, content_type="text/plain; charset=utf-8")
    html = render_template("preview.html", entity=entity, words=WORDS["en"])
    response = Response(html, content_type="text/html; charset=utf-8")
    # OpenRefine shows the preview in an iframe of its own page, wherever it runs.
    response.headers["Content-Security-Policy"] = PREVIEW_POLICY
    return response
