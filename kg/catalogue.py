"""The entity catalogue: names, kinds and types of every individual, and search over them.

It reads a Tantivy index (kg.search) built once per store content and kept on disk beside the
store, so a service starting on built data opens it instead of indexing.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from threading import Lock

import jellyfish
import tantivy

from kg.namespaces import DMO, DMR
from kg.search import build, updates
from kg.search.fields import (
    FACETS,
    START_MAX,
    fold,
    register,
    sound_key,
    trigrams,
    word_sound_key,
    words,
)
from kg.search.query import (
    BASE,
    EXACT,
    FUZZY,
    PREFIX,
    SUBSTRING,
    TEXT,
    WORDS,
    distance,
    filtered,
    fuzzy_parts,
    names_count_query,
    names_query,
    names_tiers,
    text_query,
    tier_of,
    tiers_query,
)
from kg.store import Backend

__all__ = ["EXACT", "FUZZY", "PREFIX", "SUBSTRING", "TEXT", "WORDS", "Catalogue", "CatalogueEntry",
           "Hit", "Results", "fold"]
SCORES = {EXACT: 90.0, PREFIX: 60.0, WORDS: 45.0, SUBSTRING: 30.0, TEXT: 20.0, FUZZY: 10.0}
MATCH_NAMES = {EXACT: "exact", PREFIX: "prefix", WORDS: "words", SUBSTRING: "substring",
               TEXT: "text", FUZZY: "fuzzy"}
CACHED = 1 << 14
# Matches of names as typed past which pieces of names and texts are no longer counted.
COUNTED = 1_000


@dataclass
class CatalogueEntry:
    """An individual: its IRI, kind, names and DMO types (asserted and inferred)."""

    iri: str
    labels: dict[str, str] = field(default_factory=dict)
    alt_labels: list[tuple[str, str]] = field(default_factory=list)
    types: set[str] = field(default_factory=set)

    @property
    def id(self) -> str:
        return self.iri.removeprefix(str(DMR))

    @property
    def kind(self) -> str:
        return self.id.split("/", 1)[0]

    def label(self, lang: str = "en") -> str:
        """Return the label in lang, else in the other language, else the id."""
        other = "fr" if lang == "en" else "en"
        return self.labels.get(lang) or self.labels.get(other) or self.id

    def label_language(self, lang: str = "en") -> str | None:
        """The language of label(lang): lang, else the other language, else None (the id)."""
        other = "fr" if lang == "en" else "en"
        return next((x for x in (lang, other) if self.labels.get(x)), None)

    def language_of(self, name: str) -> str | None:
        """The language of one of this entity's names, or None when it is not one."""
        return next((x for x, n in [*self.labels.items(), *self.alt_labels] if n == name),
                    None)

    def matched_in(self, name: str, lang: str, text: str) -> tuple[str, str | None]:
        """A matched name as a reader of lang is shown it, with its language: when written in
        another language, a name in lang that text matches too, else one folding alike."""
        if self.foreign(name, lang):
            wanted = fold(text)
            tiers = [(tier, n) for n, _ in self.names() if not self.foreign(n, lang)
                     and (tier := name_tier(fold(n), wanted)) is not None]
            # The best match, the first name (a label before other names) among equals.
            name = max(tiers, key=lambda t: t[0])[1] if tiers else self.spelt(name, lang)
        return name, self.language_of(name)

    def names(self) -> list[tuple[str, bool]]:
        """Every name with whether it is a preferred label."""
        return ([(n, True) for n in self.labels.values()]
                + [(n, False) for _, n in self.alt_labels])

    def foreign(self, name: str, lang: str | None) -> bool:
        """Whether name is written in another language than lang (False when lang is None)."""
        if lang is None:
            return False
        return not (self.labels.get(lang) == name or (lang, name) in self.alt_labels)

    def spelt(self, name: str, lang: str) -> str:
        """One of this entity's names as lang writes it.

        Its label in any language stands for the entity, so its label in lang is given; an
        alternative name is given as a name in lang folding alike writes it, else as it is.
        """
        if name in self.labels.values():
            return self.label(lang)
        alike = (other for other, _ in self.names()
                 if fold(other) == fold(name) and not self.foreign(other, lang))
        return next(alike, name)

    def written(self, folded: str, lang: str) -> str:
        """A folded name or word of a name as this entity writes it, in lang when it can.

        A whole label stands for the entity, so its label in lang is shown; a whole other name
        is shown as written; a word is shown as a name in lang spells it, else as another
        name does.
        """
        names = sorted(self.names(), key=lambda n: self.foreign(n[0], lang))
        whole = next((n for n in names if fold(n[0]) == folded), None)
        if whole is not None:
            # A label stands for the entity; another name (a street name) is kept as written.
            name, preferred = whole
            return self.label(lang) if preferred else name
        spelt = (word for name, _ in names for word in words(name)
                 if fold(word) == folded)
        return next(spelt, folded)


