"""The trigram catalogue the Tantivy index replaced, kept to measure against (bench only).

Built once from the store through SPARQL (any backend), it answers label look-ups without
scanning triples: exact names and prefixes from the sorted list of names, substrings from a
trigram index.
"""

from __future__ import annotations

import bisect
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from rdflib import URIRef

from kg.namespaces import DMO, DMR
from kg.store import Backend

NAMES_QUERY = f"""
SELECT ?entity ?property ?name (LANG(?name) AS ?lang) WHERE {{
  VALUES ?property {{ <http://www.w3.org/2000/01/rdf-schema#label>
                     <http://www.w3.org/2004/02/skos/core#altLabel> }}
  ?entity ?property ?name .
  FILTER(isIRI(?entity) && STRSTARTS(STR(?entity), "{DMR}") && isLiteral(?name))
}}"""
TYPES_QUERY = f"""
SELECT DISTINCT ?entity ?type WHERE {{
  ?entity a ?type .
  FILTER(isIRI(?entity) && STRSTARTS(STR(?entity), "{DMR}") && STRSTARTS(STR(?type), "{DMO}"))
}}"""
TERMS_QUERY = f"""
SELECT ?term ?name (LANG(?name) AS ?lang) WHERE {{
  ?term <http://www.w3.org/2000/01/rdf-schema#label> ?name .
  FILTER(isIRI(?term) && STRSTARTS(STR(?term), "{DMO}"))
}}"""
LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")

# Tiers of a match, best first.
EXACT, PREFIX, SUBSTRING = 3, 2, 1
# Sorts after every folded name that starts with a given text followed by it.
LAST = "\U0010ffff"


def baseline_fold(text: str) -> str:
    """Fold case, accents, apostrophes and spacing, so that Kétamine finds ketamine."""
    if text.isascii():
        plain = text.casefold()  # nothing to decompose
    else:
        decomposed = unicodedata.normalize("NFKD", text.casefold())
        plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = plain.replace("\u2019", "'").replace("\u00ab", " ").replace("\u00bb", " ")
    return " ".join(plain.split())


def _trigrams(text: str) -> set[str]:
    return {text[i:i + 3] for i in range(len(text) - 2)}


@dataclass
class BaselineEntry:
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


@dataclass(frozen=True)
class Hit:
    """A search result: the entity, the name that matched and how well."""

    entity: BaselineEntry
    name: str
    tier: int
    preferred: bool

    @property
    def score(self) -> float:
        """A score in 0-100: the tier first, then a preferred label, then closeness in length."""
        base = {EXACT: 90.0, PREFIX: 60.0, SUBSTRING: 30.0}[self.tier]
        return base + (8.0 if self.preferred else 0.0)


