"""One table of RDF media types, used by content negotiation, the service description and docs."""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.datastructures import MIMEAccept


@dataclass(frozen=True)
class RdfFormat:
    """An RDF serialization: its media type, rdflib name, file extension and format keyword."""

    media_type: str
    rdflib_name: str
    extension: str
    keyword: str


GRAPH_FORMATS: tuple[RdfFormat, ...] = (
    RdfFormat("text/turtle", "turtle", "ttl", "turtle"),
    RdfFormat("application/ld+json", "json-ld", "jsonld", "jsonld"),
    RdfFormat("application/rdf+xml", "xml", "rdf", "rdfxml"),
    RdfFormat("application/n-triples", "nt", "nt", "ntriples"),
)

HTML = "text/html"


def by_keyword(keyword: str) -> RdfFormat | None:
    """Return the graph format named by a ?format= value (keyword, extension or media type)."""
    for fmt in GRAPH_FORMATS:
        if keyword in {fmt.keyword, fmt.extension, fmt.media_type}:
            return fmt
    return None


def negotiate(accept: MIMEAccept, offers: list[str]) -> str | None:
    """Pick the best of offers for an Accept header; the first offer wins when any is fine."""
    if not accept:
        return offers[0]
    return accept.best_match(offers)
