"""Build the search index from a store: one document per individual, written to a folder."""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import shutil
from collections import defaultdict
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import tantivy

from kg.folders import swap_in
from kg.namespaces import DMO, DMR
from kg.search.fields import (
    CLAIM_KINDS,
    WRITTEN,
    fold,
    register,
    schema,
    sound_key,
    word_sound_keys,
    words,
)
from kg.store import Backend, Capability
from kg.store.embedded import _locked
from kg.store.oxigraph_backend import OxigraphBackend

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
SELECT ?entity ?property ?text (LANG(?text) AS ?lang) WHERE {{
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
ALT_LABEL = "http://www.w3.org/2004/02/skos/core#altLabel"
TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
# The properties the queries above read, in their order.
TEXTS = (f"{DMO}quote", f"{DMO}summary", "http://www.w3.org/2004/02/skos/core#note",
         "http://www.w3.org/2004/02/skos/core#definition", "http://purl.org/dc/terms/title")
FACET_OF = {f"{DMO}statedIn": "source", f"{DMO}confidence": "confidence",
            f"{DMO}trend": "trend"}
# Where an individual is described, among the graphs open to writes.
GRAPHS_QUERY = f"""
SELECT DISTINCT ?entity ?graph WHERE {{
  GRAPH ?graph {{ ?entity ?property ?value }}
  FILTER({_IN_DMR})
}}"""
READY = "READY"
# Written beside READY: indexes of another layout are built again, not opened.
FORMAT = "FORMAT"
LAYOUT = "5"
# Written while a write is not yet in the index: the index is built again on opening.
PENDING = "PENDING"
TERMS = "terms.json"
WRITER_HEAP = 256 * 1024 * 1024
WRITER_THREADS = 2
# A store on disk of this size or more is read by two processes (see _helper): about 200,000
# triples, read in a second by one.
APART = 40 * 1024 * 1024
# What a hit shows of an individual, as compact JSON (one encoder for every document).
_ENTITY = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


@dataclass
class Record:
    """What the index keeps of one individual."""

    labels: dict[str, str] = field(default_factory=dict)
    alt_labels: list[tuple[str, str]] = field(default_factory=list)
    types: set[str] = field(default_factory=set)
    texts: list[str] = field(default_factory=list)
    text_langs: list[str] = field(default_factory=list)  # each text's language ("": none)
    facets: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    graphs: set[str] = field(default_factory=set)
    # Its folded names, once folded (see prepared).
    names: list[str] | None = field(default=None, compare=False, repr=False)


def _iri(value: str) -> str:
    return "<" + value.replace(">", "%3E") + ">"


def restricted(query: str, variable: str, values: Iterable[str] | None) -> str:
    """The query with its variable bound to values (all of its values when None)."""
    if values is None:
        return query
    bound = f"VALUES ?{variable} {{ {' '.join(map(_iri, sorted(values)))} }}"
    return query.replace("WHERE {", "WHERE {\n  " + bound, 1)


@contextmanager
def _uncollected() -> Iterator[None]:
    """Pause Python's cycle collector: a build makes millions of objects and no cycle, and at
    10M triples each pass of the collector over the records read costs seconds."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def written_graphs(backend: Backend) -> list[str]:
    """The named graphs a store takes writes to: none for a store read only."""
    if Capability.WRITES not in backend.capabilities:
        return []
    protected: frozenset[str] = getattr(backend, "protected", frozenset())
    return [g for g in backend.graph_sizes() if g and g not in protected]


@_uncollected()
def read(backend: Backend, entities: Iterable[str] | None = None
         ) -> tuple[dict[str, Record], dict[str, dict[str, str]]]:
    """Read the individuals' names, types, texts, facet values and written graphs (of those
    entities only, when given), and the DMO terms' labels."""
    chosen = None if entities is None else sorted(set(entities))
    if chosen == []:
        return {}, {}
    records, terms = _read_whole(backend) if chosen is None else (None, {})
    if records is None:
        records = defaultdict(Record)
        if chosen is None and Capability.INDEXED_QUADS in backend.capabilities:
            # Every individual, from Oxigraph's indexes: quicker than the queries' rows.
            with _helper(backend) as texts:
                _read_names(backend, records, terms)
                if texts is not None:
                    for record in records.values():  # its names folded while the helper reads
                        prepared(record)
                if not _merged(texts, records):
                    _read_texts(backend, records)
        else:
            _read_rows(backend, records, chosen)
            if chosen is None:
                for term, name, lang in backend.select_values(TERMS_QUERY):
                    _least(terms.setdefault(str(term), {}), lang or "", str(name))
    written = written_graphs(backend)
    if written:
        graphs = restricted(restricted(GRAPHS_QUERY, "graph", written), "entity", chosen)
        for iri, graph in backend.select_values(graphs):
            if str(iri) in records:  # described in the graph, though not by what is indexed
                records[str(iri)].graphs.add(str(graph))
    return dict(records), terms


def _read_rows(backend: Backend, records: dict[str, Record], chosen: list[str] | None
               ) -> None:
    """Read the records through the queries (of the chosen entities, or of all)."""
    # Each answer looped over as it comes, not named: at 10M triples the rows of one hold a
    # gigabyte, let go before the next is read.
    for iri, prop, name, lang in backend.select_values(restricted(NAMES_QUERY, "entity", chosen)):
        record = records[str(iri)]
        if prop == LABEL:
            _least(record.labels, lang or "", str(name))
        else:
            record.alt_labels.append((lang or "", str(name)))
    for iri, kind in backend.select_values(restricted(TYPES_QUERY, "entity", chosen)):
        records[str(iri)].types.add(str(kind).removeprefix(str(DMO)))
    texts: dict[str, dict[str, list[tuple[str, str]]]] = defaultdict(lambda: defaultdict(list))
    for iri, prop, text, lang in backend.select_values(restricted(TEXTS_QUERY, "entity", chosen)):
        texts[str(prop)][str(iri)].append((str(text), lang or ""))
    _add_texts(records, texts)
    for iri, prop, value in backend.select_values(restricted(FACETS_QUERY, "entity", chosen)):
        records[str(iri)].facets[FACET_OF[str(prop)]].add(str(value).removeprefix(str(DMR)))
    _settle_alt_labels(records)


def _least(names: dict[str, str], lang: str, name: str) -> None:
    """Keep the least of an individual's names in a language: the same whatever the order
    they are read in (that of a store's indexes, or of a file)."""
    kept = names.get(lang)
    if kept is None or name < kept:
        names[lang] = name


def _settle_alt_labels(records: dict[str, Record]) -> None:
    """Order each individual's alternative labels, each once, whatever the order read in."""
    for record in records.values():
        if len(record.alt_labels) > 1:
            record.alt_labels = sorted(set(record.alt_labels))


def _add_texts(records: dict[str, Record],
               texts: dict[str, dict[str, list[tuple[str, str]]]]) -> None:
    """Give the individuals their texts read with their languages (property → individual →
    texts): by property in the order of TEXTS, then in order, each once (a triple held by two
    graphs is one)."""
    for prop in TEXTS:
        for individual, found in texts.get(prop, {}).items():
            record = records[individual]
            for text, lang in sorted(set(found)):
                record.texts.append(text)
                record.text_langs.append(lang)


def _read_whole(backend: Backend
                ) -> tuple[dict[str, Record] | None, dict[str, dict[str, str]]]:
    """Every individual read from the file the store holds exactly, when it names one that
    stays unchanged while it is read; else no records."""
    source = getattr(backend, "source", None)
    path = source() if callable(source) else None
    if path is None or source is None:
        return None, {}
    records: dict[str, Record] = defaultdict(Record)
    terms: dict[str, dict[str, str]] = {}
    if not _read_file(path, records, terms) or source() != path:
        return None, {}
    return records, terms


def _read_file(path: Path, records: dict[str, Record],
               terms: dict[str, dict[str, str]]) -> bool:
    """Read every individual from the N-Quads file its store holds exactly, with the filters
    of the queries; False when the file cannot be read (the store is read then)."""
    iri, literal, dmr, dmo = ox.NamedNode, ox.Literal, str(DMR), str(DMO)
    texts: dict[str, dict[str, list[tuple[str, str]]]] = {p: defaultdict(list) for p in TEXTS}
    try:
        for quad in ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS):
            prop, subject, value = quad.predicate.value, quad.subject, quad.object
            if type(subject) is not iri:
                continue
            individual = subject.value
            if not individual.startswith(dmr):
                if prop == LABEL and individual.startswith(dmo) and type(value) is literal:
                    _least(terms.setdefault(individual, {}), value.language or "", value.value)
                continue
            if prop == TYPE:
                if type(value) is iri and value.value.startswith(dmo):
                    records[individual].types.add(value.value.removeprefix(dmo))
            elif prop == LABEL:
                if type(value) is literal:
                    _least(records[individual].labels, value.language or "", value.value)
            elif prop == ALT_LABEL:
                if type(value) is literal:
                    records[individual].alt_labels.append((value.language or "", value.value))
            elif prop in texts:
                if type(value) is literal:
                    texts[prop][individual].append((value.value, value.language or ""))
            elif prop in FACET_OF and type(value) is iri:
                records[individual].facets[FACET_OF[prop]].add(value.value.removeprefix(dmr))
    except (OSError, SyntaxError):  # gone, or not what the store was loaded from
        return False
    _add_texts(records, texts)
    _settle_alt_labels(records)
    return True


