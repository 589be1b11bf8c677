"""The REST API under /api: look-ups, search, lists, canned queries, with an OpenAPI document."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

from flask import Flask, Response, current_app, render_template, request
from flask.views import MethodView
from flask_smorest import Api, Blueprint
from flask_smorest.error_handler import ErrorSchema
from marshmallow import RAISE
from webargs.flaskparser import FlaskParser

from kg.catalogue import Catalogue, Hit, Results
from kg.namespaces import DMO, DMR
from kg.queryfiles import QueryFile, QueryParameter, read_queries
from kg.search.fields import FACETS
from kg.store import (
    Backend,
    LiteralValue,
    QueryFailed,
    QuerySyntaxError,
    StoreUnreachable,
    Value,
    date_value,
    integer_value,
)
from kg.version import project_version
from service import api_schemas as schemas
from service.description import as_json, json_text
from service.errors import ServiceError
from service.i18n import (
    API_FRENCH,
    API_WORDS,
    KIND_NAME,
    api_text_key,
    chrome_words,
    facet_label,
    page_language,
)
from service.resources import NotFound, Resources
from service.services import run_timed, services
from service.status import status_at


class _Parser(FlaskParser):
    # Bad parameters are the client's error: 400, naming the parameter.
    DEFAULT_VALIDATION_STATUS = 400


class ApiBlueprint(Blueprint):  # type: ignore[misc]
    """A flask-smorest blueprint whose argument errors are 400s."""

    # A misspelt or unsupported filter would otherwise be dropped, and the answer look like
    # one filtered by it: an unknown parameter is refused, named, as a bad one is.
    ARGUMENTS_PARSER = _Parser(unknown=RAISE)


blueprint = ApiBlueprint("api", __name__, url_prefix="/api",
                         description="Look up, search and list the knowledge graph.")

View = TypeVar("View", bound=Callable[..., Any])
# Errors any operation may answer, whatever it reads: the methods it does not take, the client
# limits (service/limits.py) and the time limit or an unreachable store.
COMMON_ERRORS = {
    400: "a parameter is unknown (none is ignored), missing or malformed; errors names each",
    405: "the method is neither GET, HEAD nor OPTIONS (the Allow header lists them)",
    414: "the request line is longer than 8190 bytes: the parameters are too long",
    431: "the request's header fields are more than 100 or longer than 64 KiB in all",
    429: "the client sent requests faster than RATE_LIMIT allows or more at once than "
         "CONCURRENCY_LIMIT; Retry-After says when to try again",
    503: "the work ran past QUERY_TIMEOUT and was stopped, or the store could not be reached",
}


def documented_errors(described: dict[int, str]) -> Callable[[View], View]:
    """Document an operation's error answers, its own and the common ones, with their body."""
    def document(view: View) -> View:
        for status, description in {**COMMON_ERRORS, **described}.items():
            view = blueprint.alt_response(status, schema=ErrorSchema,
                                          description=description)(view)
        return view
    return document



def _backend() -> Backend:
    found: Backend = services().backend
    return found


def _catalogue() -> Catalogue:
    found: Catalogue = services().catalogue
    return found


def _resources() -> Resources:
    return Resources(_backend(), _catalogue(), services().links)


def _describe(ident: str, lang: str) -> Response:
    """The JSON of a look-up, written from the typed description (the schema documents it)."""
    try:
        described = _resources().describe(ident, lang)
    except NotFound:
        raise ServiceError(404, f"no entity {ident!r}") from None
    provider = current_app.json
    compact = getattr(provider, "compact", None)
    if compact is False or (compact is None and current_app.debug) or not getattr(
            provider, "sort_keys", False) or not getattr(provider, "ensure_ascii", False):
        # Written as every JSON answer of the app then is (indented, in debug mode).
        return cast(Response, provider.response(as_json(described)))
    # The bytes every compact JSON answer of the app has (sorted keys, ASCII, a newline),
    # written without the intermediate dicts, each shared object once.
    return current_app.response_class(f"{json_text(described)}\n",
                                      mimetype=provider.mimetype)  # type: ignore[attr-defined]