@dataclass(frozen=True)
class Hit:
    """A search result: the entity, the name that matched, how well, and a text excerpt."""

    entity: CatalogueEntry
    name: str
    tier: int
    preferred: bool
    snippet: str | None = None  # HTML, matched words in <b>, for matches in the texts
    closeness: float = 0.0  # for spellings alike: how close, from 0 to 1
    snippet_lang: str | None = None  # the language of the texts excerpted, when they have one

    @property
    def score(self) -> float:
        """A score in 0-100: the tier first, then a preferred label or a closer spelling."""
        if self.tier == FUZZY:
            return round(SCORES[FUZZY] - 5.0 + 12.0 * self.closeness, 2)
        return SCORES[self.tier] + (8.0 if self.preferred else 0.0)

    @property
    def match(self) -> str:
        return MATCH_NAMES[self.tier]


@dataclass
class Results:
    """One page of a search, with the count, facet counts and a spelling to suggest."""

    total: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    did_you_mean: str | None = None  # folded, as the search reads it
    suggestion: str | None = None  # did_you_mean as written in the language asked for
    # False when names matched as typed alone passed COUNTED: total counts those, and the
    # facets too; pieces of names and the texts would add to them.
    total_exact: bool = True


# Quotation marks a cut may leave open: opening → closing.
QUOTE_MARKS = {"«": "»", "“": "”"}


def excerpt(found: tantivy.Snippet, texts: list[str]) -> str:
    """The snippet's HTML with "…" where it cuts the texts it was taken from (joined by a
    space, as Tantivy joins them), and a quotation it cuts into or out of opened or closed."""
    html, fragment, span = found.to_html(), found.fragment(), found.fragment_range()
    whole = " ".join(texts).strip().encode()
    opened = {mark: fragment.count(mark) - fragment.count(close)
              for mark, close in QUOTE_MARKS.items()}
    if span.start > 0:
        html = "".join(f"{m}\u00a0" for m, n in opened.items() if n < 0) + "… " + html
    if span.end < len(whole):
        html += "…" + "".join(f"\u00a0{QUOTE_MARKS[m]}" for m, n in opened.items() if n > 0)
    return html


def excerpt_language(found: tantivy.Snippet, texts: list[str], langs: list[str]
                     ) -> str | None:
    """The language of the texts a snippet is taken from (joined by a space, as Tantivy joins
    them): that of the text holding most of it, None when that text has none."""
    span, start = found.fragment_range(), 0
    share: dict[str, int] = {}
    for text, lang in zip(texts, langs, strict=False):
        end = start + len(text.encode())
        overlap = min(end, span.end) - max(start, span.start)
        if overlap > 0:
            share[lang] = share.get(lang, 0) + overlap
        start = end + 1
    return max(share, key=share.__getitem__, default="") or None


def name_tier(folded_name: str, wanted: str) -> int | None:
    """The tier of one name for a folded text, read from the rules, or None."""
    if folded_name == wanted:
        return EXACT
    if folded_name.startswith(wanted):
        return PREFIX
    terms, have = words(wanted), words(folded_name)
    if terms and all(t in have for t in terms[:-1]) and any(
            h.startswith(terms[-1]) for h in have):
        return WORDS
    if len(wanted) >= 3 and wanted in folded_name:
        return SUBSTRING
    return None


def _pieces_tier(names: list[tuple[str, bool]], wanted: str) -> tuple[str, bool] | None:
    """The name holding most of the text's three-letter pieces (a SUBSTRING hit holds them
    all, though maybe not in the text's order)."""
    pieces = trigrams(wanted)
    scored = [(-len(pieces & trigrams(fold(n))), not p, len(n), n, p) for n, p in names]
    best = min(scored, default=None)
    return (best[3], best[4]) if best else None


