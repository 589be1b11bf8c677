"""Every French literal of the built graph follows French typography (quotes excepted)."""

from __future__ import annotations

import re

import pytest
from rdflib import Graph, Literal

from kg.namespaces import DMO
from kg.paths import Layout

ARTICLE = "jim-2017-03-14-dealers-nouveaux-canaux.txt"

SPACES = "\u202f\u00a0"  # narrow and ordinary no-break spaces
RULES = {
    "a straight apostrophe (use \u2019)": re.compile(r"'"),
    "straight double quotes (use « »)": re.compile(r'"'),
    "no no-break space before ; : ! ?": re.compile(rf"(?<![{SPACES}])[;:!?](?=\s|$)"),
    "no no-break space after «": re.compile(rf"«(?![{SPACES}])"),
    "no no-break space before »": re.compile(rf"(?<![{SPACES}])»"),
    "n° without a no-break space": re.compile(r"n°(?!\u00a0)"),
    "VIH-Sida outside a quote (use VIH/sida)": re.compile(r"VIH-Sida"),
    "a spaced hyphen used as a dash (use \u2013)": re.compile(r" - "),
}


def faults(text: str) -> list[str]:
    """The typography rules text breaks."""
    return [name for name, pattern in RULES.items() if pattern.search(text)]


@pytest.fixture(scope="module")
def french(built: Layout) -> list[tuple[str, str, str]]:
    graph = Graph().parse(built.dist_dir / "dmkg.ttl", format="turtle")
    # Quotes are exempt: they transcribe the article verbatim, with its own typography.
    return [(str(s), str(p), str(o)) for s, p, o in graph
            if isinstance(o, Literal) and o.language == "fr" and p != DMO.quote]


def test_the_rules_catch_what_they_should() -> None:
    assert faults("l'article : « texte »") == [
        "a straight apostrophe (use \u2019)", "no no-break space before ; : ! ?",
        "no no-break space after «", "no no-break space before »"]
    good_but_one = "l\u2019article\u202f: «\u00a0texte\u00a0» ; voir dmo:trendOf, https://x.org"
    assert faults(good_but_one) == ["no no-break space before ; : ! ?"]
    assert faults("Tendances n°115") == ["n° without a no-break space"]
    assert faults("Non vérifié - connaissance") == ["a spaced hyphen used as a dash (use \u2013)"]
    assert faults("Non vérifié \u2013 connaissance, 2015-2016") == []
    assert faults("l\u2019article\u202f: «\u00a0texte\u00a0», n°\u00a0115\u202f!") == []


def test_every_french_literal_follows_french_typography(
        french: list[tuple[str, str, str]]) -> None:
    assert len(french) > 300
    broken = [(s, p, o, faults(o)) for s, p, o in french if faults(o)]
    assert not broken, broken[:5]


def test_the_review_wording_is_used(french: list[tuple[str, str, str]]) -> None:
    texts = " ".join(o for _, _, o in french)
    assert "VIH/sida" in texts and "(HSH)" in texts
    assert "soumis à prescription médicale obligatoire" in texts
    assert "sur prescription obligatoire" not in texts
    assert "homosexuels" not in texts


def test_quotes_are_exempt_because_they_are_the_article_s_own_characters(
        built: Layout, layout: Layout) -> None:
    """Each quote, straight apostrophes and inner quotation marks included, is in the article."""
    for root in (layout.root.parent, layout.root.parent.parent):
        path = root / "shared" / "sources" / ARTICLE
        if path.exists():
            break
    else:
        pytest.skip("the shared source documents are not beside this checkout")
    article = " ".join(path.read_text(encoding="utf-8").split())
    graph = Graph().parse(built.dist_dir / "dmkg.ttl", format="turtle")
    quotes = [str(o) for o in graph.objects(None, DMO.quote)]
    assert len(quotes) > 20
    for quote in quotes:
        for part in quote.strip("«»\u00a0\u202f ").split("(…)"):
            assert " ".join(part.split()) in article, part
    assert any("'" in q for q in quotes)  # the article's own straight apostrophe is kept
