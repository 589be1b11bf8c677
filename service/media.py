"""Content negotiation over the one format table of kg.formats."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from flask import request
from rdflib import Dataset, Graph
from werkzeug import Request
from werkzeug.datastructures import MIMEAccept, MultiDict
from werkzeug.http import parse_accept_header

from kg.formats import (
    ALIASES,
    FORMAT_PARAMETERS,
    GRAPH_FORMATS,
    RESULT_FORMATS,
    Format,
    by_parameter,
    find,
    media_aliases,
    names_a_format,
)

HTML = "text/html"
PAGE_TYPES = {"text/html", "application/xhtml+xml"}
ANSWER_TYPES = frozenset({f.media_type for f in (*RESULT_FORMATS, *GRAPH_FORMATS)} | set(ALIASES))


def prefers_html(request: Request) -> bool:
    """Whether a GET (or HEAD) comes from a browser: it ranks an HTML type above every answer
    type."""
    # A HEAD answers as its GET would (RFC 9110): with the page's head, not another answer's.
    if request.method not in ("GET", "HEAD") or any(p in request.args for p in FORMAT_PARAMETERS):
        return False
    return ranks_html_first(request.headers.get("Accept", ""))


@lru_cache(maxsize=1024)  # clients send the same few headers again and again
def ranks_html_first(header: str) -> bool:
    """Whether an Accept header ranks an HTML type above every answer type (a browser's)."""
    accept = parse_accept_header(header, MIMEAccept)
    html = max((q for value, q in accept if value in PAGE_TYPES), default=0.0)
    # Only the types an answer could take compete (a browser also names images at q=1).
    answers = max((q for value, q in accept if value in ANSWER_TYPES), default=0.0)
    return html > 0 and html > answers


class NotAcceptable(Exception):
    """Nothing the client accepts can be produced."""

    def __init__(self, offered: Sequence[str]) -> None:
        self.offered = list(offered)
        super().__init__("none of the accepted media types can be produced; available: "
                         + ", ".join(self.offered))


class UnknownFormat(ValueError):
    """A ?format= value names no format, or one this answer cannot take."""


def choose(accept: str, keyword: str | None, formats: Sequence[Format],
           html: bool = False) -> Format | None:
    """Choose a format by ?format= (first) or the Accept header; None means HTML (if offered).

    A keyword naming a format of the other kind (Turtle for a SELECT) leaves the choice to the
    Accept header, as Fuseki does: clients send one keyword whatever the query form.
    """
    if keyword:
        if html and keyword == "html":
            return None
        fmt = by_parameter(keyword, tuple(formats))
        if fmt is not None:
            return fmt
        if not names_a_format(keyword):
            names = ", ".join([*(["html"] if html else []), *(f.keyword for f in formats)])
            raise UnknownFormat(f"format {keyword!r} is not available here; use one of {names}")
    found = _best(accept.strip(), tuple(formats), html)
    if isinstance(found, bool):
        raise NotAcceptable([*([HTML] if html else []), *(f.media_type for f in formats)])
    return found


def negotiate(formats: Sequence[Format], html: bool = False,
              keyword: str | None = None) -> Format | None:
    """Choose for the current request: ?format= (or keyword), else its Accept header."""
    return choose(request.headers.get("Accept", ""), keyword or format_parameter(request.args),
                  formats, html)


def format_parameter(params: MultiDict[str, str]) -> str | None:
    """The first non-empty value of the format parameters clients send (format, output…)."""
    for name in FORMAT_PARAMETERS:
        for value in params.getlist(name):
            if value:
                return value
    return None


@lru_cache(maxsize=512)
def _best(accept: str, formats: tuple[Format, ...], html: bool) -> Format | bool | None:
    """Match one Accept header (clients repeat theirs): a format, None for HTML, False for none."""
    if not accept:
        return None if html else formats[0]
    best = parse_accept_header(accept, MIMEAccept).best_match(_offers(formats, html))
    if best is None:
        return False
    if best == HTML:
        return None
    return media_aliases(formats).get(best) or find(best, formats)


@lru_cache(maxsize=32)
def _offers(formats: tuple[Format, ...], html: bool) -> tuple[str, ...]:
    """Media types to match Accept against, in order of preference, aliases included."""
    offers: list[str] = [HTML] if html else []
    for fmt in formats:
        offers.append(fmt.media_type)
        offers += [alias for alias, target in media_aliases(formats).items() if target == fmt]
    return tuple(offers)


def link_header(path: str, formats: Sequence[Format] = GRAPH_FORMATS) -> str:
    """Return a Link header listing the alternate forms of a resource."""
    sep = "&" if "?" in path else "?"
    return ", ".join(f'<{path}{sep}format={f.keyword}>; rel="alternate"; type="{f.media_type}"'
                     for f in formats)


def write_graph(graph: Graph, fmt: Format, context: Mapping[str, Any] | None = None) -> bytes:
    """Serialize an rdflib graph in fmt: a dataset format holds it as its default graph."""
    if fmt.dataset:
        holder = Dataset()
        for prefix, namespace in graph.namespaces():
            holder.bind(prefix, namespace)
        holder.default_graph += graph
        graph = holder
    if fmt.keyword == "jsonld" and context is not None:
        return graph.serialize(format="json-ld", context=dict(context), encoding="utf-8")
    return graph.serialize(format=fmt.rdflib_name, encoding="utf-8")


def content_type(fmt: Format) -> str:
    """Return the Content-Type header value for fmt."""
    textual = fmt.media_type.startswith("text/") or fmt.keyword in {"json", "xml", "jsonld"}
    return f"{fmt.media_type}; charset=utf-8" if textual else fmt.media_type
