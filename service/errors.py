"""One error model: ServiceError, the status each domain error means, one renderer per format.

Views and middleware raise; nothing else builds an error answer. An error is rendered in its
route family's format (service/routes.py): a plain-text line for the SPARQL protocol and the
linked-data routes, a JSON object for the REST API, the reconciliation service and the probes,
a page for people. The same renderer writes the answers made outside Flask (the client limits'
429, the time limits' 503, the one written on a socket when a process must end).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from functools import cache
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from flask import Flask, Response, request
from jinja2 import Environment, FileSystemLoader
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Request

from kg.nesting import TooDeep
from kg.store import QueryFailed, QueryRefused, QuerySyntaxError, StoreUnreachable
from kg.store.base import CannotWrite, GraphStateError
from kg.store.union_upkeep import HiddenGraph
from service.i18n import ERROR_WORDS, WORDS, error_message, language_of
from service.media import NotAcceptable, UnknownFormat, ranks_html_first
from service.routes import (
    ErrorFormat,
    Family,
    StartResponse,
    family,
    family_of_request,
    family_of_target,
    policy_headers,
)

log = logging.getLogger(__name__)

INTERNAL_ERROR = "the server could not answer this request"
# Every 401 names the scheme that would be accepted.
BEARER = ("WWW-Authenticate", 'Bearer realm="dmkg"')


# A file path in an engine's message (`/srv/store/live/000026.log`): not one of an IRI.
_PATH = re.compile(r"(?<![\w:/.<%-])/(?:[^\s/:;,'\"<>()]+/)+[^\s/:;,'\"<>()]*")
_DISK_FULL = re.compile(r"no space left on device|disk quota exceeded|os error 28\b", re.I)


def without_paths(message: str) -> str:
    """An error message of the server's (a 5xx) as a client may read it: no file paths, and
    a full disk said in plain words."""
    if _DISK_FULL.search(message):
        head = message.split(":", 1)[0] if ":" in message else "the request could not be served"
        return f"{head}: the store's disk is full; try again later"
    return _PATH.sub("(a file of the store)", message)


class ServiceError(Exception):
    """An answer other than success: its status, a message for the client, extra headers."""

    def __init__(self, status: int, message: str,
                 headers: Iterable[tuple[str, str]] = (),
                 details: Mapping[str, Any] | None = None) -> None:
        if status >= 500:
            message = without_paths(message)
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = tuple(headers)
        if status == 401 and not any(n.lower() == "www-authenticate" for n, _ in self.headers):
            self.headers += (BEARER,)
        self.details = dict(details or {})  # more fields of a JSON error (per-field errors)

    @property
    def reason(self) -> str:
        """The status's reason phrase (Not Found)."""
        try:
            return HTTPStatus(self.status).phrase
        except ValueError:
            return "Error"


class QueryTimeout(ServiceError):
    """The work did not finish before its deadline; its process will be retired."""

    def __init__(self, message: str) -> None:
        super().__init__(503, message)


class TextTooLong(ServiceError):
    """A query or update longer than the service reads."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(413, f"the text holds {size} bytes, more than the {limit} a query or "
                              "update may hold (send data through the Graph Store Protocol)")


# Domain errors and what each means to a client, most specific first. {what} names the
# operation (query, update), {error} is the error's own message.
STATUSES: tuple[tuple[type[BaseException], int, str], ...] = (
    (TooDeep, 400, "{what} refused: {error}"),
    (QuerySyntaxError, 400, "{what} syntax error: {error}"),
    (HiddenGraph, 403, "{what} refused: {error}"),
    (QueryRefused, 400, "{what} refused: {error}"),
    (UnknownFormat, 400, "{error}"),
    (NotAcceptable, 406, "{error}"),
    (CannotWrite, 406, "{error}"),
    (StoreUnreachable, 503, "{error}"),
    (GraphStateError, 409, "the {what} could not be applied: {error}"),
    (QueryFailed, 500, "the {what} could not be evaluated: {error}"),
)


def service_error(error: BaseException, what: str = "query") -> ServiceError | None:
    """The answer an error means, or None for an error of the server's own (a bug)."""
    if isinstance(error, ServiceError):
        return error
    if isinstance(error, HTTPException):
        return _from_http(error)
    for kind, status, message in STATUSES:
        if isinstance(error, kind):
            # A graph-state error says itself which status it is (404 or 409).
            return ServiceError(getattr(error, "status", status),
                                message.format(what=what, error=error))
    return None


