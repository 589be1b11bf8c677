"""One table of the result and RDF formats, for negotiation, serialization, the service
description and the docs alike."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox


@dataclass(frozen=True)
class Format:
    """A serialization: its ?format= keyword, media type, and how each engine names it."""

    keyword: str
    media_type: str
    label: str
    extension: str
    rdflib_name: str
    oxigraph: ox.RdfFormat | ox.QueryResultsFormat
    dataset: bool = False  # a dataset (quad) format
    w3c_format: str = ""  # the W3C formats/ IRI, for the service description


RESULT_FORMATS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", "SPARQL JSON", "srj", "json",
           ox.QueryResultsFormat.JSON, w3c_format="SPARQL_Results_JSON"),
    Format("xml", "application/sparql-results+xml", "SPARQL XML", "srx", "xml",
           ox.QueryResultsFormat.XML, w3c_format="SPARQL_Results_XML"),
    Format("csv", "text/csv", "CSV", "csv", "csv", ox.QueryResultsFormat.CSV,
           w3c_format="SPARQL_Results_CSV"),
    Format("tsv", "text/tab-separated-values", "TSV", "tsv", "tsv", ox.QueryResultsFormat.TSV,
           w3c_format="SPARQL_Results_TSV"),
)

GRAPH_FORMATS: tuple[Format, ...] = (
    Format("turtle", "text/turtle", "Turtle", "ttl", "turtle", ox.RdfFormat.TURTLE,
           w3c_format="Turtle"),
    Format("jsonld", "application/ld+json", "JSON-LD", "jsonld", "json-ld",
           ox.RdfFormat.JSON_LD, w3c_format="JSON-LD"),
    Format("rdfxml", "application/rdf+xml", "RDF/XML", "rdf", "xml", ox.RdfFormat.RDF_XML,
           w3c_format="RDF_XML"),
    Format("ntriples", "application/n-triples", "N-Triples", "nt", "nt",
           ox.RdfFormat.N_TRIPLES, w3c_format="N-Triples"),
    Format("trig", "application/trig", "TriG", "trig", "trig", ox.RdfFormat.TRIG,
           dataset=True),
    Format("nquads", "application/n-quads", "N-Quads", "nq", "nquads", ox.RdfFormat.N_QUADS,
           dataset=True, w3c_format="N-Quads"),
)

# Media types clients send for the same formats.
ALIASES: dict[str, str] = {
    "application/json": "application/sparql-results+json",
    "text/xml": "application/sparql-results+xml",
    "application/xml": "application/sparql-results+xml",
    "text/plain": "application/n-triples",
    "application/x-turtle": "text/turtle",
    "application/json+ld": "application/ld+json",
}


def find(keyword_or_type: str, table: tuple[Format, ...]) -> Format | None:
    """Return the format of table named by a keyword, an extension or a media type."""
    wanted = ALIASES.get(keyword_or_type.lower(), keyword_or_type.lower())
    for fmt in table:
        if wanted in {fmt.keyword, fmt.extension, fmt.media_type}:
            return fmt
    return None
