"""Rendered answers, kept until the data changes, with ETags for conditional requests.

Describing an entity takes a few reads of the store and a serialization; between two writes
the answer is the same, and so is the answer to a SPARQL query sent by GET. ResponseCache is
WSGI middleware that keeps the bytes of each 200 answer of the route families declared kept
(the endpoint, REST look-ups and searches, dereferenced IRIs, see routes.py), keyed by everything
the answer depends on: scheme, host, path, query string, and those of Accept and the language
(Accept-Language, the lang cookie) its family's Vary names. An answer that
says how it may be kept (Cache-Control: a query reading the clock or a random number) is not
kept. Entries are dropped, least recently used first, past a budget in bytes, and all of them
whenever the data changes (clear(), called on every write and again once the search catalogue
has been updated from the new data).

Every answer it keeps carries a strong ETag (a hash of its bytes); a request whose
If-None-Match names it gets a 304 without a body, and DMKG-Cache says hit or miss.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from werkzeug.http import parse_cookie, parse_etags, quote_etag

from service.i18n import LANG_COOKIE
from service.routes import StartResponse, WSGIApp, family, family_of_request, policy_headers

# An answer is revalidated before reuse: a write may change it at any time.
CACHE_CONTROL = ("Cache-Control", "no-cache")
# Headers a 304 leaves out: they describe the body it does not have.
BODY_HEADERS = frozenset({"content-length", "content-type", "content-encoding"})
# Says whether an answer was kept from before or made for this request.
HIT, MISS = ("DMKG-Cache", "hit"), ("DMKG-Cache", "miss")

Key = tuple[str, str, str, str]
# Set by an HTTP front that may only write a kept answer: anything else raises NotKept.
KEPT_ONLY = "dmkg.kept_only"


class NotKept(Exception):
    """The request asked for a kept answer only, and there is none."""


@dataclass(frozen=True)
class Stored:
    """An answer: status line, headers and body, and the ETag (unquoted) of one that can be
    kept; None for one sent as the application made it (an error, a redirect, a cookie)."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes
    etag: str | None


class ResponseCache:
    """WSGI middleware keeping the entity routes' answers, up to budget bytes (0: off)."""

    def __init__(self, app: WSGIApp, budget: int) -> None:
        self.app = app
        self.budget = budget
        self.largest = budget // 8  # no one answer may push out most of the others
        self.entries: OrderedDict[Key, Stored] = OrderedDict()
        self.size = 0
        self.generation = 0
        self.lock = threading.Lock()

    def clear(self) -> None:
        """Forget every answer: the data has changed."""
        with self.lock:
            self.entries.clear()
            self.size = 0
            self.generation += 1

    def _key(self, environ: dict[str, Any]) -> Key | None:
        """The key of the request's answer; None for one never kept."""
        path = environ.get("PATH_INFO", "")
        chosen = family(path)
        if (not self.budget or environ.get("REQUEST_METHOD") not in ("GET", "HEAD")
                or not chosen.kept):
            return None
        # The language a page is shown in comes from Accept-Language or the lang cookie.
        language = (environ.get("HTTP_ACCEPT_LANGUAGE", "") + "|"
                    + parse_cookie(environ.get("HTTP_COOKIE", "")).get(LANG_COOKIE, "")
                    if "cookie" in chosen.varies_on else "")
        accept = environ.get("HTTP_ACCEPT", "") if "accept" in chosen.varies_on else ""
        # Answers name the host they were reached at (the endpoint's base IRI, links).
        where = f"{environ.get('wsgi.url_scheme')}://{environ.get('HTTP_HOST', '')}{path}"
        return (where, environ.get("QUERY_STRING", ""), accept, language)

    def holds(self, environ: dict[str, Any]) -> bool:
        """Tell whether an answer to this request is kept now."""
        key = self._key(environ)
        return key is not None and key in self.entries

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        key = self._key(environ)
        stored = None
        if key is not None:
            with self.lock:
                stored = self.entries.get(key)
                if stored is not None:
                    self.entries.move_to_end(key)
                generation = self.generation
        if stored is not None:
            return self._answer(stored, HIT, environ, start_response)
        if environ.get(KEPT_ONLY):
            raise NotKept
        if key is None:
            return self.app(environ, start_response)
        head = environ.get("REQUEST_METHOD") == "HEAD"
        # A HEAD answers with the head its GET would get (RFC 9110), ETag included: the GET's
        # answer is made, and not kept (no one asked for its body).
        rendered = self._render({**environ, "REQUEST_METHOD": "GET"} if head else environ, key,
                                generation, keep=not head)
        if rendered.etag is None:
            start_response(rendered.status, rendered.headers)
            return [] if head else [rendered.body]
        return self._answer(rendered, MISS, environ, start_response)

    def _render(self, environ: dict[str, Any], key: Key, generation: int,
                keep: bool = True) -> Stored:
        """Run the application, keep its answer when it is a plain 200 (and keep is true)."""
        seen: dict[str, Any] = {}
        chunks: list[bytes] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen["status"], seen["headers"] = status, headers
            return chunks.append

        result = self.app(environ, capture)
        try:
            chunks.extend(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status, headers, body = seen["status"], list(seen["headers"]), b"".join(chunks)
        names = {name.lower() for name, _ in headers}
        if not status.startswith("200 ") or names & {"set-cookie", "etag", "cache-control"}:
            return Stored(status, headers, body, None)
        etag = hashlib.blake2b(body, digest_size=12).hexdigest()
        headers += [("ETag", quote_etag(etag)), CACHE_CONTROL]
        stored = Stored(status, headers, body, etag)
        if keep and len(body) <= self.largest:
            self._keep(key, stored, generation)
        return stored

    def _keep(self, key: Key, stored: Stored, generation: int) -> None:
        with self.lock:
            if generation != self.generation or key in self.entries:
                return  # rendered from data that has since changed, or by another thread
            self.entries[key] = stored
            self.size += len(stored.body)
            while self.size > self.budget:
                _, dropped = self.entries.popitem(last=False)
                self.size -= len(dropped.body)

    @staticmethod
    def _answer(stored: Stored, how: tuple[str, str], environ: dict[str, Any],
                start_response: StartResponse) -> Iterable[bytes]:
        asked = environ.get("HTTP_IF_NONE_MATCH")
        if asked and stored.etag and parse_etags(asked).contains_weak(stored.etag):
            # The 304 says what the 200 varies on: its family's Vary for the 200's media
            # type (a page's names the language's headers too), which it no longer carries.
            whole = list(stored.headers)
            policy_headers(family_of_request(environ), whole, False)
            start_response("304 Not Modified", [
                *((name, value) for name, value in stored.headers
                  if name.lower() not in BODY_HEADERS and name.lower() != "vary"),
                *((name, value) for name, value in whole if name.lower() == "vary"), how])
            return []
        start_response(stored.status, [*stored.headers, how])
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [stored.body]
