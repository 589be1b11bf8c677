"""SPARQLWrapper, with its defaults, against the live endpoint: every query form in every
return format it offers."""

from __future__ import annotations

import warnings

import pytest
from rdflib import Graph
from SPARQLWrapper import SPARQLWrapper
from SPARQLWrapper.Wrapper import _allowedFormats

from tests.live import LiveServer

KETAMINE = "<https://w3id.org/dmkg/id/substance/ketamine>"
QUERIES = {
    "SELECT": f"SELECT ?p ?o WHERE {{ {KETAMINE} ?p ?o }}",
    "ASK": f"ASK {{ {KETAMINE} ?p ?o }}",
    "CONSTRUCT": f"CONSTRUCT WHERE {{ {KETAMINE} ?p ?o }}",
    "DESCRIBE": f"DESCRIBE {KETAMINE}",
}
RESULTS = {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
           "csv": "text/csv", "tsv": "text/tab-separated-values"}
GRAPHS = {"turtle": "text/turtle", "n3": "text/turtle", "rdf": "application/rdf+xml",
          "rdf+xml": "application/rdf+xml", "xml": "application/rdf+xml",
          "json-ld": "application/ld+json", "json": "application/ld+json"}
# What a format names for the other kind of answer is left to Accept: SPARQLWrapper then
# sends */*, which gets the form's default.
DEFAULT = {"SELECT": RESULTS["json"], "ASK": RESULTS["json"], "CONSTRUCT": "text/turtle",
           "DESCRIBE": "text/turtle"}


def _expected(form: str, fmt: str) -> str:
    table = RESULTS if form in {"SELECT", "ASK"} else GRAPHS
    return table.get(fmt, DEFAULT[form])


@pytest.mark.parametrize("fmt", [None, *_allowedFormats], ids=lambda f: f or "default")
@pytest.mark.parametrize("form", sorted(QUERIES))
def test_every_form_in_every_return_format_converts(live_server: LiveServer, form: str,
                                                    fmt: str | None) -> None:
    _convert(live_server, form, fmt)


@pytest.mark.parametrize("fmt", [None, *_allowedFormats], ids=lambda f: f or "default")
@pytest.mark.parametrize("form", sorted(QUERIES))
def test_every_form_in_every_return_format_on_virtuoso(service_on_virtuoso: LiveServer,
                                                       form: str, fmt: str | None) -> None:
    _convert(service_on_virtuoso, form, fmt)


def _convert(server: LiveServer, form: str, fmt: str | None) -> None:
    client = SPARQLWrapper(f"{server.url}/sparql")
    client.setQuery(QUERIES[form])
    if fmt is not None:
        client.setReturnFormat(fmt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # its own notes on */* requests
        result = client.query()
        converted = result.convert()
    media_type = result.info()["content-type"].split(";")[0]
    assert media_type == _expected(form, fmt or "xml")
    if form == "ASK" and media_type == RESULTS["json"]:
        assert converted["boolean"] is True
    elif form == "SELECT" and media_type == RESULTS["json"]:
        assert len(converted["results"]["bindings"]) > 5
    elif form in {"CONSTRUCT", "DESCRIBE"}:
        graph = converted if isinstance(converted, Graph) else Graph().parse(
            data=converted, format="turtle")
        assert len(graph) > 5
    else:
        assert converted  # a parsed XML document, or CSV/TSV text


@pytest.mark.parametrize("kind", ["Graph", "Dataset"])
def test_rdflib_sparqlstore_with_its_defaults_sees_the_data(live_server: LiveServer,
                                                            kind: str) -> None:
    from rdflib import Dataset
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    # A Dataset's SPARQLStore names rdflib's own default graph in default-graph-uri.
    store = SPARQLStore(f"{live_server.url}/sparql")
    graph = Dataset(store=store) if kind == "Dataset" else Graph(store=store)
    rows = list(graph.query(QUERIES["SELECT"]))
    assert len(rows) > 3
    assert bool(graph.query(QUERIES["ASK"]).askAnswer)