@dataclass
class Catalogue:
    """Every individual by IRI, and the index of their names."""

    entities: dict[str, BaselineEntry] = field(default_factory=dict)
    terms: dict[str, dict[str, str]] = field(default_factory=dict)  # DMO term IRI → labels
    # (folded name, entity IRI, name, is a preferred label), sorted: a name's position
    _names: list[tuple[str, str, str, bool]] = field(default_factory=list)
    _folded: list[str] = field(default_factory=list)  # the folded names alone, by position
    _owner: list[int] = field(default_factory=list)  # position → number of its entity
    # Positions ranked within a tier (preferred label first, then shorter, then by name), and
    # each position's place in that ranking.
    _order: list[int] = field(default_factory=list)
    _rank: list[int] = field(default_factory=list)
    _trigrams: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def from_backend(cls, backend: Backend) -> Catalogue:
        """Read names and types from the store and index them."""
        catalogue = cls()
        label = str(LABEL)
        for iri, prop, name, lang in backend.select_values(NAMES_QUERY):
            entity = catalogue._entity(str(iri))
            if prop == label:
                entity.labels.setdefault(lang or "", str(name))
            else:
                entity.alt_labels.append((lang or "", str(name)))
        for iri, kind in backend.select_values(TYPES_QUERY):
            catalogue._entity(str(iri)).types.add(str(kind).removeprefix(str(DMO)))
        for term, name, lang in backend.select_values(TERMS_QUERY):
            catalogue.terms.setdefault(str(term), {}).setdefault(lang or "", str(name))
        catalogue._index()
        return catalogue

    def _entity(self, iri: str) -> BaselineEntry:
        if iri not in self.entities:
            self.entities[iri] = BaselineEntry(iri)
        return self.entities[iri]

    def _index(self) -> None:
        names: set[tuple[str, str, str, bool]] = set()
        for entity in self.entities.values():
            for label in entity.labels.values():
                names.add((baseline_fold(label), entity.iri, label, True))
            for _, label in entity.alt_labels:
                names.add((baseline_fold(label), entity.iri, label, False))
        self._names = sorted(names)
        self._folded = [folded for folded, *_ in self._names]
        numbers: dict[str, int] = {}
        self._owner = [numbers.setdefault(iri, len(numbers)) for _, iri, _, _ in self._names]
        # Sorted by name already: a stable sort on (not preferred, length) breaks ties by name.
        longest = max(map(len, self._folded), default=0) + 1
        within = [(not preferred) * longest + len(folded)
                  for folded, _, _, preferred in self._names]
        self._order = sorted(range(len(within)), key=within.__getitem__)
        self._rank = [0] * len(self._order)
        for rank, position in enumerate(self._order):
            self._rank[position] = rank
        trigrams: dict[str, list[int]] = defaultdict(list)
        for position, folded in enumerate(self._folded):
            for gram in _trigrams(folded):
                trigrams[gram].append(position)
        self._trigrams = dict(trigrams)

    @property
    def size(self) -> int:
        """How many names are indexed."""
        return len(self._names)

    def get(self, iri: str) -> BaselineEntry | None:
        return self.entities.get(iri)

    def by_id(self, ident: str) -> BaselineEntry | None:
        return self.entities.get(str(DMR) + ident)

    def label(self, iri: str, lang: str = "en") -> str | None:
        """Return the label of an individual or a DMO term, in lang when there is one."""
        entity = self.entities.get(iri)
        if entity:
            return entity.label(lang)
        labels = self.terms.get(iri)
        if labels:
            return labels.get(lang) or labels.get("en") or next(iter(labels.values()))
        return None

    def type_counts(self) -> dict[str, int]:
        """Return how many individuals each DMO class has (inferred types included)."""
        counts: dict[str, int] = defaultdict(int)
        for entity in self.entities.values():
            for name in entity.types:
                counts[name] += 1
        return dict(sorted(counts.items()))

    def _candidates(self, folded: str) -> list[tuple[int, Sequence[int]]]:
        """Positions of the names matching folded, by tier (a substring may also be a prefix)."""
        start = bisect.bisect_left(self._folded, folded)
        same = bisect.bisect_right(self._folded, folded, start)
        end = bisect.bisect_left(self._folded, folded + LAST, same)
        found: list[tuple[int, Sequence[int]]] = [(EXACT, range(start, same)),
                                                  (PREFIX, range(same, end))]
        if len(folded) >= 3:  # one or two letters: names that start with them, not inside
            # The names holding the text's rarest trigram, each checked whole (a trigram's
            # names all hold it).
            rarest = min(_trigrams(folded), key=lambda g: len(self._trigrams.get(g, ())))
            holding = self._trigrams.get(rarest, [])
            if len(folded) > 3:
                names = self._folded
                holding = [p for p in holding if folded in names[p]]
            found.append((SUBSTRING, holding))
        return found

    def find(self, text: str, types: set[str] | None = None, offset: int = 0,
             limit: int | None = None) -> tuple[int, list[Hit]]:
        """Return how many entities match text and the hits from offset (limit, or all).

        Hits come best first, one per entity: a higher tier, then a preferred label, then a
        shorter name, then by name and IRI.
        """
        folded = baseline_fold(text)
        if not folded:
            return 0, []
        size, rank = len(self._names), self._rank
        keys: list[int] = []
        matched: set[int] = set()
        for tier, positions in self._candidates(folded):
            if types:
                positions = [p for p in positions
                             if self.entities[self._names[p][1]].types & types]
            matched.update(map(self._owner.__getitem__, positions))
            base = (EXACT - tier) * size  # a higher tier comes first whatever the rank
            keys += [base + r for r in map(rank.__getitem__, positions)]
        keys.sort()
        end = None if limit is None else offset + limit
        hits: list[Hit] = []
        seen: set[int] = set()
        for key in keys:
            if end is not None and len(seen) >= end:
                break
            position = self._order[key % size]
            owner = self._owner[position]
            if owner in seen:
                continue
            seen.add(owner)
            if len(seen) > offset:
                _, iri, name, preferred = self._names[position]
                hits.append(Hit(self.entities[iri], name, EXACT - key // size, preferred))
        return len(matched), hits

    def search(self, text: str, types: set[str] | None = None, offset: int = 0,
               limit: int | None = None) -> list[Hit]:
        """The hits alone of find()."""
        return self.find(text, types, offset, limit)[1]