def _from_http(error: HTTPException) -> ServiceError:
    """Flask's and werkzeug's errors (routing, methods, sizes, argument parsing)."""
    data: Mapping[str, Any] = getattr(error, "data", None) or {}
    message = str(data.get("message") or error.description or error.name)
    if message == type(error).description:
        # werkzeug's own words are vague ("The method is not allowed for the requested URL"):
        # the status they stand for goes with them.
        message = f"{error.code} {error.name}: {message}"
    details = {}
    if "messages" in data:  # webargs' per-field errors, as flask-smorest reports them
        details["errors"] = data["messages"]
        # Sorted: webargs finds unknown parameters in a set, whose order varies by process.
        fields = sorted(f"'{name}'" for where in data["messages"].values() for name in where)
        message = f"invalid parameter {', '.join(fields)}"
    allow = error.get_response().headers.get("Allow")
    return ServiceError(error.code or 500, message, [("Allow", allow)] if allow else (),
                        details)


def as_service_error(error: BaseException, what: str = "query") -> ServiceError:
    """The answer any error means; an unexpected one is logged and becomes a 500."""
    found = service_error(error, what)
    if found is None:
        log.error("unexpected error", exc_info=error)
        return ServiceError(500, INTERNAL_ERROR)
    return found


def _text(error: ServiceError, _query: Mapping[str, str], _lang: str) -> tuple[str, bytes]:
    return "text/plain; charset=utf-8", (error.message + "\n").encode()


def json_answer(data: Any, callback: str | None) -> tuple[str, bytes]:
    """The media type and body of JSON data, as JSONP when a callback is named."""
    body = json.dumps(data, ensure_ascii=False)
    if callback and callback.replace("_", "").replace(".", "").isalnum():
        # JSONP, which OpenRefine still uses for some cross-origin calls.
        return "application/javascript; charset=utf-8", f"{callback}({body});".encode()
    return "application/json; charset=utf-8", body.encode()


def _explanation(error: ServiceError) -> str:
    """The message without the status _from_http puts before werkzeug's own words."""
    return error.message.removeprefix(f"{error.status} {HTTP_STATUS_CODES.get(error.status)}: ")


def _json(error: ServiceError, query: Mapping[str, str], _lang: str) -> tuple[str, bytes]:
    # The status has fields of its own (code, status): the message explains it only.
    return json_answer({"code": error.status, "status": error.reason,
                        "message": _explanation(error), **error.details}, query.get("callback"))


TEMPLATES = Path(__file__).parent / "templates"


@cache
def _templates() -> Environment:
    """The page templates, read without Flask: an error may be answered outside it (the
    client limits' 429, the time limits' 503)."""
    found = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)
    found.globals["url_for"] = _static_url
    return found


def _static_url(endpoint: str, filename: str) -> str:
    assert endpoint == "static", endpoint
    return f"/static/{filename}"


def _detail(error: ServiceError, lang: str) -> tuple[str, str, str]:
    """What the service said of the error, in the page's language when it can: the text,
    its language and the words before it. Nothing for werkzeug's and the 500's messages,
    which say no more than the status."""
    if error.message.startswith(f"{error.status} ") or error.message == INTERNAL_ERROR:
        return "", lang, ""
    words = ERROR_WORDS[lang]
    said = error_message(error.message, lang)
    if said is None:
        return error.message, "en", words["detail_en"]
    return said, lang, words["detail"]


def _retry(error: ServiceError, lang: str) -> str:
    after = next((v for n, v in error.headers if n.lower() == "retry-after"), "")
    return ERROR_WORDS[lang]["retry"].format(n=after) if after.isdigit() else ""


def _html(error: ServiceError, _query: Mapping[str, str], lang: str) -> tuple[str, bytes]:
    words = ERROR_WORDS[lang]
    detail, detail_lang, detail_label = _detail(error, lang)
    explanation = (words.get(f"explain_{error.status}")
                   or words[f"explain_{error.status // 100}"])
    page = _templates().get_template("error.html").render(
        lang=lang, words=WORDS[lang], error_words=words, status=error.status,
        reason=words.get(str(error.status), error.reason), explanation=explanation,
        detail=detail, detail_lang=detail_lang, detail_label=detail_label,
        retry=_retry(error, lang))
    return "text/html; charset=utf-8", page.encode()


