"""The search index against a plain reading of its rules, entity by entity, on a real store."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from bench.synthetic import write
from kg.catalogue import EXACT, FUZZY, PREFIX, SUBSTRING, TEXT, WORDS, Catalogue, fold
from kg.paths import Layout
from kg.search import build
from kg.store.oxigraph_backend import OxigraphBackend


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, built: Layout) -> OxigraphBackend:
    """The curated graph and 20k synthetic triples (many shared syllables, many ties)."""
    synthetic = tmp_path_factory.mktemp("catalogue") / "synthetic.nq"
    write(20_000, synthetic, seed=7)
    backend = OxigraphBackend.in_memory()
    for path in (built.dist_dir / "dmkg.nq", synthetic):
        backend.load(Path(path))
    return backend


@pytest.fixture(scope="module")
def catalogue(store: OxigraphBackend) -> Catalogue:
    return Catalogue.from_backend(store)


@pytest.fixture(scope="module")
def records(store: OxigraphBackend) -> dict[str, build.Record]:
    return build.read(store)[0]


def _words(text: str) -> list[str]:
    return "".join(c if c.isalnum() else " " for c in fold(text)).split()


def tier(record: build.Record, wanted: str) -> int | None:
    """The best tier of an entity for a folded text, the rules read literally."""
    names = [fold(n) for n in [*record.labels.values(), *(n for _, n in record.alt_labels)]]
    if wanted in names:
        return EXACT
    if any(n.startswith(wanted) for n in names):
        return PREFIX
    have = {w for n in names for w in _words(n)}
    terms = _words(wanted)
    if terms and set(terms[:-1]) <= have and any(h.startswith(terms[-1]) for h in have):
        return WORDS
    pieces = {wanted[i:i + 3] for i in range(len(wanted) - 2)}
    if len(wanted) >= 3 and any(pieces <= {n[i:i + 3] for i in range(len(n) - 2)}
                                for n in names):
        return SUBSTRING  # every three-letter piece of the text in one name
    texts = {w for t in record.texts for w in _words(t)}
    if terms and set(terms) <= texts:
        return TEXT
    return None


def expected(records: dict[str, build.Record], text: str, types: set[str] | None
             ) -> list[tuple[str, int]]:
    """Every entity matching without misspelling, best first: tier, then rank_key."""
    wanted = fold(text)
    found = []
    for iri, record in records.items():
        if types and not record.types & types:
            continue
        best = tier(record, wanted)
        if best is not None:
            found.append((-best, build.rank_key(iri, record.labels, record.alt_labels), iri))
    return [(iri, -negative) for negative, _, iri in sorted(found)]


@pytest.mark.parametrize("text", ["ket", "Kétamine", "ka", "k", "dark web", "tomi", "drive",
                                  "finding ka", "  MDMA ", "zzzz", "ecstasy", "e", "g ka",
                                  "ding kato", "a b", "ka to", "web", "ne de", "montagne"])
@pytest.mark.parametrize("types", [None, {"Stimulant"}, {"City", "Dissociative"}])
def test_search_follows_its_rules(catalogue: Catalogue, records: dict[str, build.Record],
                                  text: str, types: set[str] | None) -> None:
    want = expected(records, text, types)
    total, hits = catalogue.find(text, types)
    exact = [(h.entity.iri, h.tier) for h in hits if h.tier != FUZZY]
    assert exact == want
    assert total == len(hits)
    # Spellings alike come only when no name matches as typed, and after the texts.
    alike = hits[len(want):]
    assert all(h.tier == FUZZY for h in alike)
    assert not alike or not want or want[0][1] < SUBSTRING


def test_hits_name_what_matched(catalogue: Catalogue) -> None:
    hit = catalogue.search("Ecstasy")[0]
    assert (hit.entity.id, hit.name, hit.tier, hit.preferred) == ("substance/mdma", "ecstasy",
                                                                   EXACT, False)
    quote = catalogue.search("montagne archives")[0]
    assert quote.tier == TEXT and quote.snippet
    assert "<b>montagne</b>" in quote.snippet and "<b>archives</b>" in quote.snippet


def test_an_excerpt_names_the_language_of_the_text_it_is_taken_from(
        catalogue: Catalogue) -> None:
    # The claim's summary in English says "deplores", the French one "déplore".
    for typed, lang in (("deplores", "en"), ("déplore", "fr")):
        hit = next(h for h in catalogue.search(typed) if h.tier == TEXT)
        assert hit.entity.id == "claim/chassaing-2017-ketamine-registers"
        assert hit.snippet is not None and f"<b>{typed}</b>" in hit.snippet
        assert hit.snippet_lang == lang, typed


@pytest.mark.parametrize(("typed", "entity", "meant"), [
    ("extasy", "substance/mdma", "ecstasy"), ("kokain", "substance/cocaine", "cocaine"),
    ("canabis", "substance/herbal-cannabis", "cannabis"), ("darkweb", "channel/dark-web",
                                                           "dark web")])
def test_misspellings_find_what_was_meant(catalogue: Catalogue, typed: str, entity: str,
                                          meant: str) -> None:
    found = catalogue.query(typed)
    assert found.hits[0].entity.id == entity
    assert found.did_you_mean == meant
    assert found.hits[0].score >= max(h.score for h in found.hits)
    # The right spelling ranks its entity first, well above any spelling alike.
    right = catalogue.search(meant)[0]
    assert right.tier > FUZZY and right.score > found.hits[0].score


def test_pages_are_slices_of_the_whole_ranking(catalogue: Catalogue) -> None:
    total, everything = catalogue.find("ket")
    assert total == len(everything) > 100
    for offset, limit in ((0, 20), (20, 20), (95, 10), (total - 3, 10), (total + 5, 10)):
        count, page = catalogue.find("ket", offset=offset, limit=limit)
        assert count == total
        assert page == everything[offset:offset + limit]


def test_facets_count_the_matching_entities(catalogue: Catalogue,
                                            records: dict[str, build.Record]) -> None:
    found = catalogue.query("cocaine", facets=True, limit=1000)
    kinds = dict(found.facets["kind"])
    assert sum(kinds.values()) == found.total
    assert kinds["substance"] == sum(h.entity.kind == "substance" for h in found.hits)
    claims = catalogue.query("cocaine", {"kind": ["claim"]}, limit=1000)
    assert claims.total == kinds["claim"]
    assert {h.entity.kind for h in claims.hits} == {"claim"}


def test_look_ups_read_the_index(catalogue: Catalogue, records: dict[str, build.Record]) -> None:
    entity = catalogue.by_id("substance/cocaine")
    assert entity is not None and entity.label("fr") == "cocaïne"
    assert catalogue.get("https://w3id.org/dmkg/id/substance/nothing") is None
    counts = catalogue.type_counts()
    assert counts["Substance"] == sum("Substance" in r.types for r in records.values())
    assert catalogue.size == len(records)


def test_a_term_label_names_ontology_terms_only(catalogue: Catalogue) -> None:
    substance = "https://w3id.org/dmkg/ontology#Substance"
    assert catalogue.term_label(substance, "en") == catalogue.label(substance, "en")
    assert catalogue.term_label(substance, "en")
    # An individual is named by its entry, not as a term.
    individual = "https://w3id.org/dmkg/id/substance/cocaine"
    assert catalogue.term_label(individual, "fr") is None
    assert catalogue.label(individual, "fr") == "cocaïne"


def test_the_index_on_disk_opens_without_reading_the_store(
        tmp_path: Path, store: OxigraphBackend, catalogue: Catalogue) -> None:
    folder = build.build_into(tmp_path, "abc", store)
    assert (folder / build.READY).read_text().strip() == "abc"

    class Closed(OxigraphBackend):
        def select_values(self, sparql: str) -> list[tuple[str | None, ...]]:
            raise AssertionError("the store was read")

        def default_quads(self, predicate: str) -> Iterator[ox.Quad]:
            raise AssertionError("the store was read")

    reopened = Catalogue.for_store(Closed(store.store), tmp_path, "abc")
    assert reopened.find("ket", limit=30) == catalogue.find("ket", limit=30)


def test_a_broad_word_is_paged_and_counted_from_the_names_matched_as_typed(
        catalogue: Catalogue, records: dict[str, build.Record],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import kg.catalogue

    want = expected(records, "ket", None)
    as_typed = [iri for iri, best in want if best >= WORDS]
    assert len(want) > len(as_typed) > 40  # pieces of names and texts match too
    monkeypatch.setattr(kg.catalogue, "COUNTED", 40)
    for offset in (0, 20):
        found = catalogue.query("ket", offset=offset, limit=20)
        # The page is that of the whole ranking; the count leaves the other tiers out.
        assert [h.entity.iri for h in found.hits] == [i for i, _ in want[offset:offset + 20]]
        assert (found.total, found.total_exact) == (len(as_typed), False)
    everything = catalogue.query("ket", limit=len(as_typed) + 1)
    assert (everything.total, everything.total_exact) == (len(want), True)


@pytest.mark.parametrize(("text", "types"), [("ka", None), ("ka", {"Stimulant", "City"}),
                                             ("ket", None), ("finding ka", None)])
def test_a_broad_word_read_tier_by_tier_keeps_the_whole_ranking(
        catalogue: Catalogue, records: dict[str, build.Record], monkeypatch: pytest.MonkeyPatch,
        text: str, types: set[str] | None) -> None:
    import kg.catalogue

    want = [(iri, best) for iri, best in expected(records, text, types) if best >= WORDS]
    monkeypatch.setattr(kg.catalogue, "COUNTED", 10)
    # Pages that start in one tier and end in the next, and the last full page.
    changes = [n for n in range(1, len(want)) if want[n][1] != want[n - 1][1]]
    offsets = {0, 7, len(want) - 10, *(max(0, n - 4) for n in changes)}
    assert len(want) > 10 and (changes or text == "ket")
    for offset in sorted(o for o in offsets if o + 10 <= len(want)):
        found = catalogue.query(text, {"class": types} if types else None, offset, 10)
        assert [(h.entity.iri, h.tier) for h in found.hits] == want[offset:offset + 10]
        assert (found.total, found.total_exact) == (len(want), False)


def test_the_store_is_read_from_its_indexes_as_the_queries_read_it(
        store: OxigraphBackend, records: dict[str, build.Record]) -> None:
    queried: dict[str, build.Record] = defaultdict(build.Record)
    build._read_rows(store, queried, None)
    assert records == dict(queried)  # lists in the same order too
    terms: dict[str, dict[str, str]] = {}
    for term, name, lang in store.select_values(build.TERMS_QUERY):
        build._least(terms.setdefault(str(term), {}), lang or "", str(name))
    assert build.read(store)[1] == terms


def test_a_store_reading_no_indexes_of_its_own_is_read_by_queries_alike(built: Layout) -> None:
    from kg.store import Capability
    from kg.store.rdflib_backend import RdflibBackend

    indexed, plain = OxigraphBackend.in_memory(), RdflibBackend()
    for backend in (indexed, plain):
        backend.load(Path(built.dist_dir / "dmkg.nq"))
    # The fast reading is chosen by what a store declares, not by its type.
    assert Capability.INDEXED_QUADS in indexed.capabilities
    assert Capability.INDEXED_QUADS not in plain.capabilities
    with pytest.raises(NotImplementedError):
        next(iter(plain.default_quads(str(build.LABEL))))
    (fast, terms), (slow, plain_terms) = build.read(indexed), build.read(plain)
    assert terms == plain_terms and fast.keys() == slow.keys()

    def unordered(record: build.Record) -> tuple[object, ...]:  # each engine's own order
        return (record.labels, sorted(record.alt_labels), record.types, sorted(record.texts),
                dict(record.facets), record.graphs)

    assert [unordered(fast[k]) for k in fast] == [unordered(slow[k]) for k in fast]


@pytest.mark.parametrize(("typed", "entity", "meant"), [
    ("archive", "claim/chassaing-2017-ketamine-registers", "archives"),
    ("montagnes", "claim/chassaing-2017-ketamine-registers", "montagne"),
    ("registre montagen", "claim/chassaing-2017-ketamine-registers", "registre montagne"),
    ("montagne archive", "claim/chassaing-2017-ketamine-registers", "montagne archives"),
    ("kokain paris", "claim/ofdt-t115-cocaine-call-centers", "cocaine paris"),
    ("extasy chemsex", "claim/jim-2017-chemsex-dangerous", "ecstasy chemsex"),
    ("darkweb marginal", "claim/ofdt-t115-dark-web-marginal", "dark web marginal")])
def test_words_of_texts_forgive_typos_and_plurals(catalogue: Catalogue, typed: str, entity: str,
                                                  meant: str) -> None:
    found = catalogue.query(typed, limit=20)
    hit = next(h for h in found.hits if h.entity.id == entity)
    assert hit.tier == FUZZY and hit.snippet and "<b>" in hit.snippet
    assert found.did_you_mean == meant
    # The corrected text finds the same individual as typed, without a suggestion.
    right = catalogue.query(meant, limit=50)
    assert entity in {h.entity.id for h in right.hits if h.tier >= TEXT}
    assert right.did_you_mean is None


def test_words_found_as_typed_outrank_words_spelt_alike(catalogue: Catalogue) -> None:
    found = catalogue.query("montagne", limit=20)
    assert found.did_you_mean is None
    assert found.hits[0].tier == TEXT
    assert found.hits[0].entity.id == "claim/chassaing-2017-ketamine-registers"
    # Every word must match, as typed or a few edits away: an unknown word finds nothing.
    assert catalogue.query("montagne zzzzqx").total == 0


@pytest.mark.parametrize(("typed", "filters", "lang", "meant"), [
    ("kokain", {"kind": ["claim"]}, "fr", "cocaïne"), ("kokain", None, "en", "cocaine"),
    ("opiode", None, "fr", "opioïde"), ("cocaine crak", None, "en", "cocaine crack")])
def test_did_you_mean_writes_names_in_the_language_asked(
        catalogue: Catalogue, typed: str, filters: dict[str, list[str]] | None, lang: str,
        meant: str) -> None:
    found = catalogue.query(typed, filters, limit=10, lang=lang)
    assert found.suggestion == meant
    assert found.hits and all(h.entity.kind == "claim" for h in found.hits) if filters else True
