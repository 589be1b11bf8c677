"""Run a SPARQL query on the built dataset, for the command line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.paths import Layout
from kg.queryfiles import QueryFile, read_query


@dataclass
class Table:
    """The answer of a SELECT or ASK query as strings."""

    columns: list[str]
    rows: list[list[str | None]]


def resolve_query(layout: Layout, name_or_path: str) -> QueryFile:
    """Find a query by file path or by name in queries/ (with or without .rq, or a prefix)."""
    path = Path(name_or_path)
    if path.is_file():
        return read_query(path)
    stem = name_or_path.removesuffix(".rq")
    candidates = sorted(layout.queries_dir.glob(f"{stem}*.rq"))
    exact = [c for c in candidates if c.stem == stem]
    if exact or len(candidates) == 1:
        return read_query((exact or candidates)[0])
    known = ", ".join(p.stem for p in sorted(layout.queries_dir.glob("*.rq")))
    if candidates:
        raise LookupError(f"'{name_or_path}' matches several queries: "
                          + ", ".join(c.stem for c in candidates))
    raise LookupError(f"no query file or named query '{name_or_path}'; known: {known}")


def load_built(layout: Layout) -> ox.Store:
    """Load dist/dmkg.nq into an in-memory Oxigraph store."""
    store = ox.Store()
    store.bulk_load(path=str(layout.dist_dir / "dmkg.nq"), format=ox.RdfFormat.N_QUADS)
    return store


def _text(term: object) -> str | None:
    if term is None:
        return None
    return str(getattr(term, "value", term))


def run_table(store: ox.Store, text: str) -> Table:
    """Run a SELECT or ASK query over the union of the named graphs."""
    result = store.query(text, use_default_graph_as_union=True)
    if isinstance(result, ox.QueryBoolean):
        return Table(["result"], [["true" if bool(result) else "false"]])
    if isinstance(result, ox.QuerySolutions):
        columns = [v.value for v in result.variables]
        return Table(columns, [[_text(row[c]) for c in columns] for row in result])
    rows = [[_text(t.subject), _text(t.predicate), _text(t.object)] for t in result]
    return Table(["subject", "predicate", "object"], rows)
