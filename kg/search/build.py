"""Build the search index from a store: one document per individual, written to a folder."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import tantivy

from kg.folders import swap_in
from kg.namespaces import DMO, DMR
from kg.search.fields import CLAIM_KINDS, fold, register, schema, sound_key, word_sound_keys, words
from kg.store import Backend
from kg.store.embedded import _locked

_IN_DMR = f'isIRI(?entity) && STRSTARTS(STR(?entity), "{DMR}")'
NAMES_QUERY = f"""
SELECT ?entity ?property ?name (LANG(?name) AS ?lang) WHERE {{
  VALUES ?property {{ <http://www.w3.org/2000/01/rdf-schema#label>
                     <http://www.w3.org/2004/02/skos/core#altLabel> }}
  ?entity ?property ?name .
  FILTER({_IN_DMR} && isLiteral(?name))
}}"""
TYPES_QUERY = f"""
SELECT DISTINCT ?entity ?type WHERE {{
  ?entity a ?type .
  FILTER({_IN_DMR} && STRSTARTS(STR(?type), "{DMO}"))
}}"""
# Texts searched after names: quotes, summaries, notes, definitions and titles.
TEXTS_QUERY = f"""
SELECT ?entity ?text WHERE {{
  VALUES ?property {{ <{DMO}quote> <{DMO}summary> <http://www.w3.org/2004/02/skos/core#note>
                     <http://www.w3.org/2004/02/skos/core#definition>
                     <http://purl.org/dc/terms/title> }}
  ?entity ?property ?text .
  FILTER({_IN_DMR} && isLiteral(?text))
}}"""
FACETS_QUERY = f"""
SELECT ?entity ?property ?value WHERE {{
  VALUES ?property {{ <{DMO}statedIn> <{DMO}confidence> <{DMO}trend> }}
  ?entity ?property ?value .
  FILTER({_IN_DMR} && isIRI(?value))
}}"""
TERMS_QUERY = f"""
SELECT ?term ?name (LANG(?name) AS ?lang) WHERE {{
  ?term <http://www.w3.org/2000/01/rdf-schema#label> ?name .
  FILTER(isIRI(?term) && STRSTARTS(STR(?term), "{DMO}"))
}}"""
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
FACET_OF = {f"{DMO}statedIn": "source", f"{DMO}confidence": "confidence",
            f"{DMO}trend": "trend"}
READY = "READY"
TERMS = "terms.json"
WRITER_HEAP = 256 * 1024 * 1024
WRITER_THREADS = 2


@dataclass
class Record:
    """What the index keeps of one individual."""

    labels: dict[str, str] = field(default_factory=dict)
    alt_labels: list[tuple[str, str]] = field(default_factory=list)
    types: set[str] = field(default_factory=set)
    texts: list[str] = field(default_factory=list)
    facets: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


def read(backend: Backend) -> tuple[dict[str, Record], dict[str, dict[str, str]]]:
    """Read every individual's names, types, texts and facet values, and the DMO terms' labels."""
    records: dict[str, Record] = defaultdict(Record)
    for iri, prop, name, lang in backend.select_values(NAMES_QUERY):
        record = records[str(iri)]
        if prop == LABEL:
            record.labels.setdefault(lang or "", str(name))
        else:
            record.alt_labels.append((lang or "", str(name)))
    for iri, kind in backend.select_values(TYPES_QUERY):
        records[str(iri)].types.add(str(kind).removeprefix(str(DMO)))
    for iri, text in backend.select_values(TEXTS_QUERY):
        records[str(iri)].texts.append(str(text))
    for iri, prop, value in backend.select_values(FACETS_QUERY):
        records[str(iri)].facets[FACET_OF[str(prop)]].add(str(value).removeprefix(str(DMR)))
    terms: dict[str, dict[str, str]] = {}
    for term, name, lang in backend.select_values(TERMS_QUERY):
        terms.setdefault(str(term), {}).setdefault(lang or "", str(name))
    return dict(records), terms


def rank_key(iri: str, labels: dict[str, str], alt_labels: list[tuple[str, str]]
             ) -> tuple[int, str, str]:
    """Order within a tier: the shortest name first, then by that name, then by IRI."""
    names = sorted((len(f), f) for f in map(fold, [*labels.values(), *(n for _, n in alt_labels)]))
    length, first = names[0] if names else (len(iri), iri)
    return length, first, iri


def _document(iri: str, record: Record, weight: float) -> tantivy.Document:
    doc = tantivy.Document()
    doc.add_text("iri", iri)
    names = {fold(n) for n in [*record.labels.values(), *(n for _, n in record.alt_labels)]}
    for name in names:
        doc.add_text("name", name)
        doc.add_text("name_start", name)
        doc.add_text("name_grams", name)
        doc.add_text("words", name)
        for word in words(name):
            doc.add_text("word_start", word)
        doc.add_text("sound", sound_key(name))
        for key in word_sound_keys(name):
            doc.add_text("word_sound", key)
    for text in record.texts:
        doc.add_text("text", text)
    ident = iri.removeprefix(str(DMR))
    doc.add_text("kind", ident.split("/", 1)[0])
    for name in record.types:
        doc.add_text("class", name)
        if name in CLAIM_KINDS:
            doc.add_text("claim_kind", name)
    for facet, values in record.facets.items():
        for value in values:
            doc.add_text(facet, value)
    doc.add_bytes("entity", json.dumps([record.labels, record.alt_labels, sorted(record.types)],
                                       ensure_ascii=False, separators=(",", ":")).encode())
    doc.add_float("weight", weight)
    return doc


def write(records: dict[str, Record], terms: dict[str, dict[str, str]],
          folder: Path | None) -> tantivy.Index:
    """Write the index into folder (in memory when None); return it, ready to search."""
    index = tantivy.Index(schema(), str(folder) if folder else None)
    register(index)
    ranked = sorted(records, key=lambda i: rank_key(i, records[i].labels, records[i].alt_labels))
    # log2(2 + weight) multiplies a tier's score by a factor in (1, 2]: the first-ranked
    # entity gets the largest, and tiers lie a factor 8 apart, so a tier always wins.
    top = max(len(ranked), 1)
    writer = index.writer(WRITER_HEAP, WRITER_THREADS)
    for position, iri in enumerate(ranked):
        writer.add_document(_document(iri, records[iri], 2.0 * (top - position) / top))
    writer.commit()
    writer.wait_merging_threads()
    if folder:
        (folder / TERMS).write_text(json.dumps(terms, ensure_ascii=False), encoding="utf-8")
    index.reload()
    return index


def build_into(root: Path, key: str, backend: Backend) -> Path:
    """Build the index of backend under root/search-KEY, whole or not at all; return it.

    Written to a staging folder and renamed into place with a READY marker; indexes of other
    keys are removed.
    """
    target = root / f"search-{key}"
    if (target / READY).exists():
        return target
    with _locked(root):  # several processes may start on the same store at once
        return _build(root, key, target, backend)


def _build(root: Path, key: str, target: Path, backend: Backend) -> Path:
    if (target / READY).exists():
        return target
    with swap_in(target) as staging:
        records, terms = read(backend)
        index = write(records, terms, staging)
        del index
        (staging / READY).write_text(key + "\n", encoding="utf-8")
    for old in root.glob("search-*"):
        if old != target:
            shutil.rmtree(old, ignore_errors=True)
    return target