def _page_link(page: int, per_page: int, total: int, args: dict[str, Any]) -> str | None:
    if page * per_page >= total:
        return None
    # Booleans in the form the schema reads them back (true, false), not Python's.
    params = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in args.items()
              if v not in (None, [], "")}
    params.update(page=page + 1, per_page=per_page)
    return f"{request.path}?{urlencode(params, doseq=True)}"


def _paged(items: list[Any], args: dict[str, Any]) -> dict[str, Any]:
    page, per_page = args["page"], args["per_page"]
    start = (page - 1) * per_page
    return {"total": len(items), "page": page, "per_page": per_page,
            "results": items[start:start + per_page],
            "next": _page_link(page, per_page, len(items), args)}


ENTITY_EXAMPLE = {
    "iri": f"{DMR}place/lille", "id": "place/lille", "kind": "place", "label": "Lille",
    "labels": {"en": "Lille", "fr": "Lille"}, "alt_labels": [],
    "types": [{"name": "City", "iri": str(DMO.City), "label": "city"}],
    "definition": None, "note": None,
    "identifiers": [{"scheme": "wikidata", "scheme_name": "Wikidata", "id": "Q648",
                     "iri": "http://www.wikidata.org/entity/Q648", "match": "exact"}],
    "relations": [{"property": {"iri": str(DMO.locatedIn), "label": "located in"},
                   "value": {"iri": f"{DMR}place/france", "id": "place/france",
                             "label": "France"}}],
    "incoming": [], "claims": [], "measures": [],
}


@blueprint.route("/entities/<string:kind>/<string:slug>")
class EntityById(MethodView):
    @blueprint.arguments(schemas.EntityArgs, location="query")
    @blueprint.response(200, schemas.EntitySchema, example=ENTITY_EXAMPLE)
    @documented_errors({404: "no entity with this id"})
    def get(self, args: dict[str, Any], kind: str, slug: str) -> Response:
        """Look up an entity by kind and slug.

        Labels in both languages, types, identifiers, relations in both
        directions, control measures, and the claims about it with their
        quotes and sources.
        """
        return _describe(f"{kind}/{slug}", args["lang"])


@blueprint.route("/entities/<string:kind>/<string:slug>/status")
class EntityStatus(MethodView):
    @blueprint.arguments(schemas.StatusArgs, location="query")
    @blueprint.response(200, schemas.StatusSchema)
    @documented_errors({404: "no entity, or no jurisdiction, with this id",
                        400: "a parameter is unknown, missing or malformed"})
    def get(self, args: dict[str, Any], kind: str, slug: str) -> dict[str, Any]:
        """The legal status of an entity on a day: the control measures in force.

        Measures that regulate the entity itself (a substance, or a medicinal
        product such as injectable ketamine preparations), each with its
        category, its legal text and its state that day.
        """
        catalogue = _catalogue()
        entity = catalogue.by_id(f"{kind}/{slug}")
        if entity is None:
            raise ServiceError(404, f"no entity '{kind}/{slug}'")
        jurisdiction = args.get("jurisdiction")
        if jurisdiction is not None:
            jurisdiction = jurisdiction if "/" in jurisdiction else f"place/{jurisdiction}"
            if catalogue.by_id(jurisdiction) is None or not jurisdiction.startswith("place/"):
                raise ServiceError(404, f"parameter 'jurisdiction': no place {jurisdiction!r}")
        layout = services().layout
        store = _backend()
        measures = run_timed(lambda: status_at(
            store, layout.queries_dir, entity.iri, args["at"],
            f"{DMR}{jurisdiction}" if jurisdiction else None))
        return {"entity": {"iri": entity.iri, "id": entity.id, "label": entity.label("en")},
                "at": args["at"].isoformat(), "jurisdiction": jurisdiction,
                "measures": measures}


@blueprint.route("/entity")
class EntityByIri(MethodView):
    @blueprint.arguments(schemas.EntityByIriArgs, location="query")
    @blueprint.response(200, schemas.EntitySchema, example=ENTITY_EXAMPLE)
    @documented_errors({404: "no entity with this IRI"})
    def get(self, args: dict[str, Any]) -> Response:
        """Look up an entity by its IRI."""
        iri = args["iri"]
        if not iri.startswith(str(DMR)):
            raise ServiceError(404, f"{iri!r} is not an IRI of this graph")
        return _describe(iri.removeprefix(str(DMR)), args["lang"])


