"""Everything in the curation brief is in the graph, marked with its confidence."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS, XSD

from kg.namespaces import DMO, DMR, GEONAMES, OBO, PROV, WIKIDATA
from kg.paths import Layout


def _claims_by_ref(graph: Graph) -> dict[str, list[URIRef]]:
    found: dict[str, list[URIRef]] = {}
    for claim, ref in graph.subject_objects(SKOS.notation):
        found.setdefault(str(ref), []).append(claim)  # type: ignore[arg-type]
    return found


def test_every_claim_and_regulation_row_is_curated(kg_graph: Graph) -> None:
    refs = set(_claims_by_ref(kg_graph))
    expected = {f"F{n}" for n in range(3, 30)} | {f"R{n}" for n in range(1, 10)}
    assert expected <= refs


@pytest.mark.parametrize(
    ("ref", "confidence"),
    [("F10", "medium"), ("F14", "medium"), ("F17", "medium"), ("F18", "medium"),
     ("F4", "high"), ("R4", "medium"), ("R7", "low"), ("R8", "medium"), ("R9", "high")],
)
def test_confidence_is_kept_as_given(kg_graph: Graph, ref: str, confidence: str) -> None:
    claims = _claims_by_ref(kg_graph)[ref]
    levels = {kg_graph.value(c, DMO.confidence) for c in claims}
    assert DMR[f"concept/{confidence}-confidence"] in levels


def test_quotes_are_verbatim_french_from_the_article(kg_graph: Graph, layout: Layout) -> None:
    source_text = (layout.root.parent / "shared" / "sources" /
                   "jim-2017-03-14-dealers-nouveaux-canaux.txt")
    sources = (DMR["source/jim-2017-03-14-dealers-nouveaux-canaux"],
               DMR["source/chassaing-2017-03-14-comment"])
    quotes = [q for source in sources for c in kg_graph.subjects(DMO.statedIn, source)
              for q in kg_graph.objects(c, DMO.quote)]
    assert len(quotes) == 27
    assert all(isinstance(q, Literal) and q.language == "fr" for q in quotes)
    if not source_text.exists():
        pytest.skip("the shared source documents are not beside this checkout")
    text = " ".join(source_text.read_text(encoding="utf-8").split())
    for quote in quotes:
        inner = str(quote).strip("«» ")
        for fragment in inner.replace("(…)", "…").split("…"):
            assert " ".join(fragment.split()) in text, fragment


def test_the_observatory_is_modelled_under_its_correct_name(kg_graph: Graph) -> None:
    names = {str(v) for v in kg_graph.objects(DMR["actor/ofdt"],
                                              URIRef("http://www.w3.org/2000/01/rdf-schema#label"))}
    assert "Observatoire français des drogues et des toxicomanies (OFDT)" in names
    assert kg_graph.value(DMR["actor/ofdt"], SKOS.exactMatch) == WIKIDATA.Q3348443


def test_the_overdose_dating_discrepancy_is_flagged(kg_graph: Graph) -> None:
    note = " ".join(str(n) for n in kg_graph.objects(DMR["claim/brigade-paris-overdose-profile"],
                                                     SKOS.note))
    assert "cinquantaine" in note and "25-30" in note


def test_sources_and_their_provenance(kg_graph: Graph) -> None:
    article = DMR["source/jim-2017-03-14-dealers-nouveaux-canaux"]
    report = DMR["source/ofdt-tendances-115"]
    comment = DMR["source/chassaing-2017-03-14-comment"]
    assert (article, PROV.wasDerivedFrom, report) in kg_graph
    assert (comment, DMO.commentsOn, article) in kg_graph
    assert kg_graph.value(article, DCTERMS.date) == Literal("2017-03-14", datatype=XSD.date)
    assert len(list(kg_graph.objects(report, DCTERMS.creator))) == 5
    for source in ("source/ansm-2017-01-26-ketamine", "regulation/arrete-2017-07-12-codeine",
                   "regulation/arrete-1990-02-22-stupefiants",
                   "regulation/un-single-convention-1961",
                   "regulation/un-convention-psychotropic-substances-1971"):
        assert (DMR[source], None, None) in kg_graph, source


@pytest.mark.parametrize(
    ("entity", "identifiers"),
    [("substance/cocaine", {WIKIDATA.Q41576, OBO.CHEBI_27958}),
     ("substance/mdma", {WIKIDATA.Q69488, OBO.CHEBI_1391}),
     ("substance/ketamine", {WIKIDATA.Q243547, OBO.CHEBI_6121}),
     ("substance/codeine", {WIKIDATA.Q174723, OBO.CHEBI_16714}),
     ("substance/morphine", {WIKIDATA.Q81225, OBO.CHEBI_17303}),
     ("place/paris", {WIKIDATA.Q90}), ("place/marseille", {WIKIDATA.Q23482}),
     ("place/lille", {WIKIDATA.Q648}), ("place/bordeaux", {WIKIDATA.Q1479}),
     ("place/toulouse", {WIKIDATA.Q7880}), ("place/rennes", {WIKIDATA.Q647}),
     ("place/france", {WIKIDATA.Q142})],
)
def test_verified_identifiers_are_exact_matches(kg_graph: Graph, entity: str,
                                                identifiers: set[URIRef]) -> None:
    # Cities also match their GeoNames feature, the record their coordinates are read from.
    found = {i for i in kg_graph.objects(DMR[entity], SKOS.exactMatch)
             if not str(i).startswith(str(GEONAMES))}
    assert found == identifiers


def test_unverified_identifiers_stay_close_matches(kg_graph: Graph) -> None:
    assert (DMR["substance/herbal-cannabis"], SKOS.closeMatch, WIKIDATA.Q2845) in kg_graph
    assert (DMR["substance/tramadol"], SKOS.closeMatch, OBO.CHEBI_75722) in kg_graph
    # AddictO mints http://addictovocab.org/ADDICTO_…, not OBO PURLs.
    assert (DMR["substance/crack"], SKOS.closeMatch,
            URIRef("http://addictovocab.org/ADDICTO_0000792")) in kg_graph
    assert not [o for o in kg_graph.objects() if str(o).startswith(f"{OBO}ADDICTO_")]
    for city in ("place/metz", "place/lyon"):
        assert [str(i) for i in kg_graph.objects(DMR[city], SKOS.exactMatch)
                if not str(i).startswith(str(GEONAMES))] == []


def test_injectable_ketamine_measure_from_24_april_2017(kg_graph: Graph) -> None:
    measure = DMR["regulation/injectable-ketamine-fr-stupefiants-2017"]
    assert kg_graph.value(measure, DMO.effectiveFrom) == Literal("2017-04-24", datatype=XSD.date)
    assert set(kg_graph.objects(measure, DMO.imposesRequirement)) == {
        DMR["concept/secure-prescription"], DMR["concept/special-register"]}
    assert kg_graph.value(measure, DMO.controlStatus) == DMR["concept/fr-stupefiants"]