def _read_names(backend: Backend, records: dict[str, Record],
                terms: dict[str, dict[str, str]]) -> None:
    """Read every individual's names and types, and the terms' labels, as the queries would:
    the same filters, in the order the queries answer (that of the store's indexes)."""
    iri, literal, dmr, dmo = ox.NamedNode, ox.Literal, str(DMR), str(DMO)
    for quad in backend.default_quads(LABEL):
        subject, name = quad.subject, quad.object
        if type(subject) is iri and type(name) is literal:
            if subject.value.startswith(dmr):
                _least(records[subject.value].labels, name.language or "", name.value)
            elif subject.value.startswith(dmo):
                _least(terms.setdefault(subject.value, {}), name.language or "", name.value)
    for quad in backend.default_quads(ALT_LABEL):
        subject, name = quad.subject, quad.object
        if type(subject) is iri and subject.value.startswith(dmr) and type(name) is literal:
            records[subject.value].alt_labels.append((name.language or "", name.value))
    for quad in backend.default_quads(TYPE):
        subject, kind = quad.subject, quad.object
        if (type(subject) is iri and subject.value.startswith(dmr) and type(kind) is iri
                and kind.value.startswith(dmo)):
            records[subject.value].types.add(kind.value.removeprefix(dmo))
    _settle_alt_labels(records)


