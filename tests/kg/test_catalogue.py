"""The search index against a plain reading of its rules, name by name, on a real store."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.synthetic import write
from kg.catalogue import EXACT, PREFIX, SUBSTRING, Catalogue, fold
from kg.paths import Layout
from kg.store.oxigraph_backend import OxigraphBackend


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory, built: Layout) -> Catalogue:
    """The curated graph and 20k synthetic triples (many shared syllables, many ties)."""
    synthetic = tmp_path_factory.mktemp("catalogue") / "synthetic.nq"
    write(20_000, synthetic, seed=7)
    backend = OxigraphBackend.in_memory()
    for path in (built.dist_dir / "dmkg.nq", synthetic):
        backend.load(Path(path))
    return Catalogue.from_backend(backend)


def expected(catalogue: Catalogue, text: str, types: set[str] | None
             ) -> list[tuple[str, str, int, bool]]:
    """Every matching entity, best first, with its best name: the rules read literally."""
    wanted = fold(text)
    best: dict[str, tuple[int, bool, int, str, str]] = {}
    for entity in catalogue.entities.values():
        if types and not entity.types & types:
            continue
        names = [(n, True) for n in entity.labels.values()]
        names += [(n, False) for _, n in entity.alt_labels]
        for name, preferred in names:
            folded = fold(name)
            if folded == wanted:
                tier = EXACT
            elif folded.startswith(wanted):
                tier = PREFIX
            elif len(wanted) >= 3 and wanted in folded:
                tier = SUBSTRING
            else:
                continue
            key = (-tier, not preferred, len(folded), folded, name)
            if entity.iri not in best or key < best[entity.iri][:5]:
                best[entity.iri] = key
    ranked = sorted(best.items(), key=lambda item: (item[1][:4], item[0]))
    return [(iri, key[4], -key[0], not key[1]) for iri, key in ranked]


@pytest.mark.parametrize("text", ["ket", "Kétamine", "ka", "k", "dark web", "tomi", "drive",
                                  "finding ka", "  MDMA ", "zzzz", "ecstasy", "e", "g ka",
                                  "ding kato", "a b", "ka to", "web", "ne de"])
@pytest.mark.parametrize("types", [None, {"Stimulant"}, {"City", "Dissociative"}])
def test_search_follows_its_rules(catalogue: Catalogue, text: str,
                                  types: set[str] | None) -> None:
    want = expected(catalogue, text, types)
    total, hits = catalogue.find(text, types)
    assert total == len(want)
    assert [(h.entity.iri, h.name, h.tier, h.preferred) for h in hits] == want


def test_pages_are_slices_of_the_whole_ranking(catalogue: Catalogue) -> None:
    total, everything = catalogue.find("ket")
    assert total == len(everything) > 100
    for offset, limit in ((0, 20), (20, 20), (95, 10), (total - 3, 10), (total + 5, 10)):
        count, page = catalogue.find("ket", offset=offset, limit=limit)
        assert count == total
        assert page == everything[offset:offset + limit]
