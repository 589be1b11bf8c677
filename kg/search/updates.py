"""Bring an index up to date after writes: the individuals they may have changed, indexed again.

Writes go to the graphs open to writes (never to those the build made), so an individual a
write changed is described in one of them now, or was before (its document then holds
WRITTEN in its graph field). Those individuals' documents are deleted and written again from
the store; the others are left as they are.
"""

from __future__ import annotations

import tantivy

from kg.search.build import GRAPHS_QUERY, document, read, restricted, written_graphs
from kg.search.fields import WRITTEN
from kg.store import Backend

# A writer for a few documents: the least heap Tantivy allows one thread, with room.
UPDATE_HEAP = 32 * 1024 * 1024


def _indexed(searcher: tantivy.Searcher, schema: tantivy.Schema) -> dict[str, float]:
    """The individuals indexed from a graph open to writes, with their weights."""
    query = tantivy.Query.term_query(schema, "graph", WRITTEN)
    total = int(getattr(searcher.search(query, 1, count=True), "count", 0) or 0)
    found: dict[str, float] = {}
    for _, address in searcher.search(query, max(total, 1), count=False).hits:
        doc = searcher.doc(address)
        found[doc["iri"][0]] = float(doc["weight"][0])
    return found


def _described(backend: Backend) -> set[str]:
    """The individuals described in a graph open to writes now."""
    written = written_graphs(backend)
    if not written:
        return set()
    rows = backend.select_values(restricted(GRAPHS_QUERY, "graph", written))
    return {str(row[0]) for row in rows}


def apply(index: tantivy.Index, backend: Backend) -> int:
    """Index again every individual writes may have changed; return how many there were.

    A document written again keeps its weight (its place within a tier); a new individual
    comes last in its tier until the next build.
    """
    index.reload()
    weights = _indexed(index.searcher(), index.schema)
    changed = set(weights) | _described(backend)
    if not changed:
        return 0
    records, _ = read(backend, changed)
    writer = index.writer(UPDATE_HEAP, 1)
    for iri in sorted(changed):
        writer.delete_documents_by_term("iri", iri)
    for iri in sorted(records):
        writer.add_document(document(iri, records[iri], weights.get(iri, 0.0)))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    return len(changed)
