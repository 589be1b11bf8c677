"""A misspelling is corrected alike however the index's documents lie in its segments."""

from __future__ import annotations

import string

import tantivy

from kg.catalogue import CANDIDATES, Catalogue
from kg.search import build
from kg.search.fields import register, schema

DMR = "https://w3id.org/dmkg/id/"


def _catalogue(records: dict[str, build.Record], backwards: bool) -> Catalogue:
    """The index build.write makes, its documents written first to last or last to first:
    the same weights, other places in the index."""
    index = tantivy.Index(schema())
    register(index)
    ranked = sorted(records, key=lambda i: build._ranked(i, build.prepared(records[i])))
    placed = list(enumerate(ranked))
    writer = index.writer(50_000_000, 1)
    for position, iri in reversed(placed) if backwards else placed:
        writer.add_document(build.document(iri, records[iri],
                                           2.0 * (len(ranked) - position) / len(ranked)))
    writer.commit()
    writer.wait_merging_threads()
    return Catalogue(index, {})


def test_more_names_as_close_as_the_engine_keeps_give_one_correction() -> None:
    # More names one letter away from the misspelling than the candidates read.
    names = [f"zorglubin{letter}" for letter in string.ascii_lowercase[:CANDIDATES + 3]]
    records = {f"{DMR}substance/{name}": build.Record(labels={"en": name}, types={"Substance"})
               for name in names}
    for backwards in (False, True):
        found = _catalogue(records, backwards).query("zorglubinx")
        # Of names as close, the first in the ranking (the shortest, then by name).
        assert found.did_you_mean == "zorglubina"
        assert found.total == len(names)
