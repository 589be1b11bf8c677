"""Each competency question through the live endpoint, with SPARQLWrapper, in every format."""

from __future__ import annotations

import csv
import io

import pyoxigraph as ox
import pytest
from SPARQLWrapper import CSV, JSON, TSV, XML, SPARQLWrapper

from kg.paths import Layout
from kg.queryfiles import read_queries
from tests.competency import EXPECTED, check_answer
from tests.live import LiveServer

FORMATS = {"json": JSON, "xml": XML, "csv": CSV, "tsv": TSV}


def _rows(client: SPARQLWrapper, fmt: str) -> list[dict[str, str]]:
    result = client.query()
    if fmt == "json":
        data = result.convert()
        return [{k: v["value"] for k, v in b.items()} for b in data["results"]["bindings"]]
    raw = result.response.read()
    if fmt == "csv":
        return [{k: v for k, v in row.items() if v != ""}
                for row in csv.DictReader(io.StringIO(raw.decode("utf-8")))]
    parsed = ox.parse_query_results(raw, format=ox.QueryResultsFormat.XML if fmt == "xml"
                                    else ox.QueryResultsFormat.TSV)
    assert isinstance(parsed, ox.QuerySolutions)
    names = [v.value for v in parsed.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in parsed]


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_question_through_the_endpoint(live_server: LiveServer, layout: Layout, name: str,
                                       fmt: str) -> None:
    query = next(q for q in read_queries(layout.queries_dir) if q.name == name)
    client = SPARQLWrapper(f"{live_server.url}/sparql")
    client.setQuery(query.text)
    client.setReturnFormat(FORMATS[fmt])
    check_answer(name, _rows(client, fmt))
