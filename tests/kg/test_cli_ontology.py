"""`dmkg ontology …` through the real command line."""

from __future__ import annotations

import json
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF

from kg.paths import Layout
from tests.conftest import EditOntology
from tests.kg.cli import dmkg


def test_help_explains_each_command() -> None:
    result = dmkg("--help")
    assert result.returncode == 0
    for command in ("ontology", "serve"):
        assert command in result.stdout
    sub = dmkg("ontology", "--help")
    for command in ("check", "docs", "export"):
        assert command in sub.stdout


def test_check_passes_on_the_ontology_and_prints_a_report() -> None:
    result = dmkg("ontology", "check", "--strict")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("pass") == 4


def test_check_fails_with_a_readable_report_on_a_broken_copy(
        edit_ontology: EditOntology) -> None:
    broken = edit_ontology(lambda g: g.remove((None, OWL.versionIRI, None)))
    result = dmkg("ontology", "check", "--json", home=broken.root)
    assert result.returncode == 1
    report = {r["name"]: r for r in json.loads(result.stdout)}
    assert report["QC queries"]["status"] == "fail"
    assert any("ontology-header" in line for line in report["QC queries"]["details"])


def test_docs_document_every_term(tmp_path: Path, layout: Layout) -> None:
    result = dmkg("ontology", "docs", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    graph = Graph().parse(layout.ontology_ttl)
    for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.NamedIndividual):
        for term in graph.subjects(RDF.type, kind):
            if isinstance(term, URIRef):
                assert str(term) in page
    assert 'id="dmo-Substance"' in page and 'href="#dmo-Substance"' in page


def test_export_rewrites_the_rdfxml_copy_in_agreement(ontology_copy: Layout) -> None:
    ontology_copy.ontology_owl.write_text("stale", encoding="utf-8")
    result = dmkg("ontology", "export", home=ontology_copy.root)
    assert result.returncode == 0, result.stderr
    check = dmkg("ontology", "check", "--json", home=ontology_copy.root)
    report = {r["name"]: r for r in json.loads(check.stdout)}
    assert report["Turtle and RDF/XML agree"]["status"] == "pass"