def _similarity(one: str, other: str) -> float:
    return 1.0 - jellyfish.levenshtein_distance(one, other) / max(len(one), len(other), 1)


@lru_cache(maxsize=1 << 14)
def closeness(folded_name: str, wanted: str) -> tuple[float, str]:
    """How close a name is to a misspelt text (0 to 1), and the part of it that is closest.

    The whole name counts most; for a one-word text, the name's closest word counts too.
    Kept for the latest pairs: a search weighs the same names to correct the text, to say
    what each hit matched and how closely.
    """
    whole = folded_name.replace(" ", "")
    plain = wanted.replace(" ", "")
    key = sound_key(plain)
    best = (_similarity(whole, plain), folded_name)
    if sound_key(whole) == key:
        best = max(best, (0.8, folded_name))
    if " " not in wanted:
        for word in words(folded_name):
            close = 0.9 * _similarity(word, plain)
            if len(word) >= 4 and word_sound_key(word) == key:
                close = max(close, 0.7)
            best = max(best, (close, word))
    return best


def matched_name(entity: CatalogueEntry, wanted: str, tier: int,
                 lang: str | None = None) -> tuple[str, bool]:
    """The entity's name a hit of this tier stands for: the best one, or the closest spelt;
    of names as good, one written in lang."""
    names = entity.names()
    if tier == FUZZY:
        return min(names, key=lambda n: (-closeness(fold(n[0]), wanted)[0], not n[1],
                                         entity.foreign(n[0], lang), n[0]),
                   default=(entity.id, True))
    best = [(not preferred, entity.foreign(name, lang), len(fold(name)), fold(name), name,
             preferred)
            for name, preferred in names if name_tier(fold(name), wanted) == tier]
    if not best:
        spread = _pieces_tier(names, wanted) if tier == SUBSTRING else None
        return spread or (entity.label(), True)
    chosen = min(best)
    return chosen[4], chosen[5]


def _count(result: tantivy.SearchResult) -> int:
    # Tantivy's type stubs leave out the count it returns.
    return int(getattr(result, "count", None) or 0)