def _read_texts(backend: Backend, records: dict[str, Record]) -> None:
    """Read every individual's texts and facet values, as _read_names reads its names."""
    iri, literal, dmr = ox.NamedNode, ox.Literal, str(DMR)
    texts: dict[str, dict[str, list[tuple[str, str]]]] = {}
    for prop in TEXTS:
        found = texts[prop] = defaultdict(list)
        for quad in backend.default_quads(prop):
            subject, text = quad.subject, quad.object
            if type(subject) is iri and subject.value.startswith(dmr) and type(text) is literal:
                found[subject.value].append((text.value, text.language or ""))
    _add_texts(records, texts)
    for prop, facet in FACET_OF.items():
        for quad in backend.default_quads(prop):
            subject, value = quad.subject, quad.object
            if type(subject) is iri and subject.value.startswith(dmr) and type(value) is iri:
                records[subject.value].facets[facet].add(value.value.removeprefix(dmr))


@contextmanager
def _helper(backend: Backend
            ) -> Iterator[Future[list[tuple[str, list[str], list[str], dict[str, set[str]]]]]
                          | None]:
    """The texts read by a second process while this one reads the names, or None.

    Reading is the store's work, one term looked up at a time, at the speed of one core: a
    second process reading the same store read-only halves the time, for a store open to
    other processes (loaded, not writable) and large enough to pay for starting it.
    """
    path = backend.shared_folder()
    if (path is None or Capability.WRITES in backend.capabilities
            or multiprocessing.current_process().daemon  # may start no process
            or sum(f.stat().st_size for f in path.iterdir() if f.is_file()) < APART):
        yield None
        return
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool.submit(_texts_apart, str(path), backend.version())


def _merged(texts: Future[list[tuple[str, list[str], list[str], dict[str, set[str]]]]] | None,
            records: dict[str, Record]) -> bool:
    """Add the texts and facet values the helper read to the records; False when it read
    none (no helper, or one that could not open the store)."""
    if texts is None:
        return False
    try:
        found = texts.result()
    except (OSError, RuntimeError):  # the store's errors, and a helper that died
        return False
    for individual, read_texts, langs, facets in found:
        record = records[individual]
        record.texts.extend(read_texts)
        record.text_langs.extend(langs)
        for facet, values in facets.items():
            record.facets[facet].update(values)
    return True


@_uncollected()
def _texts_apart(path: str, version: str
                 ) -> list[tuple[str, list[str], list[str], dict[str, set[str]]]]:
    """In the helper process: every individual's texts and facet values, read from the store
    at path."""
    records: dict[str, Record] = defaultdict(Record)
    _read_texts(OxigraphBackend.on_disk(Path(path), version), records)
    return [(iri, record.texts, record.text_langs, dict(record.facets))
            for iri, record in records.items()]


def folded_names(record: Record) -> list[str]:
    """The individual's names and alternative labels folded, each once, in order."""
    return sorted({fold(n) for n in [*record.labels.values(), *(n for _, n in record.alt_labels)]})


def prepared(record: Record) -> list[str]:
    """The record's folded names, folded once (its place in the ranking and its document's
    fields are made of them)."""
    if record.names is None:
        record.names = folded_names(record)
    return record.names


def rank_key(iri: str, labels: dict[str, str], alt_labels: list[tuple[str, str]]
             ) -> tuple[int, str, str]:
    """Order within a tier: the shortest name first, then by that name, then by IRI."""
    return _ranked(iri, folded_names(Record(labels, alt_labels)))


