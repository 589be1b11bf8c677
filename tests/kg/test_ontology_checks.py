"""The ontology passes every check, and each check catches the breakage it is for."""

from __future__ import annotations

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD

from kg.namespaces import DMO, DMR, ONTOLOGY_IRI
from kg.ontology_checks import (
    CheckResult,
    check_owlapi,
    check_qc,
    check_reasoner,
    check_serializations,
)
from kg.paths import Layout
from kg.qc import run_qc
from tests.conftest import EditOntology


def test_both_serializations_parse_and_agree(layout: Layout) -> None:
    result = check_serializations(layout)
    assert result.status == "pass", result.details


@pytest.mark.slow
def test_rdfxml_copy_that_drifts_is_caught(ontology_copy: Layout) -> None:
    graph = Graph().parse(ontology_copy.ontology_owl, format="xml")
    graph.remove((DMO.Substance, RDFS.label, Literal("substance", lang="fr")))
    graph.serialize(ontology_copy.ontology_owl, format="xml")
    result = check_serializations(ontology_copy)
    assert result.status == "fail"
    assert any("dmkg/ontology#Substance" in line for line in result.details)


def test_every_qc_query_returns_no_rows(layout: Layout) -> None:
    result = check_qc(layout)
    assert result.status == "pass", result.details


def _drop(subject: URIRef, predicate: URIRef, lang: str | None = None):  # type: ignore[no-untyped-def]
    def change(graph: Graph) -> None:
        for value in list(graph.objects(subject, predicate)):
            if lang is None or (isinstance(value, Literal) and value.language == lang):
                graph.remove((subject, predicate, value))

    return change


def _add(*triples: tuple[URIRef, URIRef, URIRef | Literal]):  # type: ignore[no-untyped-def]
    def change(graph: Graph) -> None:
        for triple in triples:
            graph.add(triple)

    return change


BREAKAGES = {
    "missing-english-label": _drop(DMO.Channel, RDFS.label, "en"),
    "missing-french-label": _drop(DMR["concept/marginal"], RDFS.label, "fr"),
    "missing-english-definition": _drop(DMO.distributes, SKOS.definition, "en"),
    "missing-french-definition": _drop(DMO.quote, SKOS.definition, "fr"),
    "several-labels-in-one-language": _add((DMO.Risk, RDFS.label, Literal("hazard", lang="en"))),
    "shared-label": _add((DMO.Hazard, RDF.type, OWL.Class),
                         (DMO.Hazard, RDFS.label, Literal("risk", lang="en"))),
    "undeclared-property": _add((DMO.Risk, URIRef("http://example.org/seeAlso"), Literal("x"))),
    "class-without-parent": _drop(DMO.Practice, RDFS.subClassOf),
    "property-without-domain-or-range": _drop(DMO.regulates, RDFS.range),
    "ontology-header": _drop(URIRef(ONTOLOGY_IRI), OWL.versionIRI),
    "remote-import": _add((URIRef(ONTOLOGY_IRI), OWL.imports,
                           URIRef("http://www.w3.org/ns/prov-o"))),
}


@pytest.mark.parametrize("query", sorted(BREAKAGES))
def test_each_qc_query_catches_its_breakage(edit_ontology: EditOntology, query: str) -> None:
    broken = edit_ontology(BREAKAGES[query])
    results = {r.query.name: r for r in run_qc(Graph().parse(broken.ontology_ttl), broken.qc_dir)}
    assert not results[query].ok
    assert check_qc(broken).status == "fail"


def test_every_qc_query_has_a_breakage_test(layout: Layout) -> None:
    assert {p.stem for p in layout.qc_dir.glob("*.rq")} == set(BREAKAGES)


def _named(checks: dict[str, CheckResult], start: str) -> CheckResult:
    return next(result for name, result in checks.items() if name.startswith(start))


@pytest.mark.slow
def test_hermit_finds_the_ontology_consistent_and_satisfiable(
        ontology_checks: dict[str, CheckResult]) -> None:
    result = _named(ontology_checks, "HermiT")
    assert result.status == "pass", (result.summary, result.details)


@pytest.mark.slow
def test_hermit_catches_an_inconsistency(edit_ontology: EditOntology) -> None:
    thing = DMR["place/nowhere"]
    broken = edit_ontology(_add((thing, RDF.type, DMO.City), (thing, RDF.type, DMO.Substance)))
    result = check_reasoner(broken)
    assert result.status == "fail"
    assert "inconsistent" in result.summary


@pytest.mark.slow
def test_hermit_catches_an_unsatisfiable_class(edit_ontology: EditOntology) -> None:
    broken = edit_ontology(_add((DMO.Impossible, RDF.type, OWL.Class),
                                (DMO.Impossible, RDFS.subClassOf, DMO.Person),
                                (DMO.Impossible, RDFS.subClassOf, DMO.Organisation)))
    result = check_reasoner(broken)
    assert result.status == "fail"
    assert str(DMO.Impossible) in result.details


@pytest.mark.slow
def test_owlapi_loads_it_in_owl2_dl_and_round_trips(
        ontology_checks: dict[str, CheckResult]) -> None:
    result = _named(ontology_checks, "OWL API")
    assert result.status == "pass", (result.summary, result.details)


@pytest.mark.slow
def test_owlapi_reports_a_dl_violation(edit_ontology: EditOntology) -> None:
    def cardinality_on_transitive_property(graph: Graph) -> None:
        restriction = BNode()
        graph.add((restriction, RDF.type, OWL.Restriction))
        graph.add((restriction, OWL.onProperty, DMO.locatedIn))
        graph.add((restriction, OWL.maxCardinality, Literal(1)))
        graph.add((DMO.City, RDFS.subClassOf, restriction))

    result = check_owlapi(edit_ontology(cardinality_on_transitive_property))
    assert result.status == "fail"
    assert "violation" in result.summary
    assert any("locatedIn" in line for line in result.details)


@pytest.mark.slow
def test_hermit_default_configuration_refuses_an_xsd_date_range(
        edit_ontology: EditOntology) -> None:
    # What the ontology had before dates became annotations: Protégé's HermiT stops on it.
    broken = edit_ontology(_add((DMO.decidedOn, RDF.type, OWL.DatatypeProperty),
                                (DMO.decidedOn, RDFS.domain, DMO.Regulation),
                                (DMO.decidedOn, RDFS.range, XSD.date)))
    result = check_reasoner(broken)
    assert result.status == "fail"
    assert any("UnsupportedDatatypeException" in line and "XMLSchema#date" in line
               for line in result.details)
