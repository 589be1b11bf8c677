"""One table of the result and RDF formats, for negotiation, serialization, the service
description and the docs alike."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

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


# Names of the format parameter: Virtuoso reads `format`, Fuseki `output`, others `results`;
# SPARQLWrapper sends all three.
FORMAT_PARAMETERS = ("format", "output", "results")

# Format parameter values clients send, beside the keywords, extensions and media types.
KEYWORD_ALIASES: dict[str, str] = {
    "json-ld": "jsonld",
    "application/x-json+ld": "jsonld",
    "rdf": "rdfxml",
    "rdf+xml": "rdfxml",
    "rdf/xml": "rdfxml",
    "n3": "turtle",  # Turtle is N3
    "text/n3": "turtle",
    "text/rdf+n3": "turtle",
    "application/n3": "turtle",
    "application/turtle": "turtle",
    "n-triples": "ntriples",
    "n-quads": "nquads",
    "text/x-nquads": "nquads",
}

# Values that name one format for results and another for a graph, read per query form as
# Fuseki and Virtuoso do: `xml` is SPARQL XML for SELECT and ASK, RDF/XML for CONSTRUCT.
BY_FORM: dict[str, tuple[str, str]] = {
    "xml": ("xml", "rdfxml"),
    "text/xml": ("xml", "rdfxml"),
    "application/xml": ("xml", "rdfxml"),
    "json": ("json", "jsonld"),
    "application/json": ("json", "jsonld"),
}


def by_parameter(value: str, table: tuple[Format, ...]) -> Format | None:
    """Return the format of table a format parameter names (a list of media types allowed)."""
    results = any(fmt in RESULT_FORMATS for fmt in table)
    for candidate in value.split(","):
        name = candidate.split(";")[0].strip().lower()
        if name in BY_FORM:
            name = BY_FORM[name][0 if results else 1]
        found = find(KEYWORD_ALIASES.get(name, name), table)
        if found is not None:
            return found
    return None


def names_a_format(value: str) -> bool:
    """Tell whether a format parameter names any format, for results or for graphs."""
    return any(by_parameter(value, table) for table in (RESULT_FORMATS, GRAPH_FORMATS))


@lru_cache(maxsize=8)
def media_aliases(table: tuple[Format, ...]) -> dict[str, Format]:
    """Other media types Accept may name for the formats of table (one table for Accept and
    the format parameter): `text/n3` is Turtle, `application/json` JSON-LD for a graph."""
    results = any(fmt in RESULT_FORMATS for fmt in table)
    names = {alias: pair[0 if results else 1] for alias, pair in BY_FORM.items()}
    names |= {alias: target for alias, target in KEYWORD_ALIASES.items() if alias not in names}
    names |= {alias: target for alias, target in ALIASES.items() if alias not in names}
    found = {alias: find(target, table) for alias, target in names.items() if "/" in alias}
    return {alias: fmt for alias, fmt in found.items()
            if fmt is not None and alias != fmt.media_type}


def find(keyword_or_type: str, table: tuple[Format, ...]) -> Format | None:
    """Return the format of table named by a keyword, an extension or a media type."""
    wanted = ALIASES.get(keyword_or_type.lower(), keyword_or_type.lower())
    for fmt in table:
        if wanted in {fmt.keyword, fmt.extension, fmt.media_type}:
            return fmt
    return None