SEARCH_EXAMPLE = {"total": 1, "total_exact": True, "page": 1, "per_page": 20, "next": None,
                  "results": [
    {"iri": f"{DMR}substance/mdma", "id": "substance/mdma", "kind": "substance",
     "label": "MDMA", "types": ["Entactogen", "Substance"], "matched": "ecstasy",
     "match": "exact", "score": 90.0, "snippet": None, "snippet_lang": None}],
    "did_you_mean": None, "facets": {"kind": [
        {"value": "substance", "label": "substances", "count": 1}]}}


FILTERS = {"type": "class", **{name: name for name in FACETS if name != "class"}}


def hit_json(hit: Hit, lang: str) -> dict[str, Any]:
    """One search result as the API gives it."""
    return {"iri": hit.entity.iri, "id": hit.entity.id, "kind": hit.entity.kind,
            "label": hit.entity.label(lang), "types": sorted(hit.entity.types),
            "matched": hit.name, "match": hit.match, "score": hit.score,
            "snippet": hit.snippet, "snippet_lang": hit.snippet_lang}


@blueprint.route("/search")
class Search(MethodView):
    @blueprint.arguments(schemas.SearchArgs, location="query")
    @blueprint.response(200, schemas.SearchSchema, example=SEARCH_EXAMPLE)
    @documented_errors({})
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Search names, alternative names, quotes, summaries and notes, in English and French.

        Case and accents do not matter; alternative names count (ecstasy
        finds MDMA). Exact names rank first, then starts of names, names
        holding every word, pieces of names, the texts, and last names
        spelt alike (kokain finds cocaine, with did_you_mean). Facets
        count the matches; the filters keep some of them. Past a
        thousand names matched as typed, total and facets count those
        alone (total_exact is then false).
        """
        types = set(args["type"])
        unknown = sorted(t for t in types if str(DMO[t]) not in _catalogue().terms)
        if unknown:
            raise ServiceError(400, f"parameter 'type': unknown DMO class {', '.join(unknown)}")
        lang, page, per_page = args["lang"], args["page"], args["per_page"]
        filters = {field: args[name] for name, field in FILTERS.items() if args[name]}
        found = _catalogue().query(args["q"], filters, (page - 1) * per_page, per_page,
                                   facets=args["facets"], lang=lang)
        catalogue = _catalogue()
        facets = {name: [{"value": value, "label": facet_label(catalogue, name, value, lang),
                          "count": count} for value, count in values]
                  for name, values in found.facets.items()}
        return {"total": found.total, "total_exact": found.total_exact, "page": page,
                "per_page": per_page, "results": [hit_json(h, lang) for h in found.hits],
                "did_you_mean": _did_you_mean(found, lang), "facets": facets,
                "next": _page_link(page, per_page, found.total, args)}


def _did_you_mean(found: Results, lang: str) -> str | None:
    """The spelling to suggest as the search page writes it: the entity's, in lang."""
    if found.suggested and found.did_you_mean:
        return found.suggested.written(found.did_you_mean, lang)
    return found.did_you_mean


