"""Turn a search text into one Tantivy query whose score says the tier of each match."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping

import tantivy

from kg.search.fields import START_MAX, sound_key, trigrams, words

# Tiers of a match, best first: the whole name, the start of a name, every word in a name, a
# piece of a name, the texts (quotes, summaries, notes), a name spelt alike.
EXACT, PREFIX, WORDS, SUBSTRING, TEXT, FUZZY = 6, 5, 4, 3, 2, 1
# A tier's score is 8**tier, times at most 2 (its place within the tier, see build.write) and
# at most 3 for the closest spellings in FUZZY: never as much as the next tier's. Within FUZZY:
# a whole name one or two edits away, then a whole name that sounds alike, then a word that
# does, then words a few edits away.
BASE = 8.0
_META = set("\\.+*?()|[]{}^$#&-~")


def control_character(text: str) -> str | None:
    """The first control character of a search text (a NUL, an escape…) written as U+XXXX, or
    None; tabs and line breaks are spaces to a search and may stay."""
    for char in text:
        if char not in "\t\n\r" and unicodedata.category(char) == "Cc":
            return f"U+{ord(char):04X}"
    return None


def escape(text: str) -> str:
    """Escape text for Tantivy's regular expressions."""
    return "".join("\\" + c if c in _META else c for c in text)


def tier_of(score: float) -> int:
    """The tier a document's score stands for."""
    tier = 0
    while score >= BASE ** (tier + 1):
        tier += 1
    return tier


def _scored(query: tantivy.Query, score: float) -> tantivy.Query:
    return tantivy.Query.const_score_query(query, score)


def _all(queries: list[tantivy.Query]) -> tantivy.Query:
    if len(queries) == 1:
        return queries[0]
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in queries])


def _any(queries: list[tantivy.Query]) -> tantivy.Query:
    return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in queries])


def distance(word: str) -> int:
    """Edits a misspelling of word may have: none under four letters, two from seven."""
    return 0 if len(word) < 4 else 1 if len(word) < 7 else 2


def fuzzy_parts(schema: tantivy.Schema, folded: str) -> list[tantivy.Query]:
    """Names spelt alike, each way scored as a constant, the closest first: a whole name one
    or two edits away, a whole name that sounds alike, a word that does, every word a few
    edits away (none for a text of under four letters)."""
    if len(folded.replace(" ", "")) < 4:
        return []
    found = []
    whole = distance(folded)
    if whole:
        found.append(_scored(tantivy.Query.fuzzy_term_query(schema, "name", folded, whole),
                             3 * BASE ** FUZZY))
    found.append(_scored(tantivy.Query.term_query(schema, "sound", sound_key(folded)),
                         2.5 * BASE ** FUZZY))
    if len(words(folded)) == 1:
        found.append(_scored(tantivy.Query.term_query(schema, "word_sound", sound_key(folded)),
                             1.5 * BASE ** FUZZY))
    each = [tantivy.Query.fuzzy_term_query(schema, "words", w, distance(w)) if distance(w)
            else tantivy.Query.term_query(schema, "words", w) for w in words(folded)]
    if each:
        found.append(_scored(_all(each), BASE ** FUZZY))
    return found


def fuzzy_query(schema: tantivy.Schema, folded: str) -> tantivy.Query | None:
    """Names one or two edits away, whole or word by word, or that sound alike."""
    parts = fuzzy_parts(schema, folded)
    return tantivy.Query.disjunction_max_query(parts) if parts else None


def forgiving_query(schema: tantivy.Schema, folded: str,
                    corrections: Mapping[str, str]) -> tantivy.Query | None:
    """Every word in a name or a text of the individual: as typed or, for a word found
    nowhere so (a key of corrections), a few edits away (a plural, a typo) or as corrected
    (the words of the name or word it was corrected to, when there is one)."""
    terms = words(folded)
    if not terms:
        return None
    each = []
    for word in terms:
        alike = []
        for field in ("words", "text"):
            alike.append(tantivy.Query.term_query(schema, field, word))
            if word in corrections and distance(word):
                alike.append(tantivy.Query.fuzzy_term_query(schema, field, word, distance(word)))
            corrected = words(corrections.get(word, ""))
            if corrected:
                alike.append(_all([tantivy.Query.term_query(schema, field, w)
                                   for w in corrected]))
        each.append(_any(alike))
    return _all(each)


def text_query(schema: tantivy.Schema, folded: str) -> tantivy.Query | None:
    """Every word of the text in an individual's quotes, summaries, notes or titles."""
    terms = words(folded)
    if not terms:
        return None
    return _all([tantivy.Query.term_query(schema, "text", w) for w in terms])