def _ranked(iri: str, names: list[str]) -> tuple[int, str, str]:
    length, first = min((len(f), f) for f in names) if names else (len(iri), iri)
    return length, first, iri


def _name_fields(names: list[str]) -> dict[str, list[Any]]:
    """The fields made of the folded names: each name's words split once for all of them.

    A word in several names (a label and its translation share most) is given once: those
    fields keep which documents hold a term, not how often, and each start of a word given
    costs the index its n-grams.
    """
    unique = list(dict.fromkeys(word for name in names for word in words(name)))
    return {"name": names, "name_start": names, "name_grams": names, "words": names,
            "word_start": unique, "sound": [sound_key(name) for name in names],
            "word_sound": list(word_sound_keys(unique))}


def document(iri: str, record: Record, weight: float) -> tantivy.Document:
    """The index's document of one individual, made whole from its values by name.

    The writer fits the values to the schema's fields by their names: made without the schema,
    a document costs a quarter of what Document.from_dict(fields, schema) costs (at 10M
    triples, 20 seconds of the build). Each value's Python type is its field's: str for text,
    bytes for the entity, float for the weight.
    """
    fields = _name_fields(prepared(record))
    fields.update({
        "iri": [iri], "text": record.texts, "text_lang": record.text_langs,
        "kind": [iri.removeprefix(str(DMR)).split("/", 1)[0]],
        "class": sorted(record.types),
        "claim_kind": sorted(record.types & CLAIM_KINDS),
        "graph": [*sorted(record.graphs), WRITTEN] if record.graphs else [],
        "entity": [_ENTITY.encode([record.labels, record.alt_labels, sorted(record.types)]
                                  ).encode()],
        "weight": [float(weight)]})
    for facet, values in record.facets.items():
        fields[facet] = sorted(values)
    return tantivy.Document(**fields)


@_uncollected()
def write(records: dict[str, Record], terms: dict[str, dict[str, str]],
          folder: Path | None) -> tantivy.Index:
    """Write the index into folder (in memory when None); return it, ready to search."""
    index = tantivy.Index(schema(), str(folder) if folder else None)
    register(index)
    # Each record's names folded once, for its place and for its document.
    names = {iri: prepared(record) for iri, record in records.items()}
    ranked = sorted(records, key=lambda i: _ranked(i, names[i]))
    # log2(2 + weight) multiplies a tier's score by a factor in (1, 2]: the first-ranked
    # entity gets the largest, and tiers lie a factor 8 apart, so a tier always wins.
    top = max(len(ranked), 1)
    writer = index.writer(WRITER_HEAP, WRITER_THREADS)
    for position, iri in enumerate(ranked):
        record = records[iri]
        writer.add_document(document(iri, record, 2.0 * (top - position) / top))
    writer.commit()
    writer.wait_merging_threads()
    if folder:
        (folder / TERMS).write_text(json.dumps(terms, ensure_ascii=False), encoding="utf-8")
    index.reload()
    return index


def _text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return None


def find(root: Path, key: str) -> Path | None:
    """The index of the store content KEY under root, complete and up to date, or None.

    An index is named by the key it was built for, and its READY marker holds the key of the
    content it now indexes (the same, unless writes were indexed since).
    """
    for folder in sorted(root.glob("search-*")):
        if (_text(folder / READY) == key and _text(folder / FORMAT) == LAYOUT
                and not (folder / PENDING).exists()):
            return folder
    return None


def mark(folder: Path, key: str) -> None:
    """Note in folder that its index holds the store content KEY (replacing the note whole)."""
    staging = folder / f".{READY}-{os.getpid()}"
    staging.write_text(key + "\n", encoding="utf-8")
    staging.replace(folder / READY)


def build_into(root: Path, key: str, backend: Backend) -> Path:
    """Open or build the index of backend under root, whole or not at all; return its folder.

    An index of this key is opened as it is. Else one is written to a staging folder and
    renamed into place as search-KEY with READY and FORMAT markers; the other indexes are
    removed.
    """
    found = find(root, key)
    if found:
        return found
    with _locked(root):  # several processes may start on the same store at once
        return _build(root, key, root / f"search-{key}", backend)


def _build(root: Path, key: str, target: Path, backend: Backend) -> Path:
    found = find(root, key)
    if found:
        return found
    with swap_in(target) as staging:
        records, terms = read(backend)
        index = write(records, terms, staging)
        del index
        (staging / FORMAT).write_text(LAYOUT + "\n", encoding="utf-8")
        (staging / READY).write_text(key + "\n", encoding="utf-8")
    for old in root.glob("search-*"):
        if old != target:
            shutil.rmtree(old, ignore_errors=True)
    return target
