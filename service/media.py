"""Content negotiation over the one format table of kg.formats."""

from __future__ import annotations

from collections.abc import Sequence

from werkzeug.datastructures import MIMEAccept

from kg.formats import ALIASES, GRAPH_FORMATS, Format, find

HTML = "text/html"


class NotAcceptable(Exception):
    """Nothing the client accepts can be produced."""

    def __init__(self, offered: Sequence[str]) -> None:
        self.offered = list(offered)
        super().__init__("none of the accepted media types can be produced; available: "
                         + ", ".join(self.offered))


class UnknownFormat(ValueError):
    """A ?format= value names no format, or one this answer cannot take."""


def choose(accept: MIMEAccept, keyword: str | None, formats: Sequence[Format],
           html: bool = False) -> Format | None:
    """Choose a format by ?format= (first) or Accept; None means HTML when html is offered."""
    if keyword:
        if html and keyword == "html":
            return None
        fmt = find(keyword, tuple(formats))
        if fmt is None:
            names = ", ".join([*(["html"] if html else []), *(f.keyword for f in formats)])
            raise UnknownFormat(f"format {keyword!r} is not available here; use one of {names}")
        return fmt
    offers: list[str] = [HTML] if html else []
    for fmt in formats:
        offers.append(fmt.media_type)
        offers += [alias for alias, target in ALIASES.items() if target == fmt.media_type]
    if not accept or not accept.values():
        return None if html else formats[0]
    best = accept.best_match(offers)
    if best is None:
        raise NotAcceptable([*(["text/html"] if html else []), *(f.media_type for f in formats)])
    if best == HTML:
        return None
    return find(best, tuple(formats))


def link_header(path: str, formats: Sequence[Format] = GRAPH_FORMATS) -> str:
    """Return a Link header listing the alternate forms of a resource."""
    sep = "&" if "?" in path else "?"
    return ", ".join(f'<{path}{sep}format={f.keyword}>; rel="alternate"; type="{f.media_type}"'
                     for f in formats)


def content_type(fmt: Format) -> str:
    """Return the Content-Type header value for fmt."""
    textual = fmt.media_type.startswith("text/") or fmt.keyword in {"json", "xml", "jsonld"}
    return f"{fmt.media_type}; charset=utf-8" if textual else fmt.media_type