@blueprint.route("/suggest")
class Suggest(MethodView):
    @blueprint.arguments(schemas.SuggestArgs, location="query")
    @blueprint.response(200, schemas.SuggestSchema, example={"query": "keta", "suggestions": [
        {"id": "substance/ketamine", "label": "ketamine", "label_lang": "en",
         "kind": "substance", "kind_label": "substance", "matched": "ketamine",
         "matched_lang": "en", "url": "/id/substance/ketamine"}]})
    @documented_errors({})
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Names beginning as typed so far, for search boxes."""
        lang = args["lang"]
        hits = _catalogue().suggest(args["q"], args["limit"])
        shown = [h.entity.matched_in(h.name, lang, args["q"]) for h in hits]
        return {"query": args["q"], "suggestions": [
            {"id": h.entity.id, "label": h.entity.label(lang),
             "label_lang": h.entity.label_language(lang) or lang, "kind": h.entity.kind,
             "kind_label": KIND_NAME[lang].get(h.entity.kind, h.entity.kind),
             "matched": matched, "matched_lang": matched_lang or lang,
             "url": f"/id/{h.entity.id}?{urlencode({'lang': lang})}"}
            for h, (matched, matched_lang) in zip(hits, shown, strict=True)]}


@blueprint.route("/types")
class Types(MethodView):
    @blueprint.arguments(schemas.EntityArgs, location="query")
    @blueprint.response(200, schemas.TypeCountSchema(many=True), example=[
        {"name": "City", "iri": str(DMO.City), "label": "city", "count": 8}])
    @documented_errors({})
    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """List the DMO classes that have individuals, with how many each has."""
        catalogue = _catalogue()
        return [{"name": name, "iri": str(DMO[name]), "count": count,
                 "label": catalogue.label(str(DMO[name]), args["lang"]) or name}
                for name, count in catalogue.type_counts().items()]


@blueprint.route("/sources")
class Sources(MethodView):
    @blueprint.arguments(schemas.PageArgs, location="query")
    @blueprint.response(200, schemas.SourceListSchema, example={
        "total": 1, "page": 1, "per_page": 20, "next": None, "results": [
            {"iri": f"{DMR}source/ofdt-tendances-115", "id": "source/ofdt-tendances-115",
             "label": "OFDT Tendances no. 115: recent trends (2015-2016)",
             "title": "Substances psychoactives, usagers et marchés : les tendances récentes "
                      "(2015-2016)", "date": "2016-12", "creators": []}]})
    @documented_errors({})
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List the sources: documents, reports, comments and legal texts."""
        resources = _resources()
        sources = sorted(_catalogue().of_type("Source"), key=lambda e: e.id)
        return _paged([as_json(resources.source(e.iri, args["lang"])) for e in sources], args)


CLAIM_FILTERS = {"substance": DMO.aboutSubstance, "channel": DMO.aboutChannel,
                 "place": DMO.aboutPlace, "source": DMO.statedIn}
# Filters whose values the schema checks (concept ids).
CONCEPT_FILTERS = {"confidence": DMO.confidence, "trend": DMO.trend}


@blueprint.route("/claims")
class Claims(MethodView):
    @blueprint.arguments(schemas.ClaimArgs, location="query")
    @blueprint.response(200, schemas.ClaimListSchema)
    @documented_errors({404: "a filter names an unknown entity"})
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List claims, filtered by what they are about, their kind, trend, confidence or source."""
        catalogue = _catalogue()
        patterns = ["?claim a <https://w3id.org/dmkg/ontology#Claim> ."]
        bindings: dict[str, Value] = {}
        for name, predicate in CLAIM_FILTERS.items():
            ident = args.get(name)
            if ident:
                if catalogue.by_id(ident) is None:
                    raise ServiceError(404, f"parameter '{name}': no entity {ident!r}")
                patterns.append(f"?claim <{predicate}> ?{name} .")
                bindings[name] = f"{DMR}{ident}"
        if args.get("kind"):
            patterns.append("?claim a ?kind .")
            bindings["kind"] = f"{DMO}{args['kind']}"
        for name, predicate in CONCEPT_FILTERS.items():
            if args.get(name):
                patterns.append(f"?claim <{predicate}> ?{name} .")
                bindings[name] = f"{DMR}{args[name]}"
        projection = " ".join(["?claim", *(f"?{name}" for name in bindings)])
        query = f"SELECT DISTINCT {projection} WHERE {{ {' '.join(patterns)} }}"
        rows = _backend().select(query, bindings)
        resources = _resources()
        claims = [as_json(resources.claim(iri, args["lang"]))
                  for iri in sorted({str(r["claim"]) for r in rows})]
        return _paged(claims, args)


def _queries() -> dict[str, QueryFile]:
    layout = services().layout
    return {q.name: q for q in read_queries(layout.queries_dir)}


def _info(query: QueryFile) -> dict[str, Any]:
    return {"name": query.name, "title": query.title, "description": query.description,
            "sparql": query.text,
            "parameters": [{"name": p.name, "type": p.type, "default": p.default,
                            "description": p.description} for p in query.parameters]}


def _term(parameter: QueryParameter, raw: str) -> Value:
    """Turn a parameter's text into an RDF term of its declared type, or abort with 400."""
    where = f"parameter '{parameter.name}'"
    if parameter.type == "iri":
        if not raw.startswith(("http://", "https://")) or any(c in raw for c in ' <>"{}|\\^`'):
            raise ServiceError(400, f"{where}: expected an absolute http(s) IRI")
        return raw
    if parameter.type == "integer":
        try:
            return integer_value(int(raw))
        except ValueError:
            raise ServiceError(400, f"{where}: expected an integer") from None
    if parameter.type == "date":
        try:
            return date_value(dt.date.fromisoformat(raw))
        except ValueError:
            raise ServiceError(400, f"{where}: expected a date YYYY-MM-DD") from None
    return LiteralValue(raw)