class Catalogue:
    """Every individual by IRI, and the search index of their names and texts."""

    def __init__(self, index: tantivy.Index, terms: dict[str, dict[str, str]],
                 folder: Path | None = None) -> None:
        register(index)
        self.folder = folder  # where the index is kept, None in memory
        index.reload()
        self.index = index
        self.schema = index.schema
        self.searcher = index.searcher()
        self.terms = terms  # DMO term IRI → labels by language
        self._cache: OrderedDict[str, CatalogueEntry | None] = OrderedDict()
        # The corrections of the latest texts searched (see _corrections), by generation.
        self._corrected: OrderedDict[tuple[int, str, str | None],
                                     dict[str, tuple[str, str] | None]] = OrderedDict()
        self._lock = Lock()
        self._changes = 0  # writes noted by stale()
        # Counts the updates: what is derived from the labels is kept for one generation.
        self.generation = 0

    @classmethod
    def from_backend(cls, backend: Backend) -> Catalogue:
        """Read the store and index it in memory."""
        records, terms = build.read(backend)
        return cls(build.write(records, terms, None), terms)

    @classmethod
    def open(cls, folder: Path) -> Catalogue:
        """Open an index written by build.build_into."""
        terms = json.loads((folder / build.TERMS).read_text(encoding="utf-8"))
        return cls(tantivy.Index.open(str(folder)), terms, folder)

    @classmethod
    def for_store(cls, backend: Backend, root: Path, key: str) -> Catalogue:
        """Open the index of this store content under root, building it first if missing."""
        return cls.open(build.build_into(root, key, backend))

    def stale(self) -> None:
        """Note that the store changed: until update() is done, the index is not opened again."""
        with self._lock:
            self._changes += 1
        if self.folder is not None:
            (self.folder / build.PENDING).touch()

    def update(self, backend: Backend) -> int:
        """Index again the individuals writes may have changed; return how many there were."""
        with self._lock:
            seen = self._changes
        # The key of the content before it is read: a write landing meanwhile leaves the
        # index under an older key, built again at the next start rather than opened stale.
        # A writable store is named by the note its writes keep, read back when it is opened
        # again (kg.store.union_note): its version now is the key it will have then.
        key = backend.version() if self.folder is not None else ""
        changed = updates.apply(self.index, backend)
        searcher = self.index.searcher()
        with self._lock:
            self.searcher = searcher
            self._cache.clear()
            self._corrected.clear()
            self.generation += 1
        if self.folder is not None:
            build.mark(self.folder, key)
            with self._lock:
                if self._changes == seen:  # no write since this update began
                    (self.folder / build.PENDING).unlink(missing_ok=True)
        return changed

    @property
    def size(self) -> int:
        """How many individuals are indexed."""
        return int(self.searcher.num_docs)

    def _entity(self, address: tantivy.DocAddress) -> CatalogueEntry:
        doc = self.searcher.doc(address)
        labels, alt_labels, types = json.loads(bytes(doc["entity"][0]).decode())
        return CatalogueEntry(doc["iri"][0], labels, [tuple(a) for a in alt_labels], set(types))

    def get(self, iri: str) -> CatalogueEntry | None:
        """The individual with this IRI, or None."""
        with self._lock:
            if iri in self._cache:
                self._cache.move_to_end(iri)
                return self._cache[iri]
        found = self.searcher.search(tantivy.Query.term_query(self.schema, "iri", iri), 1,
                                     count=False).hits
        entity = self._entity(found[0][1]) if found else None
        with self._lock:
            self._cache[iri] = entity
            if len(self._cache) > CACHED:
                self._cache.popitem(last=False)
        return entity

    def by_id(self, ident: str) -> CatalogueEntry | None:
        return self.get(str(DMR) + ident)

    def label(self, iri: str, lang: str = "en") -> str | None:
        """Return the label of an individual or a DMO term, in lang when there is one."""
        found = self.term_label(iri, lang)
        if found is not None:
            return found
        entity = self.get(iri) if iri.startswith(str(DMR)) else None
        return entity.label(lang) if entity else None

    def term_label(self, iri: str, lang: str = "en") -> str | None:
        """Return the label of a DMO term, in lang when there is one."""
        labels = self.terms.get(iri)
        if labels:
            return labels.get(lang) or labels.get("en") or next(iter(labels.values()))
        return None

    def facet_label(self, facet: str, value: str, lang: str = "en") -> str:
        """The label of a facet's value: a DMO class, a kind, or an individual's id."""
        if facet in {"class", "claim_kind"}:
            return self.label(str(DMO[value]), lang) or value
        if facet == "kind":
            return value
        return self.label(str(DMR) + value, lang) or value

    def counts(self, facet: str, query: tantivy.Query | None = None,
               size: int = 10_000) -> dict[str, int]:
        """How many individuals (of those query matches) have each value of a facet."""
        found = self.searcher.aggregate(query or tantivy.Query.all_query(),
                                        {facet: {"terms": {"field": facet, "size": size}}})
        return {b["key"]: b["doc_count"] for b in found[facet]["buckets"]}

    def type_counts(self) -> dict[str, int]:
        """Return how many individuals each DMO class has (inferred types included)."""
        return dict(sorted(self.counts("class").items()))

    def kind_counts(self) -> dict[str, int]:
        """Return how many individuals each kind (substance, claim, …) has."""
        return dict(sorted(self.counts("kind").items()))

    def of_type(self, name: str) -> list[CatalogueEntry]:
        """Every individual of a DMO class."""
        return self._having("class", name)

    def of_kind(self, kind: str) -> list[CatalogueEntry]:
        """Every individual of a kind (substance, claim, …)."""
        return self._having("kind", kind)

    def _having(self, facet: str, value: str) -> list[CatalogueEntry]:
        query = tantivy.Query.term_query(self.schema, facet, value)
        total = _count(self.searcher.search(query, 1, count=True))
        hits = self.searcher.search(query, max(total, 1), count=False).hits
        return [self._entity(address) for _, address in hits]

    def _ranked(self, query: tantivy.Query, size: int, offset: int, count: bool = True
                ) -> tuple[int, list[tuple[float, tantivy.DocAddress]]]:
        """The total (when counted) and one page of a query's hits, best first."""
        found = self.searcher.search(query, size, count=count, offset=offset,
                                     weight_by_field="weight")
        return _count(found), found.hits

    def _best_tier(self, query: tantivy.Query, total: int,
                   page: list[tuple[float, tantivy.DocAddress]], offset: int
                   ) -> tuple[int, tantivy.DocAddress] | None:
        """The tier and address of the first hit of the whole ranking, or None."""
        first = page[:1] if offset == 0 else (
            self._ranked(query, 1, 0, count=False)[1] if total else [])
        return (tier_of(first[0][0]), first[0][1]) if first else None

    def query(self, text: str, filters: Mapping[str, Iterable[str]] | None = None,
              offset: int = 0, limit: int | None = None, facets: bool = False,
              lang: str | None = None) -> Results:
        """Search names, then texts, then (when no name matches) spellings alike; one page.

        Hits come one per entity: a higher tier first, then the entity with the shorter
        shortest name, then by that name and IRI. Each names what it matched, a name in
        lang when one in lang matches as well as any.
        """
        # The search engine's patterns have a size limit: a longer text is searched by its
        # beginning, which no name exceeds.
        wanted = fold(text[:MAX_TEXT])
        if not wanted:
            return Results(0, [])
        size = max(1, self.size if limit is None else limit)
        # A name matched whole, by its start or word by word outranks every piece of a name
        # and every text: when those matches alone fill the page and pass COUNTED, the page
        # and the count come from them, and the costly tiers (pieces of names, read with their
        # positions) are not read at all.
        query = filtered(self.schema, names_query(self.schema, wanted), filters or {})
        counted = filtered(self.schema, names_count_query(self.schema, wanted), filters or {})
        total = _count(self.searcher.search(counted, 1, count=True))
        exact = total < COUNTED or total < offset + size
        best: tuple[int, tantivy.DocAddress] | None = None
        corrections: dict[str, tuple[str, str] | None] = {}
        if exact:
            # Names spelt alike are looked for only when no name matches as typed: a name
            # found needs no guess, and the guesses would outnumber it.
            for fuzzy in (False, True):
                if fuzzy:
                    corrections = self._corrections(wanted, lang)
                query = filtered(self.schema, tiers_query(
                    self.schema, wanted, fuzzy, {w: c[0] if c else "" for w, c in
                                                 corrections.items()}), filters or {})
                total, page = self._ranked(query, size, offset)
                best = self._best_tier(query, total, page, offset)
                if best and best[0] >= SUBSTRING:
                    break
        else:
            page = self._names_page(wanted, filters or {}, size, offset)
        results = Results(total, self._hits(page, wanted, lang, corrections), total_exact=exact)
        if any(corrections.values()) and (best is None or best[0] == FUZZY):
            # Nothing found as typed: the text with its unknown words corrected.
            results.did_you_mean, results.suggestion = corrected(text, wanted, corrections)
        if facets and total:
            results.facets = {f: sorted(self.counts(f, query, 50).items(),
                                        key=lambda kv: (-kv[1], kv[0])) for f in FACETS}
        return results

    def _known(self, word: str, last: bool) -> bool:
        """Whether a word is in a name or a text as typed (the last one maybe unfinished)."""
        if self.searcher.doc_freq("words", word) or self.searcher.doc_freq("text", word):
            return True
        return last and len(word) <= START_MAX and bool(
            self.searcher.doc_freq("word_start", word))

    def _corrections(self, wanted: str, lang: str | None
                     ) -> dict[str, tuple[str, str] | None]:
        """The words of a text found in no name or text as typed, each with the closest word
        or name found (folded, and as written, in lang when it can be) or None.

        Kept for the latest texts until the index changes: a misspelling is searched again
        (the next page, another filter, the same link), and finding the closest words reads
        tens of names and texts.
        """
        key = (self.generation, wanted, lang)
        with self._lock:
            if key in self._corrected:
                self._corrected.move_to_end(key)
                return self._corrected[key]
        terms = words(wanted)
        found = {word: self._closest(word, lang) for position, word in enumerate(terms)
                 if len(word) >= 4 and not self._known(word, position == len(terms) - 1)}
        with self._lock:
            if key[0] == self.generation:  # not an update's meanwhile
                self._corrected[key] = found
                while len(self._corrected) > CORRECTED:
                    self._corrected.popitem(last=False)
        return found

    def _closest(self, word: str, lang: str | None) -> tuple[str, str] | None:
        """The name or word of a name spelt or sounding most like word, or the word of a text
        a few edits away: folded, and as written (in lang first)."""
        # (closeness, written in lang, folded, as written)
        candidates: list[tuple[float, bool, str, str]] = []
        for address in self._candidates(fuzzy_parts(self.schema, word)):
            entity = self._entity(address)
            for name, _ in entity.names():
                close, part = closeness(fold(name), word)
                candidates.append((close, not entity.foreign(name, lang), part,
                                   entity.written(part, lang or "en")))
        edits = distance(word)
        texts = tantivy.Query.fuzzy_term_query(self.schema, "text", word, edits)
        for address in self._candidates([texts]):
            for written in words(" ".join(self.searcher.doc(address)["text"])):
                if abs(len(written) - len(word)) > edits:  # folding keeps the length of most
                    continue
                folded = fold(written)
                # Edits as the engine counts them: two letters swapped are one.
                apart = jellyfish.damerau_levenshtein_distance(folded, word)
                if folded != word and apart <= edits:
                    candidates.append((1.0 - apart / max(len(folded), len(word)), True, folded,
                                       written))
        if not candidates:
            return None
        # The closest; among as close, the fewest edits, the plural or singular, a name in
        # lang, one written in lower case.
        best = min(candidates, key=lambda c: (-c[0], -_similarity(c[2].replace(" ", ""), word),
                                              not plural(c[2], word), not c[1],
                                              c[2] != c[3].lower(), c[2]))
        return best[2], best[3]

    def _candidates(self, queries: list[tantivy.Query]) -> list[tantivy.DocAddress]:
        """The first CANDIDATES individuals the queries match, query by query, each query's
        in the order of the ranking (see build.write).

        Whatever the index's segments: among as many matches scored alike, the engine keeps
        those it reads first, which follows how the documents were spread over its segments
        by its writing threads.
        """
        found: dict[tuple[int, int], tantivy.DocAddress] = {}
        for query in queries:
            for _, address in self.searcher.search(query, CANDIDATES, count=False,
                                                   order_by_field="weight").hits:
                found.setdefault((address.segment_ord, address.doc), address)
            if len(found) >= CANDIDATES:
                break
        return list(found.values())[:CANDIDATES]

    def _names_page(self, wanted: str, filters: Mapping[str, Iterable[str]], size: int,
                    offset: int) -> list[tuple[float, tantivy.DocAddress]]:
        """One page of the names tiers, read tier by tier, each in the order of its weights.

        The page names_query's scores would give: within a tier they follow the weight. Read
        so, a broad word's matches are not each scored (at 10M triples, most of its time).
        """
        page: list[tuple[float, tantivy.DocAddress]] = []
        for tier, query in names_tiers(self.schema, wanted):
            if len(page) == size:
                break
            found = self.searcher.search(filtered(self.schema, query, filters), size - len(page),
                                         count=True, offset=offset, order_by_field="weight")
            page += [(BASE ** tier, address) for _, address in found.hits]
            offset = max(0, offset - _count(found))
        return page

    def _hits(self, page: list[tuple[float, tantivy.DocAddress]], wanted: str,
              lang: str | None, corrections: Mapping[str, tuple[str, str] | None]) -> list[Hit]:
        """The hits of one page: the name each matched by, snippets of the texts matched."""
        snippets: tantivy.SnippetGenerator | None = None
        hits = []
        spelt = self._alike_snippets(page, wanted, corrections)
        for score, address in page:
            entity, tier = self._entity(address), tier_of(score)
            name, preferred = matched_name(entity, wanted, tier, lang)
            snippet, snippet_lang = spelt.get((address.doc, address.segment_ord)), None
            if tier == TEXT:
                if snippets is None:
                    texts = text_query(self.schema, wanted)
                    assert texts is not None  # a text match has words
                    snippets = tantivy.SnippetGenerator.create(self.searcher, texts,
                                                               self.schema, "text")
                    snippets.set_max_num_chars(180)
                doc = self.searcher.doc(address)
                found = snippets.snippet_from_doc(doc)
                snippet = excerpt(found, doc["text"])
                snippet_lang = excerpt_language(found, doc["text"], doc.get_all("text_lang"))
            close = closeness(fold(name), wanted)[0] if tier == FUZZY else 0.0
            hits.append(Hit(entity, name, tier, preferred, snippet, close, snippet_lang))
        return hits

    def _alike_snippets(self, page: list[tuple[float, tantivy.DocAddress]], wanted: str,
                        corrections: Mapping[str, tuple[str, str] | None]
                        ) -> dict[tuple[int, int], str]:
        """Snippets of the texts of the hits spelt alike whose texts have words of the
        search, as typed, a few edits away or as corrected; by document address."""
        terms = words(wanted)
        found: dict[tuple[int, int], set[str]] = {}
        docs = {}
        for score, address in page:
            if tier_of(score) != FUZZY:
                continue
            doc = self.searcher.doc(address)
            have = set(words(fold(" ".join(doc["text"]))))
            matched = [{h for h in have if alike(h, word, corrections)} for word in terms]
            if any(matched):
                key = (address.doc, address.segment_ord)
                found[key], docs[key] = set().union(*matched), doc
        if not found:
            return {}
        highlighted = tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(self.schema, "text", t))
             for t in sorted(set().union(*found.values()))])
        snippets = tantivy.SnippetGenerator.create(self.searcher, highlighted, self.schema,
                                                   "text")
        snippets.set_max_num_chars(180)
        shown = {key: excerpt(snippets.snippet_from_doc(doc), doc["text"])
                 for key, doc in docs.items()}
        return {key: html for key, html in shown.items() if "<b>" in html}

    def find(self, text: str, types: set[str] | None = None, offset: int = 0,
             limit: int | None = None) -> tuple[int, list[Hit]]:
        """Return how many entities match text and the hits from offset (limit, or all)."""
        found = self.query(text, {"class": types} if types else None, offset, limit)
        return found.total, found.hits

    def search(self, text: str, types: set[str] | None = None, offset: int = 0,
               limit: int | None = None) -> list[Hit]:
        """The hits alone of find()."""
        return self.find(text, types, offset, limit)[1]

    def suggest(self, text: str, limit: int = 8) -> list[Hit]:
        """Names as typed so far: exact names, starts of names, then words begun."""
        return [h for h in self.search(text, limit=limit) if h.tier >= WORDS]


