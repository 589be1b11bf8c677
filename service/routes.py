"""HTTP policy by route family, declared once and read by the middleware and the error renderer.

Every route of the service belongs to one family, named by its path prefixes. A family says
once what all its answers get, success and error alike, whichever part of the service made
them (Flask views, error handlers, or the WSGI layers in front of Flask): how an error looks,
whether pages of other origins may read the answers (CORS), whether answers are kept until the
data changes (with an ETag), whether its HTML answers get the page headers, which request
headers the answers vary on, whether the client limits apply, and which methods write (a
token is asked for before their bodies are read; a backup's goes to disk). A family may hold
only the answers asked for in some ?format= values (the data downloads of pages): those
follow the rules of the data they are, not of the pages at the same paths.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from functools import cached_property, lru_cache
from typing import Any
from urllib.parse import parse_qs

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class ErrorFormat(Enum):
    """How a family's errors look."""

    TEXT = "text"  # one plain-text line: SPARQL protocol clients and command-line tools
    JSON = "json"  # {"code", "status", "message"}, as flask-smorest writes its own
    HTML = "html"  # a page in the site's layout, for people


@dataclass(frozen=True)
class Family:
    """Routes sharing one HTTP policy."""

    name: str
    prefixes: tuple[str, ...]  # a path belongs to the family of its longest matching prefix
    errors: ErrorFormat = ErrorFormat.TEXT
    browser_errors: ErrorFormat | None = None  # how errors look to browsers, if otherwise
    cors: bool = False  # pages of any origin may read the answers (never those to a write)
    preflight: tuple[str, ...] = ()  # methods a CORS preflight allows (empty: not answered)
    expose: tuple[str, ...] = ()  # response headers such pages may read besides the simple ones
    kept: bool = False  # 200 answers kept until the data changes, with an ETag (see below)
    page_headers: bool = True  # HTML answers get the content security policy and the like
    vary: str = ""  # request headers every answer depends on
    pages_vary: str = ""  # request headers its HTML answers (pages for people) also depend on
    limited: bool = True  # the client's rate and concurrency limits apply
    formats: tuple[str, ...] = ()  # only answers asked for in these ?format= (empty: any)
    # Methods that need a write token ("*": every one): a request waiting for `100 Continue`
    # without a valid one is refused before its body is sent.
    writes: tuple[str, ...] = ()
    # Methods whose bodies (backups) go to a temporary file as they come, not to memory.
    spooled: tuple[str, ...] = ()

    def needs_token(self, method: str) -> bool:
        """Tell whether a request of this method to the family needs a write token."""
        return method in self.writes or "*" in self.writes

    @cached_property
    def varies_on(self) -> frozenset[str]:
        """The request headers some answer of the family depends on, in small letters."""
        return frozenset(n.strip().lower() for n in f"{self.vary},{self.pages_vary}".split(",")
                         if n.strip())


