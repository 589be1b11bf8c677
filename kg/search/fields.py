"""The index's schema and the text normalisations its fields share."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import jellyfish
import tantivy

# Analyzers registered on every index: words folded to lower-case ASCII; the starts of a text
# up to START_MAX characters; its pieces of three characters. Fewer starts would make the
# build cheaper (at 4, a sixth of the writing), but a longer start is then a pattern over the
# terms: 700 times slower for a word in 50,000 names at 1M triples.
FOLDING = "dmkg_fold"
STARTS = "dmkg_starts"
GRAMS = "dmkg_grams"
START_MAX = 16

# Facets: the API's name of each and the field that holds its values.
FACETS = ("kind", "class", "source", "claim_kind", "confidence", "trend")
WRITTEN = "*"
CLAIM_KINDS = frozenset({"ReportedFinding", "EditorialStatement", "Opinion", "RegulatoryFact"})


def fold(text: str) -> str:
    """Fold case, accents, apostrophes and spacing, so that Kétamine finds ketamine."""
    if text.isascii():
        plain = text.casefold()  # nothing to decompose
    else:
        plain = unicodedata.normalize("NFKD", text.casefold()).translate(_MARKS)
    plain = plain.replace("\u2019", "'").replace("\u00ab", " ").replace("\u00bb", " ")
    return " ".join(plain.split())


class _Marks(dict[int, int | None]):
    """For str.translate: a combining mark (an accent NFKD splits off) to None, any other
    character to itself; each character looked up once, when first met."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        self[code] = kept
        return kept


_MARKS = _Marks()


_WORD = re.compile(r"[^\W_]+")


def words(folded: str) -> list[str]:
    """Split folded text into words (runs of letters and digits), as the folding analyzer does."""
    return _WORD.findall(folded)


def trigrams(folded: str) -> set[str]:
    """The pieces of three characters of a folded text, spaces included."""
    return {folded[i:i + 3] for i in range(len(folded) - 2)}


def sound_key(folded: str) -> str:
    """The Metaphone key of a text whole, spaces dropped.

    Misspellings that sound alike share a key (kokain, cocaine), which edit distance alone
    misses when they are three edits apart.
    """
    return jellyfish.metaphone(folded.replace(" ", ""))


# Words recur from name to name, whole names seldom: only a word's key is kept, for as many
# words as the names of 1M triples hold (140,000; about 20 MB). Kept with the whole names'
# keys in a cache of 65,536, two words in five were missed at 1M.
word_sound_key = lru_cache(maxsize=1 << 17)(sound_key)


def word_sound_keys(split: list[str]) -> set[str]:
    """The Metaphone keys of the words (of a text, see words) of four letters or more."""
    return {word_sound_key(word) for word in split if len(word) >= 4} - {""}


def schema() -> tantivy.Schema:
    """One document per individual: names, texts, facets and what a hit shows."""
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("iri", stored=True, tokenizer_name="raw", index_option="basic")
    # Each folded name whole: exact names, prefixes and substrings.
    builder.add_text_field("name", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("name_start", tokenizer_name=STARTS, index_option="basic")
    # Tantivy puts a name's pieces at one position, each name at its own: a phrase of pieces
    # all at offset 0 finds them in one same name.
    builder.add_text_field("name_grams", tokenizer_name=GRAMS, index_option="position")
    builder.add_text_field("words", tokenizer_name=FOLDING, index_option="basic")
    builder.add_text_field("word_start", tokenizer_name=STARTS, index_option="basic")
    builder.add_text_field("sound", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("word_sound", tokenizer_name="raw", index_option="basic")
    # Texts are searched word by word, every query on them scored as a constant, and their
    # excerpts cut from the stored text: neither where nor how often a word appears is kept
    # (a sixth of the index's writing).
    builder.add_text_field("text", stored=True, tokenizer_name=FOLDING, index_option="basic")
    # The language of each text, in the same order ("": none), for the excerpts shown.
    builder.add_text_field("text_lang", stored=True, tokenizer_name="raw", index_option="basic")
    for facet in FACETS:
        builder.add_text_field(facet, stored=True, fast=True, tokenizer_name="raw",
                               index_option="basic")
    builder.add_bytes_field("entity", stored=True, indexed=False, fast=False)
    # The graphs open to writes an individual is described in, and WRITTEN for any: what a
    # write may have changed (see kg.search.updates).
    builder.add_text_field("graph", tokenizer_name="raw", index_option="basic")
    # Orders hits within a tier: shorter names first (see build.write); stored, so that a
    # document written again after a write keeps its place.
    builder.add_float_field("weight", stored=True, indexed=False, fast=True)
    return builder.build()


def register(index: tantivy.Index) -> None:
    """Register the analyzers the schema names (they are not stored with the index)."""
    analyzer = (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
                .filter(tantivy.Filter.remove_long(60))
                .filter(tantivy.Filter.lowercase())
                .filter(tantivy.Filter.ascii_fold())
                .build())
    index.register_tokenizer(FOLDING, analyzer)
    index.register_tokenizer(STARTS, tantivy.TextAnalyzerBuilder(
        tantivy.Tokenizer.ngram(1, START_MAX, True)).build())
    index.register_tokenizer(GRAMS, tantivy.TextAnalyzerBuilder(
        tantivy.Tokenizer.ngram(3, 3, False)).build())