@blueprint.route("/queries")
class Queries(MethodView):
    @blueprint.arguments(schemas.NoArgs, location="query")
    @blueprint.response(200, schemas.QueryInfoSchema(many=True))
    @documented_errors({})
    def get(self, _args: dict[str, Any]) -> list[dict[str, Any]]:
        """List the competency questions that can be run, with their parameters."""
        return [_info(q) for q in _queries().values()]


@blueprint.route("/queries/<string:name>")
class RunQuery(MethodView):
    @blueprint.response(200, schemas.QueryResultSchema, example={
        "name": "cq02-drive-cities", "columns": ["city", "label"],
        "rows": [{"city": f"{DMR}place/lille", "label": "Lille"}]})
    @documented_errors({404: "no query with this name",
                        400: "a parameter is unknown or malformed"})
    def get(self, name: str) -> dict[str, Any]:
        """Run a competency question, named in full or by its short name (cq02)."""
        queries = _queries()
        # The short name (cq02), as the README and `dmkg query` use it, when it is unique.
        short = [q for q in queries.values() if q.name.split("-", 1)[0] == name]
        query = queries.get(name) or (short[0] if len(short) == 1 else None)
        if query is None:
            raise ServiceError(404, f"no query {name!r}; known: {', '.join(sorted(queries))}")
        declared = {p.name: p for p in query.parameters}
        unknown = sorted(set(request.args) - set(declared))
        if unknown:
            raise ServiceError(400, f"parameter '{unknown[0]}': not a parameter of {name}")
        bindings: dict[str, Value] = {}
        for parameter in query.parameters:
            raw = request.args.get(parameter.name, parameter.default)
            if raw is not None:
                bindings[parameter.name] = _term(parameter, raw)
        store = _backend()
        try:
            rows = run_timed(lambda: store.select(query.text, bindings))
        except StoreUnreachable:
            raise  # a 503, as everywhere
        except (QuerySyntaxError, QueryFailed) as error:
            # The service's own query: whatever fails is the server's error.
            raise ServiceError(500, f"the query {name} failed: {error}") from error
        columns = rows.columns
        return {"name": query.name, "columns": columns,
                "rows": [{c: (str(row[c]) if c in row else None) for c in columns}
                         for row in rows]}


def init_app(app: Flask) -> None:
    """Attach the REST API, its OpenAPI document and its docs page."""
    app.config.update(
        API_TITLE="DMKG REST API",
        API_VERSION=project_version(),
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={"info": {"description": (
            "Look up, search and list the Drug-Market Knowledge Graph. Every answer is JSON; "
            "errors are JSON objects with code, status and message.")}},
    )
    api = Api(app)
    api.register_blueprint(blueprint)

    @app.get("/api/docs")
    def api_docs() -> Response:
        """Interactive documentation of the REST API (Swagger UI, served from here)."""
        lang = page_language()
        return Response(render_template("api_docs.html", lang=lang, words=API_WORDS[lang],
                                        chrome=chrome_words(lang),
                                        operations=operations(api.spec.to_dict(), lang)),
                        content_type="text/html; charset=utf-8")


# The keys of an OpenAPI path item that name operations (the others are shared parameters).
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def operations(document: dict[str, Any], lang: str = "en") -> list[dict[str, str]]:
    """Each operation of an OpenAPI document: method, path, summary (in lang when it is
    translated) and the summary's language, in document order."""
    found = []
    for path, item in document["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                summary = item[method].get("summary", "")
                french = API_FRENCH.get(api_text_key(summary)) if lang == "fr" else None
                found.append({"method": method.upper(), "path": path,
                              "summary": french or summary, "lang": "fr" if french else "en"})
    return found
