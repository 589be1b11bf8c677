"""HTTP policy by route family: which answers pages of other origins may read (CORS).

Every route of the service belongs to one family, named by its path prefixes; a family says
once what all its answers get, success and error alike, whichever part of the service made
them (Flask views, error handlers, or the WSGI layers in front of Flask). New policies (which
answers are kept, how errors look, which headers a page gets) are new columns of this table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from service.limits import StartResponse, WSGIApp

ANY_ORIGIN = ("Access-Control-Allow-Origin", "*")


@dataclass(frozen=True)
class Family:
    """Routes sharing one HTTP policy."""

    name: str
    prefixes: tuple[str, ...]  # a path belongs to the family of its longest matching prefix
    cors: bool = False  # pages of any origin may read the answers (never those to a write)
    preflight: tuple[str, ...] = ()  # methods a CORS preflight allows (empty: not answered)
    expose: tuple[str, ...] = ()  # response headers such pages may read besides the simple ones


FAMILIES: tuple[Family, ...] = (
    Family("pages", ("/", "/search", "/static/", "/browse", "/claims", "/map", "/timeline",
                     "/favicon.ico")),
    Family("endpoint", ("/sparql",), cors=True, preflight=("GET", "POST", "OPTIONS"),
           expose=("DMKG-Result-Truncated", "DMKG-Result-Limit")),
    Family("graph-store", ("/rdf-graphs/",), cors=True, preflight=("GET", "HEAD", "OPTIONS"),
           expose=("DMKG-Result-Truncated", "DMKG-Result-Limit")),
    Family("api", ("/api/",), cors=True, preflight=("GET", "HEAD", "OPTIONS"),
           expose=("DMKG-Cache", "ETag", "Link")),
    Family("linked-data", ("/id/", "/ontology", "/context.jsonld", "/.well-known/", "/dataset",
                           "/graph/", "/dumps/"),
           cors=True, preflight=("GET", "HEAD", "OPTIONS"), expose=("ETag", "Link")),
    Family("reconciliation", ("/reconcile",), cors=True,
           preflight=("GET", "POST", "OPTIONS")),
    Family("operator", ("/health", "/ready")),
    Family("admin", ("/admin/",)),
)
# Headers a cross-origin request may send (others need a preflight that refuses them): never
# Authorization, so that no page of another site can write with a visitor's token.
ALLOWED_HEADERS = "Content-Type, Accept, Accept-Language, If-None-Match"


def family_of(path: str) -> Family:
    """Return the family of a path: the one with its longest matching prefix."""
    best: tuple[int, Family] | None = None
    for family in FAMILIES:
        for prefix in family.prefixes:
            matches = path == prefix or (path.startswith(prefix) and (
                prefix.endswith("/") or path[len(prefix)] in "/?."))
            if prefix == "/" and path != "/":
                matches = False
            if matches and (best is None or len(prefix) > best[0]):
                best = (len(prefix), family)
    if best is None:
        raise LookupError(f"no route family for {path}")
    return best[1]


@lru_cache(maxsize=4096)
def _family(path: str) -> Family | None:
    try:
        return family_of(path)
    except LookupError:
        return None


class RouteFamilies:
    """WSGI middleware giving every answer its family's headers; answers CORS preflights."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        family = _family(environ.get("PATH_INFO") or "/")
        if family is None or not family.cors or "HTTP_AUTHORIZATION" in environ:
            return self.app(environ, start_response)
        if (environ.get("REQUEST_METHOD") == "OPTIONS" and family.preflight
                and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ):
            start_response("204 No Content", [
                ANY_ORIGIN, ("Access-Control-Allow-Methods", ", ".join(family.preflight)),
                ("Access-Control-Allow-Headers", ALLOWED_HEADERS),
                ("Access-Control-Max-Age", "86400"), ("Content-Length", "0")])
            return []
        added = [ANY_ORIGIN]
        if family.expose:
            added.append(("Access-Control-Expose-Headers", ", ".join(family.expose)))

        def with_cors(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            present = {name.lower() for name, _ in headers}
            headers.extend(h for h in added if h[0].lower() not in present)
            return start_response(status, headers, exc_info)

        return self.app(environ, with_cors)
