"""Read a SPARQL 1.1 Protocol request: which operation, which dataset, or why it is refused."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, parse_qsl, unquote_to_bytes

import pyoxigraph as ox
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request

from kg.formats import FORMAT_PARAMETERS
from kg.store import DatasetSpec
from kg.surrogates import lone_surrogate
from service.errors import ServiceError
from service.media import format_parameter, ranks_html_first

FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"
NO_DATASET = DatasetSpec()


class ProtocolError(ServiceError):
    """A request the protocol refuses, with its status code."""


@dataclass(frozen=True)
class Operation:
    """One query or update and the dataset the request names for it."""

    kind: str  # "query" or "update"
    text: str
    dataset: DatasetSpec
    format: str | None = None  # a ?format= (or form field) choosing the result format


def _utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        surrogate = lone_surrogate(body, "text")
        raise ProtocolError(400, f"the request body is not UTF-8 ({error.reason} at byte "
                                 f"{error.start})" + (f": {surrogate}" if surrogate else "")) \
            from error


def _form(body: bytes) -> dict[str, list[str]]:
    try:
        return parse_qs(_utf8(body), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as error:
        surrogate = lone_surrogate(unquote_to_bytes(body), "text")
        raise ProtocolError(400, "a form field is not UTF-8 once percent-decoded"
                                 + (f": {surrogate}" if surrogate else "")) from error


# rdflib's name for a Dataset's default graph, sent as default-graph-uri by its SPARQLStore:
# it means this service's default graph (the union of the served graphs).
RDFLIB_DEFAULT = "urn:x-rdflib:default"


def _charset_is_utf8(request: Request) -> None:
    charset = request.mimetype_params.get("charset")
    if charset is not None and charset.lower().replace("_", "-") not in {"utf-8", "utf8"}:
        raise ProtocolError(400, f"the body must be UTF-8, not {charset}")


def _iris(params: MultiDict[str, str], name: str) -> tuple[str, ...]:
    """The values of a graph parameter, each an absolute IRI, or a 400."""
    if name not in params:
        return ()
    values = tuple(params.getlist(name))
    for value in values:
        try:
            ox.NamedNode(value)
        except ValueError as error:
            raise ProtocolError(400, f"{name} must be an absolute IRI, not {value!r} "
                                     f"({error})") from error
    return values


def _dataset(params: MultiDict[str, str], default: str, named: str) -> DatasetSpec:
    """The dataset the parameters name (most requests name none)."""
    if default not in params and named not in params:
        return NO_DATASET
    if params.getlist(default) == [RDFLIB_DEFAULT] and named not in params:
        return NO_DATASET
    return DatasetSpec(_iris(params, default), _iris(params, named))


def _body_operation(request: Request) -> tuple[MultiDict[str, str], str | None, str | None]:
    """Read a POST: (parameters, body text, "query" or "update" when the body is one)."""
    mimetype = request.mimetype
    if mimetype == FORM:
        params = MultiDict(request.args)
        for key, values in _form(request.get_data()).items():
            for value in values:
                params.add(key, value)
        return params, None, None
    if mimetype in {QUERY, UPDATE}:
        _charset_is_utf8(request)
        return request.args, _utf8(request.get_data()), "query" if mimetype == QUERY else "update"
    if not mimetype:
        raise ProtocolError(415, f"a POST needs a Content-Type: {FORM}, {QUERY} or {UPDATE}")
    raise ProtocolError(415, f"unsupported Content-Type {mimetype}; use {FORM}, {QUERY} or "
                             f"{UPDATE}")


def read_operation(request: Request) -> Operation | None:
    """Return the request's operation; None for a GET that asks for none (the description)."""
    post = request.method == "POST"
    body_text = body_kind = None
    if post:
        params, body_text, body_kind = _body_operation(request)
    else:
        params = request.args
    queries = params.getlist("query")
    updates = params.getlist("update") if "update" in params else []
    if body_kind == "query":
        queries = [*queries, body_text or ""]
    elif body_kind == "update":
        updates = [*updates, body_text or ""]
    if queries and updates:
        raise ProtocolError(400, "a request carries either a query or an update, not both")
    if len(queries) > 1 or len(updates) > 1:
        raise ProtocolError(400, "a request carries exactly one query or one update")
    if updates:
        if not post:
            # Every 405 names what the target allows (RFC 9110): for an update, POST only.
            raise ProtocolError(405, "an update must be sent with POST", [("Allow", "POST")])
        dataset = _dataset(params, "using-graph-uri", "using-named-graph-uri")
        return Operation("update", updates[0], dataset, format_parameter(params))
    if not queries:
        if post:
            raise ProtocolError(400, "the request has no query (a 'query' parameter or a "
                                     f"{QUERY} body)")
        return None
    dataset = _dataset(params, "default-graph-uri", "named-graph-uri")
    return Operation("query", queries[0], dataset, format_parameter(params))


# Parameters after which a GET is no plain query: read whole, by read_operation.
NOT_PLAIN = frozenset({"update", "default-graph-uri", "named-graph-uri"})


def plain_query(environ: dict[str, Any]) -> Operation | None:
    """The operation of a GET or HEAD carrying one query over the default dataset, from a
    client that is not a browser, read from the WSGI environment alone; None for any other
    request (read whole by read_operation, which also words every refusal).

    Most requests are such queries: reading them costs less than building werkzeug's request
    and its parameters, whose reading this one keeps (the same parse, blank values kept,
    bytes that are not UTF-8 left percent-encoded)."""
    method = environ.get("REQUEST_METHOD")
    if method != "GET" and method != "HEAD":
        return None
    try:
        pairs = parse_qsl(environ.get("QUERY_STRING", "").encode("latin-1").decode(),
                          keep_blank_values=True, errors="werkzeug.url_quote")
    except (UnicodeError, ValueError):  # refused by read_operation, in its words
        return None
    text: str | None = None
    named_format = False
    formats: dict[str, str] = {}
    for name, value in pairs:
        if name == "query":
            if text is not None:
                return None
            text = value
        elif name in NOT_PLAIN:
            return None
        elif name in FORMAT_PARAMETERS:
            named_format = True
            if value:
                formats.setdefault(name, value)
    if text is None:
        return None
    # A browser gets the editor (service/editor.py), unless a format is named; by HEAD too,
    # whose answer is the GET's without its body.
    if not named_format and ranks_html_first(environ.get("HTTP_ACCEPT", "")):
        return None
    chosen = next((formats[name] for name in FORMAT_PARAMETERS if name in formats), None)
    return Operation("query", text, NO_DATASET, chosen)


def base_of(environ: dict[str, Any]) -> str:
    """The endpoint's own IRI, against which the operation's relative IRIs resolve, as
    werkzeug's request reads it (the Host header checked, a default port left out)."""
    return _base(environ.get("wsgi.url_scheme", "http"), environ.get("HTTP_HOST"),
                 environ.get("SERVER_NAME"), environ.get("SERVER_PORT"),
                 environ.get("PATH_INFO") or "")


@lru_cache(maxsize=256)  # clients send the same few hosts again and again
def _base(scheme: str, host: str | None, server: str | None, port: str | None,
          path: str) -> str:
    environ = {"wsgi.url_scheme": scheme, "PATH_INFO": path}
    for key, value in (("HTTP_HOST", host), ("SERVER_NAME", server), ("SERVER_PORT", port)):
        if value is not None:
            environ[key] = value
    request = Request(environ)
    return f"{request.scheme}://{request.host}{request.path}"
