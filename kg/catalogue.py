"""The entity catalogue: names, kinds and types of every individual, with a search index.

Built once from the store through SPARQL (any backend), it answers label look-ups without
scanning triples: exact names from a dictionary, prefixes from a sorted list, substrings from
a trigram index.
"""

from __future__ import annotations

import bisect
import unicodedata
from collections import defaultdict
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


def fold(text: str) -> str:
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
class Entity:
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

    entity: Entity
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

    entities: dict[str, Entity] = field(default_factory=dict)
    terms: dict[str, dict[str, str]] = field(default_factory=dict)  # DMO term IRI → labels
    # (folded name, entity IRI, name, is a preferred label), sorted
    _names: list[tuple[str, str, str, bool]] = field(default_factory=list)
    _exact: dict[str, list[int]] = field(default_factory=dict)
    _sorted: list[tuple[str, int]] = field(default_factory=list)
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

    def _entity(self, iri: str) -> Entity:
        if iri not in self.entities:
            self.entities[iri] = Entity(iri)
        return self.entities[iri]

    def _index(self) -> None:
        names: set[tuple[str, str, str, bool]] = set()
        for entity in self.entities.values():
            for label in entity.labels.values():
                names.add((fold(label), entity.iri, label, True))
            for _, label in entity.alt_labels:
                names.add((fold(label), entity.iri, label, False))
        self._names = sorted(names)
        exact: dict[str, list[int]] = defaultdict(list)
        trigrams: dict[str, list[int]] = defaultdict(list)
        for position, (folded, *_rest) in enumerate(self._names):
            exact[folded].append(position)
            for gram in _trigrams(folded):
                trigrams[gram].append(position)
        self._exact = dict(exact)
        self._trigrams = dict(trigrams)
        self._sorted = [(folded, i) for i, (folded, *_r) in enumerate(self._names)]

    def get(self, iri: str) -> Entity | None:
        return self.entities.get(iri)

    def by_id(self, ident: str) -> Entity | None:
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

    def _candidates(self, folded: str) -> dict[int, int]:
        found: dict[int, int] = {i: EXACT for i in self._exact.get(folded, [])}
        start = bisect.bisect_left(self._sorted, (folded, -1))
        for index in range(start, len(self._sorted)):  # a slice would copy the rest
            name, position = self._sorted[index]
            if not name.startswith(folded):
                break
            found.setdefault(position, PREFIX)
        if len(folded) < 3:
            return found  # one or two letters: names that start with them, not inside
        # The names holding the text's rarest trigram, each checked whole.
        rarest = min(_trigrams(folded), key=lambda g: len(self._trigrams.get(g, ())))
        for position in self._trigrams.get(rarest, ()):
            if position not in found and folded in self._names[position][0]:
                found[position] = SUBSTRING
        return found

    def find(self, text: str, types: set[str] | None = None, offset: int = 0,
             limit: int | None = None) -> tuple[int, list[Hit]]:
        """Return how many entities match text and the hits from offset (limit, or all).

        Hits come best first, one per entity.
        """
        ranked = self._ranked(text, types)
        end = None if limit is None else offset + limit
        return len(ranked), [Hit(self.entities[iri], self._names[key[4]][2], key[0], key[1])
                             for iri, key in ranked[offset:end]]

    def search(self, text: str, types: set[str] | None = None, offset: int = 0,
               limit: int | None = None) -> list[Hit]:
        """The hits alone of find()."""
        return self.find(text, types, offset, limit)[1]

    def _ranked(self, text: str, types: set[str] | None
                ) -> list[tuple[str, tuple[int, bool, int, str, int]]]:
        folded = fold(text)
        if not folded:
            return []
        # Per entity keep its best name: higher tier, then a preferred label, then shorter.
        best: dict[str, tuple[int, bool, int, str, int]] = {}
        for position, tier in self._candidates(folded).items():
            name_folded, iri, _, preferred = self._names[position]
            if types and not self.entities[iri].types & types:
                continue
            key = (tier, preferred, -len(name_folded), name_folded, position)
            current = best.get(iri)
            if current is None or key[:3] > current[:3]:
                best[iri] = key
        return sorted(best.items(), key=lambda item: (-item[1][0], not item[1][1],
                                                      -item[1][2], item[1][3], item[0]))