def starting(schema: tantivy.Schema, field: str, starts: str, folded: str) -> tantivy.Query:
    """Terms of field beginning with folded: from the starts indexed, else by a pattern."""
    if len(folded) <= START_MAX:
        return tantivy.Query.term_query(schema, starts, folded)
    return tantivy.Query.regex_query(schema, field, escape(folded) + ".*")


def _names_tiers(schema: tantivy.Schema, folded: str) -> list[tuple[int, tantivy.Query]]:
    """The whole name, its start, every word in a name (the last one possibly unfinished, as
    typed so far): each tier's query, matching its betters too."""
    found = [(EXACT, tantivy.Query.term_query(schema, "name", folded)),
             (PREFIX, starting(schema, "name", "name_start", folded))]
    terms = words(folded)
    if terms:
        each = [tantivy.Query.term_query(schema, "words", w) for w in terms[:-1]]
        each.append(starting(schema, "words", "word_start", terms[-1]))
        found.append((WORDS, _all(each)))
    return found


def names_query(schema: tantivy.Schema, folded: str) -> tantivy.Query:
    """The best of the first three tiers: the whole name, its start, every word in a name.

    Term look-ups only, cheap at any number of matches: the page of a broad word comes from
    them alone when they fill it (see Catalogue.query).
    """
    return tantivy.Query.disjunction_max_query(
        [_scored(query, BASE ** tier) for tier, query in _names_tiers(schema, folded)])


def names_tiers(schema: tantivy.Schema, folded: str) -> list[tuple[int, tantivy.Query]]:
    """The first three tiers apart, best first, each without the documents of those above."""
    tiers = _names_tiers(schema, folded)
    return [(tier, tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, query)]
                + [(tantivy.Occur.MustNot, better) for _, better in tiers[:position]]))
            for position, (tier, query) in enumerate(tiers)]


def one_word(folded: str) -> bool:
    """Whether a text is one word of at most START_MAX letters: then every name matching it
    whole or by its start has a word that starts with it (the WORDS tier holds the others)."""
    return words(folded) == [folded] and len(folded) <= START_MAX


def names_count_query(schema: tantivy.Schema, folded: str) -> tantivy.Query:
    """A query matching what names_query matches, cheaper to count: for one word, its WORDS
    tier alone (one list of terms, where names_query reads three)."""
    return _names_tiers(schema, folded)[-1][1] if one_word(folded) else names_query(
        schema, folded)


def tiers_query(schema: tantivy.Schema, folded: str, fuzzy: bool = True,
                corrections: Mapping[str, str] | None = None) -> tantivy.Query:
    """The best tier of each individual matching the folded text, as its score; with fuzzy,
    names spelt alike and individuals having every word in a name or a text, as typed or,
    for the words found nowhere so (the keys of corrections, with the correction or ""), a
    few edits away or as corrected."""
    found = [names_query(schema, folded)]
    if len(folded) >= 3:  # one or two letters: names that start with them, not inside
        # Every three-letter piece of the text in one same name.
        pieces = sorted(trigrams(folded))
        inside = tantivy.Query.term_query(schema, "name_grams", pieces[0]) if len(pieces) == 1 \
            else tantivy.Query.phrase_query(schema, "name_grams", [(0, g) for g in pieces])
        found.append(_scored(inside, BASE ** SUBSTRING))
    text = text_query(schema, folded)
    if text is not None:
        found.append(_scored(text, BASE ** TEXT))
    similar = fuzzy_query(schema, folded) if fuzzy else None
    if similar is not None:
        found.append(similar)
    corrections = corrections or {}
    forgiving = forgiving_query(schema, folded, corrections) if fuzzy else None
    if forgiving is not None:
        found.append(_scored(forgiving, BASE ** FUZZY))
    if fuzzy and any(corrections.values()):
        # The text as corrected, every word in a name or a text: what was most likely meant.
        meant = " ".join(corrections.get(w) or w for w in words(folded))
        found.append(_scored(_all([_any([tantivy.Query.term_query(schema, f, w)
                                         for f in ("words", "text")]) for w in words(meant)]),
                             2 * BASE ** FUZZY))
    return tantivy.Query.disjunction_max_query(found)


def filtered(schema: tantivy.Schema, query: tantivy.Query,
             filters: Mapping[str, Iterable[str]]) -> tantivy.Query:
    """Keep the documents having, for each facet, one of the values asked for."""
    wanted = [(tantivy.Occur.Must, query)]
    for facet, values in filters.items():
        values = list(values)
        if values:
            # Scored 0: a filter must not move a document out of its tier.
            wanted.append((tantivy.Occur.Must, _scored(_any(
                [tantivy.Query.term_query(schema, facet, v) for v in values]), 0.0)))
    return query if len(wanted) == 1 else tantivy.Query.boolean_query(wanted)