READ_ONLY = ("GET", "HEAD", "OPTIONS")
# What a negotiated page of a kept family depends on besides the data: path, query string,
# Accept, and the language (Accept-Language or the lang cookie).
KEPT_VARY = "Accept, Accept-Language, Cookie"
# A page is written in the reader's language: ?lang= (in the query string), the lang cookie,
# or Accept-Language (service/i18n.py).
LANGUAGE = "Accept-Language, Cookie"
FAMILIES: tuple[Family, ...] = (
    Family("pages", ("/", "/search", "/browse", "/claims", "/map", "/timeline"),
           errors=ErrorFormat.HTML, vary=LANGUAGE),
    # Their downloads are data, read by programs, also from other sites' pages.
    Family("page-data", ("/browse", "/claims", "/map"), errors=ErrorFormat.JSON, cors=True,
           preflight=READ_ONLY, expose=("Link",), vary=LANGUAGE, formats=("json", "csv")),
    # A page's own files, each a read of a small file: a browser asks for them on up to six
    # connections at once, and a refused script breaks the page (the editor, its views).
    Family("static", ("/static/", "/favicon.ico"), limited=False),
    # Query answers sent by GET are kept too (not those reading the clock or a random number).
    # A person using the query editor's form without scripts gets errors as pages.
    Family("endpoint", ("/sparql",), browser_errors=ErrorFormat.HTML, cors=True,
           preflight=("GET", "POST", "OPTIONS"),
           expose=("DMKG-Cache", "DMKG-Result-Truncated", "DMKG-Result-Limit", "ETag"),
           kept=True, vary="Accept", pages_vary=LANGUAGE),  # the query editor
    Family("graph-store", ("/rdf-graphs/",), cors=True, preflight=READ_ONLY,
           expose=("DMKG-Result-Truncated", "DMKG-Result-Limit"), vary="Accept",
           writes=("PUT", "POST", "DELETE")),
    # A person following an entity's address gets a page for a missing entity or method.
    Family("linked-data", ("/id/",), browser_errors=ErrorFormat.HTML, cors=True,
           preflight=READ_ONLY, expose=("ETag", "Link"), kept=True, vary=KEPT_VARY),
    # Its pages (the dataset's, its graphs', the ontology's) are read by people: a person
    # mistyping one of their addresses gets a page.
    Family("dataset", ("/ontology", "/context.jsonld", "/.well-known/", "/dataset", "/graph/",
                       "/dumps/"),
           browser_errors=ErrorFormat.HTML, cors=True, preflight=READ_ONLY,
           expose=("ETag", "Link"), vary="Accept", pages_vary=LANGUAGE),
    # Its documentation is a page: a person mistyping an address near it gets one.
    Family("api", ("/api/",), errors=ErrorFormat.JSON, browser_errors=ErrorFormat.HTML,
           cors=True, preflight=READ_ONLY, expose=("DMKG-Cache", "ETag", "Link"),
           pages_vary=LANGUAGE),
    # Entity look-ups (about nine queries each) and searches: the same until the data (and
    # with it the search index) changes. Their language is a parameter (lang=), and they are
    # JSON whatever the Accept: the URL alone says what they are.
    Family("api-lookups", ("/api/entities/", "/api/entity", "/api/search"),
           errors=ErrorFormat.JSON, cors=True, preflight=READ_ONLY,
           expose=("DMKG-Cache", "ETag", "Link"), kept=True),
    Family("reconciliation", ("/reconcile",), errors=ErrorFormat.JSON, cors=True,
           preflight=("GET", "POST", "OPTIONS")),
    # Probes of a load balancer or orchestrator must not be refused by the limits.
    Family("operator", ("/health", "/ready"), errors=ErrorFormat.JSON, limited=False),
    Family("admin", ("/admin/",), writes=("*",)),
    # A backup sent to be restored: read to disk, not to memory.
    Family("restore", ("/admin/restore",), writes=("*",), spooled=("POST",)),
)
# Headers a cross-origin request may send (others need a preflight that refuses them): never
# Authorization, so that no page of another site can write with a visitor's token.
ALLOWED_HEADERS = "Content-Type, Accept, Accept-Language, If-None-Match"
ANY_ORIGIN = ("Access-Control-Allow-Origin", "*")
NOSNIFF = ("X-Content-Type-Options", "nosniff")
# Pages may load their own scripts, styles and images only; no page may frame them.
PAGE_POLICY = ("default-src 'self'; script-src 'self'; "
               "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
               "font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
               "frame-ancestors 'none'")
PAGE_HEADERS = (
    ("Content-Security-Policy", PAGE_POLICY),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)


def family_of(path: str, fmt: str = "") -> Family:
    """Return the family of a path asked for in a format (?format=, "" when none): the one
    with its longest matching prefix, one naming the format before one naming none."""
    best: tuple[int, bool, Family] | None = None
    for family in FAMILIES:
        if family.formats and fmt not in family.formats:
            continue
        for prefix in family.prefixes:
            matches = path == prefix or (path.startswith(prefix) and (
                prefix.endswith("/") or path[len(prefix)] in "/?."))
            if prefix == "/" and path != "/":
                matches = False
            rank = (len(prefix), bool(family.formats))
            if matches and (best is None or rank > best[:2]):
                best = (*rank, family)
    if best is None:
        raise LookupError(f"no route family for {path}")
    return best[2]


