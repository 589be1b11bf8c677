"""The article's claims: whose words, what rises, and the statements first left out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from kg.namespaces import DMO, DMR
from kg.paths import Layout

ARTICLE = "jim-2017-03-14-dealers-nouveaux-canaux.txt"


@pytest.fixture(scope="module")
def article(layout: Layout) -> str:
    for root in (layout.root.parent, layout.root.parent.parent):
        path = root / "shared" / "sources" / ARTICLE
        if path.exists():
            return " ".join(path.read_text(encoding="utf-8").split())
    pytest.skip("the shared source documents are not beside this checkout")


def claim(graph: Graph, ref: str) -> URIRef:
    found = [c for c, r in graph.subject_objects(SKOS.notation) if str(r) == ref]
    assert len(found) == 1, ref
    return found[0]  # type: ignore[return-value]


def inner(quote: str) -> str:
    return " ".join(quote.strip("«» ").split())


def test_quote_origin_matches_the_guillemets_of_the_article(kg_graph: Graph,
                                                            article: str) -> None:
    guillemets = " ".join(" ".join(m.split()) for m in re.findall(r"«(.*?)»", article))
    seen = set()
    for subject, origin in kg_graph.subject_objects(DMO.quoteOrigin):
        quote = inner(str(kg_graph.value(subject, DMO.quote)))
        first = quote.replace("(…)", "…").split("…")[0].strip()
        assert first in article, subject
        if origin == DMR["concept/direct-quotation"]:
            assert first in guillemets, subject  # the report's own words, between « »
        else:
            assert origin == DMR["concept/paraphrase"]
            assert first not in guillemets, subject
        seen.add(str(kg_graph.value(subject, SKOS.notation)))
    assert {"F4", "F6", "F9", "F14", "F17", "F18", "F21", "F3", "F8", "F26"} <= seen


def test_f17_keeps_the_clause_with_its_trend_and_binds_it_to_the_strategies(
        kg_graph: Graph, article: str) -> None:
    f17 = claim(kg_graph, "F17")
    quote = inner(str(kg_graph.value(f17, DMO.quote)))
    assert quote.startswith("Chez certains, notamment les sexeurs")
    assert "de plus en plus élaborées" in quote and quote in article
    assert set(kg_graph.objects(f17, DMO.trendOf)) == {DMR["practice/chemsex-use-strategies"]}


def test_every_trend_names_what_rises(kg_graph: Graph) -> None:
    for subject in set(kg_graph.subjects(DMO.trend, None)):
        targets = set(kg_graph.objects(subject, DMO.trendOf))
        assert targets, subject
        about = {o for p, o in kg_graph.predicate_objects(subject)
                 if str(p).startswith(f"{DMO}about")}
        assert targets <= about, subject


def test_f8_has_no_invented_start(kg_graph: Graph) -> None:
    f8 = claim(kg_graph, "F8")
    assert kg_graph.value(f8, DMO.periodStart) is None
    assert "depuis plusieurs années" in " ".join(str(n) for n in kg_graph.objects(f8, SKOS.note))


def test_f6_cities_read_as_reporting_sites(kg_graph: Graph, article: str) -> None:
    # The article: the rise « concerne de nombreuses villes et non plus seulement Marseille ».
    assert "concerne de nombreuses villes" in article
    notes = " ".join(str(n) for n in kg_graph.objects(claim(kg_graph, "F6"), SKOS.note))
    assert "TREND sites" in notes and "de nombreuses villes" in notes
    assert "not the full extent" in notes


def test_f6_reads_rennes_and_bordeaux_as_the_new_cities(kg_graph: Graph, article: str) -> None:
    # « non plus seulement Marseille et Lille, Rennes ou Bordeaux sont également marqués »
    assert "non plus seulement Marseille et Lille, Rennes ou Bordeaux sont également" in article
    f6 = claim(kg_graph, "F6")
    french = {str(t) for t in kg_graph.objects(f6, RDFS.label) if t.language == "fr"}
    assert french == {"Hausse sans précédent des meurtres liés aux trafics, désormais aussi à "
                      "Rennes et Bordeaux, et non plus seulement à Marseille et Lille"}
    summaries = " ".join(str(s) for s in kg_graph.objects(f6, DMO.summary))
    assert "non plus seulement Marseille et Lille" in summaries
    assert "Outre Marseille, Lille" not in summaries


def test_the_commenter_is_not_made_a_physician(kg_graph: Graph) -> None:
    definitions = " ".join(str(d) for d in kg_graph.objects(DMR["actor/f-chassaing"],
                                                             SKOS.definition))
    assert "physician or" not in definitions and "Physician" not in definitions
    assert "pharmacist" in definitions and "vet" in definitions


def test_the_comment_s_factual_half_is_its_own_claim_and_flagged(kg_graph: Graph,
                                                                  article: str) -> None:
    f29 = claim(kg_graph, "F29")
    assert (f29, RDF.type, DMO.RegulatoryFact) in kg_graph
    assert kg_graph.value(f29, DMO.attributedTo) == DMR["actor/f-chassaing"]
    assert "Partly accurate" in str(next(s for s in kg_graph.objects(f29, DMO.summary)
                                         if s.language == "en"))  # type: ignore[attr-defined]
    first = inner(str(kg_graph.value(f29, DMO.quote)))
    assert first in article


@pytest.mark.parametrize(("ref", "kind", "author"), [
    ("F25", DMO.EditorialStatement, "actor/aurelie-haroche"),  # the causal framing
    ("F26", DMO.ReportedFinding, "actor/ofdt"),                # the internet's growing place
    ("F27", DMO.Opinion, "actor/aurelie-haroche"),             # « pour inquiétante qu'elle soit »
    ("F28", DMO.Opinion, "actor/aurelie-haroche"),             # « dangereuses et inquiétantes »
])
def test_the_omitted_statements_are_claims(kg_graph: Graph, article: str, ref: str,
                                           kind: URIRef, author: str) -> None:
    subject = claim(kg_graph, ref)
    assert (subject, RDF.type, kind) in kg_graph
    assert kg_graph.value(subject, DMO.attributedTo) == DMR[author]
    assert inner(str(kg_graph.value(subject, DMO.quote))) in article


def test_internet_is_the_growing_channel_of_f26(kg_graph: Graph) -> None:
    f26 = claim(kg_graph, "F26")
    assert kg_graph.value(f26, DMO.trendOf) == DMR["channel/internet"]
    assert kg_graph.value(f26, DMO.trend) == DMR["concept/increasing"]


def test_trend_sites_read_as_reporting_sites(kg_graph: Graph) -> None:
    trend = DMR["actor/trend-sintes"]
    sites = {str(o).removeprefix(f"{DMR}place/") for o in kg_graph.objects(trend, DMO.operatesIn)}
    assert sites == {"bordeaux", "lille", "marseille", "metz", "paris", "rennes", "toulouse",
                     "lyon"}
    f12 = claim(kg_graph, "F12")
    assert (f12, DMO.aboutActor, trend) in kg_graph
    assert "not reported" in " ".join(str(n) for n in kg_graph.objects(f12, SKOS.note))


def test_msm_is_the_group_name(kg_graph: Graph) -> None:
    labels = {str(v) for v in kg_graph.objects(DMR["actor/gay-men"], RDFS.label)}
    assert "hommes ayant des relations sexuelles avec des hommes (HSH)" in labels


def test_unread_sources_are_not_cited_as_stating_claims(layout: Layout) -> None:
    text = (layout.facts_dir / "claims-regulation.yaml").read_text(encoding="utf-8")
    assert "source: regulation/" not in text
    assert Path(layout.facts_dir / "regulations.yaml").exists()