def alike(have: str, word: str, corrections: Mapping[str, tuple[str, str] | None]) -> bool:
    """Whether a folded word of a text stands for a word searched: as typed, a few edits
    away, or one of the words it was corrected to."""
    if have == word:
        return True
    if word not in corrections:  # found as typed: taken as typed
        return False
    meant = corrections[word]
    if meant and have in meant[0].split():
        return True
    edits = distance(word)
    if not edits or abs(len(have) - len(word)) > edits:
        return False
    # Levenshtein's distance is cheaper and bounds the engine's (where two letters swapped
    # are one edit) from above, and from below by half.
    plain = jellyfish.levenshtein_distance(have, word)
    return plain <= edits or (plain <= 2 * edits
                              and jellyfish.damerau_levenshtein_distance(have, word) <= edits)


def plural(one: str, other: str) -> bool:
    """Whether one folded word is the plural of the other or its singular (-s, -x)."""
    short, long = sorted((one, other), key=len)
    return long[:-1] == short and long[-1] in "sx"


def lowered(written: str, typed: str) -> str:
    """A correction in lower case when typed so and written with a capital only to begin a
    label (Opioïdes), not a name written with capitals (MDMA, dark web stays)."""
    if typed.islower() and written[:1].isupper() and written[1:] == written[1:].lower():
        return written.lower()
    return written


def corrected(text: str, wanted: str, corrections: Mapping[str, tuple[str, str] | None]
              ) -> tuple[str, str]:
    """A text with its words corrected: folded, and as written (the other words as typed)."""
    terms = words(wanted)
    typed = words(text[:MAX_TEXT].casefold())
    if len(typed) != len(terms):  # folding split the words otherwise
        typed = terms
    meant = {w: c for w, c in corrections.items() if c}
    folded = " ".join(meant[w][0] if w in meant else w for w in terms)
    written = " ".join(lowered(meant[w][1], t) if w in meant else t
                       for w, t in zip(terms, typed, strict=True))
    return folded, written


# Individuals whose names or texts are read for the closest spelling of one word.
CANDIDATES = 10
# Texts whose corrections are kept (see Catalogue._corrections).
CORRECTED = 1024
# Characters of a search text read (the REST API and the pages accept 200, reconciliation 500).
MAX_TEXT = 500