# Paths no family names (a mistyped address: always a 404) are answered as pages, for people.
UNROUTED = FAMILIES[0]


@lru_cache(maxsize=4096)
def family(path: str, fmt: str = "") -> Family:
    """Return the family of a request's path and format; UNROUTED for a path no family
    names."""
    try:
        return family_of(path, fmt)
    except LookupError:
        return UNROUTED


def requested_format(query: str) -> str:
    """The ?format= a query string asks for ("" when none), as the views read it (the
    first)."""
    if "format=" not in query:  # most requests: no parsing
        return ""
    return parse_qs(query).get("format", [""])[0]


def family_of_request(environ: dict[str, Any]) -> Family:
    """Return the family of a WSGI request: its path and the format it asks for."""
    return family(environ.get("PATH_INFO") or "/",
                  requested_format(str(environ.get("QUERY_STRING", ""))))


def family_of_target(target: str) -> Family:
    """Return the family of a request target as on the request line: its path and the
    ?format= its query string asks for."""
    path, _, query = target.partition("?")
    return family(path, requested_format(query))


def _with_vary(headers: list[tuple[str, str]], vary: str) -> None:
    """Merge the family's Vary into the answer's own (one header, each name once)."""
    names = [n.strip() for name, value in headers if name.lower() == "vary"
             for n in value.split(",") if n.strip()]
    known = {n.lower() for n in names}
    names += [n.strip() for n in vary.split(",") if n.strip().lower() not in known]
    headers[:] = [h for h in headers if h[0].lower() != "vary"]
    headers.append(("Vary", ", ".join(names)))


def policy_headers(chosen: Family, headers: list[tuple[str, str]], cors: bool) -> None:
    """Add what every answer of the family carries to an answer's headers."""
    present = {name.lower() for name, _ in headers}
    if "x-content-type-options" not in present:
        headers.append(NOSNIFF)
    if cors and "access-control-allow-origin" not in present:
        headers.append(ANY_ORIGIN)
        if chosen.expose:
            headers.append(("Access-Control-Expose-Headers", ", ".join(chosen.expose)))
    html = any(name.lower() == "content-type" and value.startswith("text/html")
               for name, value in headers)
    vary = ", ".join(v for v in (chosen.vary, chosen.pages_vary if html else "") if v)
    if vary:
        _with_vary(headers, vary)
    if html and chosen.page_headers:
        if "content-security-policy" in present:
            # A page with a policy of its own (the framable reconciliation preview) lets its
            # frame-ancestors decide, not X-Frame-Options.
            present.add("x-frame-options")
        headers.extend(h for h in PAGE_HEADERS if h[0].lower() not in present)


# Answers' headers with their family's policy added, by family, CORS and the headers before
# (kept answers: the same each time), up to this many (then forgotten and worked out again).
WITH_POLICY_HELD = 1024
_WITH_POLICY: dict[tuple[Any, ...], tuple[tuple[str, str], ...]] = {}


class RouteFamilies:
    """WSGI middleware giving every answer its family's headers; answers CORS preflights."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        chosen = family_of_request(environ)
        # No CORS for a request carrying credentials: no other site's page may write.
        cors = chosen.cors and "HTTP_AUTHORIZATION" not in environ
        if (cors and environ.get("REQUEST_METHOD") == "OPTIONS" and chosen.preflight
                and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ):
            start_response("204 No Content", [
                ANY_ORIGIN, ("Access-Control-Allow-Methods", ", ".join(chosen.preflight)),
                ("Access-Control-Allow-Headers", ALLOWED_HEADERS),
                ("Access-Control-Max-Age", "86400"), ("Content-Length", "0"), NOSNIFF])
            return []

        def with_policy(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            # A kept answer's headers come again and again: their policy is worked out once.
            key = (chosen.name, cors, *headers)
            done = _WITH_POLICY.get(key)
            if done is None:
                policy_headers(chosen, headers, cors)
                if len(_WITH_POLICY) >= WITH_POLICY_HELD:
                    _WITH_POLICY.clear()
                _WITH_POLICY[key] = tuple(headers)
            else:
                headers[:] = done
            return start_response(status, headers, exc_info)

        return self.app(environ, with_policy)
