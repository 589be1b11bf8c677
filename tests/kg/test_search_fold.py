"""Folding a text for search: case, accents, apostrophes and spacing."""

from __future__ import annotations

import unicodedata

from kg.search.fields import fold


def _by_character(text: str) -> str:
    """The folding as defined: NFKD, every combining mark dropped, one character at a time."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = plain.replace("\u2019", "'").replace("\u00ab", " ").replace("\u00bb", " ")
    return " ".join(plain.split())


def test_accents_ligatures_and_french_quotes_are_folded() -> None:
    assert fold("Kétamine « Œuvre »  l\u2019été ﬁn Ångström Straße") == \
        "ketamine œuvre l'ete fin angstrom strasse"


def test_every_character_folds_as_defined() -> None:
    text = "".join(chr(c) for c in range(0x20, 0x3400) if not 0xD800 <= c < 0xE000)
    assert fold(text) == _by_character(text)
    assert fold("a\u0301\u0327\u20d7b\U0001d17b") == _by_character("a\u0301\u0327\u20d7b\U0001d17b")
