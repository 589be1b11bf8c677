"""The build: its outputs, their determinism, and what it records."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph
import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, SKOS, XSD

from kg.build import build
from kg.java import run_hermit_default, run_owlapi
from kg.namespaces import DMO, DMR, GRAPH
from kg.paths import Layout
from kg.rdfcompare import same_graph
from tests.conftest import copy_sources
from tests.kg.cli import dmkg

OUTPUTS = ["dmkg.nq", "dmkg.trig", "dmkg.ttl", "dmkg.owl", "void.ttl", "report.json",
           "report.txt", "ontology/dmo.ttl", "ontology/dmo.owl"]


@pytest.mark.slow
def test_two_builds_of_the_same_input_are_byte_identical(tmp_path: Path, layout: Layout,
                                                         built: Layout) -> None:
    again = copy_sources(tmp_path, layout)
    build(again)
    for name in OUTPUTS:
        assert (again.dist_dir / name).read_bytes() == (built.dist_dir / name).read_bytes(), name


def test_dataset_holds_three_named_graphs(built: Layout) -> None:
    data = Dataset()
    data.parse(built.dist_dir / "dmkg.nq", format="nquads")
    names = {str(g.identifier) for g in data.graphs() if len(g)}
    assert names == {str(GRAPH.ontology), str(GRAPH.facts), str(GRAPH.inferred)}
    facts = data.graph(GRAPH.facts)
    inferred = data.graph(GRAPH.inferred)
    cocaine = DMR["substance/cocaine"]
    assert (cocaine, RDF.type, DMO.Stimulant) in facts
    assert (cocaine, RDF.type, DMO.Substance) in inferred
    assert (cocaine, RDF.type, DMO.Substance) not in facts
    claim = DMR["claim/ofdt-t115-drive-cities"]
    assert (claim, DMO.about, DMR["place/lille"]) in inferred


@pytest.mark.slow
def test_trig_and_nquads_hold_the_same_dataset(built: Layout) -> None:
    nq, trig = Dataset(), Dataset()
    nq.parse(built.dist_dir / "dmkg.nq", format="nquads")
    trig.parse(built.dist_dir / "dmkg.trig", format="trig")
    for name in (GRAPH.ontology, GRAPH.facts, GRAPH.inferred):
        assert same_graph(nq.graph(name), trig.graph(name)), name


@pytest.mark.slow
def test_whole_kg_turtle_and_rdfxml_agree(built: Layout) -> None:
    turtle = Graph().parse(built.dist_dir / "dmkg.ttl", format="turtle")
    rdfxml = Graph().parse(built.dist_dir / "dmkg.owl", format="xml")
    assert same_graph(turtle, rdfxml)
    assert (DMR["substance/ketamine"], RDF.type, DMO.Dissociative) in rdfxml
    assert (DMO.Substance, RDF.type, URIRef("http://www.w3.org/2002/07/owl#Class")) in rdfxml


@pytest.mark.slow
def test_protege_file_loads_through_the_owl_api_in_owl2_dl(built: Layout, tmp_path: Path) -> None:
    report = run_owlapi(built.dist_dir / "dmkg.owl", tmp_path)
    assert report.loaded, report.error
    assert report.axioms > 2000
    assert report.violations == []
    saved = Graph().parse(report.rdfxml, format="xml")  # type: ignore[arg-type]
    assert (DMR["claim/ofdt-t115-drive-cities"], DMO.statedIn,
            DMR["source/jim-2017-03-14-dealers-nouveaux-canaux"]) in saved


@pytest.mark.slow
def test_hermit_default_configuration_classifies_the_protege_file(built: Layout) -> None:
    verdict = run_hermit_default(built.dist_dir / "dmkg.owl")
    assert verdict.error == ""
    assert verdict.loaded and verdict.consistent and verdict.unsatisfiable == []


def test_dates_stay_typed_for_sparql_users(built: Layout) -> None:
    store = Dataset()
    store.parse(built.dist_dir / "dmkg.nq", format="nquads")
    rows = {(str(s).rsplit("/", 1)[-1], o.datatype) for s, _, o, _ in
            store.quads((None, DMO.effectiveFrom, None, None)) if isinstance(o, Literal)}
    assert ("injectable-ketamine-fr-liste-i", XSD.gYear) in rows
    assert ("codeine-medicines-fr-prescription-only-2017", XSD.date) in rows
    oxigraph = pyoxigraph.Store()
    oxigraph.load(path=str(built.dist_dir / "dmkg.nq"), format=pyoxigraph.RdfFormat.N_QUADS)
    answer = oxigraph.query(
        "PREFIX dmo: <https://w3id.org/dmkg/ontology#> "
        "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> "
        "SELECT ?m WHERE { ?m dmo:effectiveFrom ?d "
        "FILTER(datatype(?d) = xsd:date && ?d >= '2017-07-01'^^xsd:date) }",
        use_default_graph_as_union=True)
    found = {row["m"].value for row in answer}  # type: ignore[union-attr]
    assert str(DMR["regulation/codeine-medicines-fr-prescription-only-2017"]) in found
    assert str(DMR["regulation/injectable-ketamine-fr-liste-i"]) not in found


def test_void_counts_match_the_dataset(built: Layout) -> None:
    void = Graph().parse(built.dist_dir / "void.ttl", format="turtle")
    voidns = "http://rdfs.org/ns/void#"
    dataset = URIRef("https://w3id.org/dmkg/dataset")
    triples = int(void.value(dataset, URIRef(voidns + "triples")))  # type: ignore[arg-type]
    lines = (built.dist_dir / "dmkg.nq").read_text(encoding="utf-8").strip().splitlines()
    assert triples == len(lines)
    subsets = list(void.objects(dataset, URIRef(voidns + "subset")))
    assert len(subsets) == 3


def test_report_records_counts_and_the_reasoner(built: Layout) -> None:
    report = json.loads((built.dist_dir / "report.json").read_text(encoding="utf-8"))
    assert report["reasoner"]["status"] == "hermit"
    assert report["claims"] == 37
    assert report["claims_per_source"]["source/jim-2017-03-14-dealers-nouveaux-canaux"] == 25
    assert report["instances_per_class"]["dmo:City"] == 8
    assert "Claims per source" in (built.dist_dir / "report.txt").read_text(encoding="utf-8")


@pytest.mark.slow
def test_without_java_the_build_completes_and_says_so(sources_copy: Layout) -> None:
    result = dmkg("build", home=sources_copy.root, env={"DMKG_JAVA": "/nonexistent/java"})
    assert result.returncode == 0, result.stderr
    assert "WARNING: HermiT did not run" in " ".join(result.stdout.split())
    report = json.loads((sources_copy.dist_dir / "report.json").read_text(encoding="utf-8"))
    assert report["reasoner"]["status"] == "skipped"
    assert any("HermiT did not run" in w for w in report["warnings"])


def test_people_can_type_the_alternative_labels(kg_graph: Graph) -> None:
    def alternatives(ident: str) -> set[str]:
        return {str(v) for v in kg_graph.objects(DMR[ident], SKOS.altLabel)}

    assert "ecstasy" in alternatives("substance/mdma")
    assert "crack cocaine" in alternatives("substance/crack")
    assert "Drive" in alternatives("channel/drive")
    assert "kétamine" in {str(v) for v in kg_graph.objects(DMR["substance/ketamine"],
                                                             URIRef(str(SKOS) + "prefLabel"))} | {
        str(v) for v in kg_graph.objects(DMR["substance/ketamine"],
                                         URIRef("http://www.w3.org/2000/01/rdf-schema#label"))}


@pytest.mark.slow
def test_a_build_whose_dates_hermit_refuses_fails(sources_copy: Layout) -> None:
    # Dates as datatype properties again: HermiT's default configuration refuses xsd:date,
    # and the build must say so rather than ship a graph Protégé's reasoner cannot read.
    graph = Graph().parse(sources_copy.ontology_ttl, format="turtle")
    graph.remove((DMO.effectiveFrom, RDF.type, OWL.AnnotationProperty))
    graph.add((DMO.effectiveFrom, RDF.type, OWL.DatatypeProperty))
    graph.serialize(sources_copy.ontology_ttl, format="turtle")
    result = dmkg("build", "--json", home=sources_copy.root)
    assert result.returncode == 1
    assert "UnsupportedDatatypeException" in result.stdout + result.stderr
    assert not (sources_copy.dist_dir / "dmkg.nq").exists()