RENDERERS = {ErrorFormat.TEXT: _text, ErrorFormat.JSON: _json, ErrorFormat.HTML: _html}


def error_format(chosen: Family, accept: str) -> ErrorFormat:
    """How an error looks: the family's format, or its browsers' for an Accept ranking HTML
    first."""
    if chosen.browser_errors is not None and ranks_html_first(accept):
        return chosen.browser_errors
    return chosen.errors


def render(error: ServiceError, chosen: Family, query: Mapping[str, str],
           lang: str = "en", accept: str = "") -> tuple[str, list[tuple[str, str]], bytes]:
    """The status line, headers and body of an error in its family's format for a client
    accepting accept (a page in lang)."""
    shape = error_format(chosen, accept)
    media_type, body = RENDERERS[shape](error, query, lang)
    headers = [("Content-Type", media_type), ("Content-Length", str(len(body))),
               *error.headers]
    if chosen.browser_errors is not None:
        headers.append(("Vary", "Accept"))  # a page for browsers, the family's format else
    if shape is ErrorFormat.HTML:
        headers.append(("Content-Language", lang))
    return f"{error.status} {error.reason}", headers, body


def _query(environ: Mapping[str, Any]) -> dict[str, str]:
    """The query parameters an error's rendering reads (a JSONP callback)."""
    raw = str(environ.get("QUERY_STRING", ""))
    return {k: v[0] for k, v in parse_qs(raw).items()} if "callback=" in raw else {}


def wsgi_error(error: ServiceError, environ: dict[str, Any],
               start_response: StartResponse) -> list[bytes]:
    """Answer a WSGI request with an error (for the middleware in front of Flask)."""
    status, headers, body = render(error, family_of_request(environ), _query(environ),
                                   language_of(Request(environ)),
                                   environ.get("HTTP_ACCEPT", ""))
    start_response(status, headers)
    return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]


def edge_error(error: ServiceError, target: str, environ: dict[str, Any] | None = None,
               credentials: bool = False) -> tuple[str, list[tuple[str, str]], bytes]:
    """The status line, headers and body of an error answered before the application sees
    the request, in the family of the request's target (its path and ?format=); in the
    reader's language and for what it accepts when its environ is known already. Without
    CORS when the request carries credentials (an Authorization header), as every answer."""
    chosen = family_of_target(target)
    credentials = credentials or (environ is not None and "HTTP_AUTHORIZATION" in environ)
    if environ is None:
        status, headers, body = render(error, chosen, {})
    else:
        status, headers, body = render(error, chosen, _query(environ),
                                       language_of(Request(environ)),
                                       environ.get("HTTP_ACCEPT", ""))
    policy_headers(chosen, headers, chosen.cors and not credentials)
    return status, headers, body


def raw_error(error: ServiceError, target: str, credentials: bool = False) -> bytes:
    """The whole HTTP answer written on a socket, in the family of the request's target (its
    path and ?format=): a request refused unread, or one in hand when the process ends."""
    status, headers, body = edge_error(error, target, credentials=credentials)
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    return f"HTTP/1.1 {status}\r\n{head}Connection: close\r\n\r\n".encode("latin-1") + body


def error_response(error: ServiceError, asking: Request) -> Response:
    """Answer a request with an error, in its family's format and the reader's language."""
    status, headers, body = render(error, family(asking.path, asking.args.get("format", "")),
                                   asking.args, language_of(asking),
                                   asking.headers.get("Accept", ""))
    return Response(body, status=status, headers=headers)


def flask_error(error: ServiceError) -> Response:
    """Answer the current Flask request with an error."""
    return error_response(error, request)


def register_errors(app: Flask) -> None:
    """Answer every error of a view in its family's format, never with a traceback."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response | HTTPException:
        if error.code is None or error.code < 400:
            return error  # redirects and the like are answers, not errors
        return flask_error(as_service_error(error))

    @app.errorhandler(Exception)
    def any_error(error: Exception) -> Response:
        return flask_error(as_service_error(error))
