"""Run the QC queries: each one names what is wrong and must return no rows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from kg.queryfiles import QueryFile, read_queries


@dataclass
class QcResult:
    """The rows one QC query returned."""

    query: QueryFile
    rows: list[dict[str, str]]

    @property
    def ok(self) -> bool:
        return not self.rows


def oxigraph_store(graph: Graph) -> ox.Store:
    """Copy an rdflib graph into an in-memory Oxigraph store."""
    store = ox.Store()
    data = graph.serialize(format="nt", encoding="utf-8")
    store.load(data, format=ox.RdfFormat.N_TRIPLES)
    return store


def run_qc(graph: Graph, qc_dir: Path) -> list[QcResult]:
    """Run every QC query of qc_dir on graph."""
    store = oxigraph_store(graph)
    results = []
    for query in read_queries(qc_dir):
        solutions = store.query(query.text)
        if not isinstance(solutions, ox.QuerySolutions):
            raise ValueError(f"{query.path}: a QC query must be a SELECT query")
        variables = [v.value for v in solutions.variables]
        rows = [
            {name: str(value.value) for name, value in zip(variables, row, strict=True) if value}
            for row in solutions
        ]
        results.append(QcResult(query=query, rows=rows))
    return results
