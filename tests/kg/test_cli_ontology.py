"""`dmkg ontology …` through the real command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF

from kg.java import owlapi_classpath, run_helper
from kg.normalize import changed_lines
from kg.paths import Layout
from tests.conftest import EditOntology
from tests.kg.cli import dmkg

# The checks a test reads are the Python ones (QC queries, the two files' agreement): the Java
# checks, a JVM of seconds each, are left out (reported as skipped) where nothing reads them.
NO_JAVA = {"DMKG_JAVA": "/nonexistent/java"}


def test_help_explains_each_command() -> None:
    result = dmkg("--help")
    assert result.returncode == 0
    for command in ("ontology", "serve"):
        assert command in result.stdout
    sub = dmkg("ontology", "--help")
    for command in ("check", "docs", "export", "normalize"):
        assert command in sub.stdout


@pytest.mark.slow
def test_check_passes_on_the_ontology_and_prints_a_report() -> None:
    result = dmkg("ontology", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("pass ") == 4


@pytest.mark.slow
def test_check_fails_with_a_readable_report_on_a_broken_copy(
        edit_ontology: EditOntology) -> None:
    broken = edit_ontology(lambda g: g.remove((None, OWL.versionIRI, None)))
    # With --skip-java, only a failed check exits 1.
    result = dmkg("ontology", "check", "--json", "--skip-java", home=broken.root, env=NO_JAVA)
    assert result.returncode == 1
    report = {r["name"]: r for r in json.loads(result.stdout)}
    assert report["QC queries"]["status"] == "fail"
    assert any("ontology-header" in line for line in report["QC queries"]["details"])


@pytest.mark.slow
def test_docs_document_every_term(tmp_path: Path, layout: Layout) -> None:
    result = dmkg("ontology", "docs", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    graph = Graph().parse(layout.ontology_ttl)
    for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.NamedIndividual):
        for term in graph.subjects(RDF.type, kind):
            if isinstance(term, URIRef):
                assert str(term) in page
    assert 'id="Substance"' in page and 'href="#Substance"' in page
    assert 'id="dmo-Substance"' in page  # the anchor earlier pages linked to


@pytest.mark.slow
def test_export_rewrites_the_rdfxml_copy_in_agreement(ontology_copy: Layout) -> None:
    ontology_copy.ontology_owl.write_text("stale", encoding="utf-8")
    result = dmkg("ontology", "export", home=ontology_copy.root)
    assert result.returncode == 0, result.stderr
    check = dmkg("ontology", "check", "--json", home=ontology_copy.root, env=NO_JAVA)
    report = {r["name"]: r for r in json.loads(check.stdout)}
    assert report["Turtle and RDF/XML agree"]["status"] == "pass"


ADD_CLASS = Path(__file__).with_name("java") / "AddClass.java"


@pytest.fixture(scope="module")
def protege_save(tmp_path_factory: pytest.TempPathFactory, layout: Layout) -> Path:
    """The project's dmo.ttl as Protégé (the OWL API) saves it with a class added, made once
    for the module's tests (read-only use)."""
    saved = tmp_path_factory.mktemp("protege") / "protege-save.ttl"
    done = run_helper(ADD_CLASS, owlapi_classpath(),
                      [str(layout.ontology_ttl), str(saved), "Nitrous", "Substance"])
    assert done == {"saved": True}
    return saved


@pytest.mark.slow
def test_a_class_added_in_protege_is_a_diff_of_a_few_lines(layout: Layout,
                                                            protege_save: Path) -> None:
    changed = changed_lines(layout.ontology_ttl, protege_save)
    assert all(line.startswith("+") for line in changed), changed
    assert 3 <= len(changed) <= 10, changed
    assert any("dmo:Nitrous" in line for line in changed)


@pytest.mark.slow
def test_normalize_brings_a_reformatted_file_back_to_the_protege_form(
        ontology_copy: Layout, protege_save: Path, layout: Layout) -> None:
    # Another writer (rdflib) lays the same graph out its own way.
    graph = Graph().parse(protege_save, format="turtle")
    graph.serialize(ontology_copy.ontology_ttl, format="turtle")
    assert len(changed_lines(layout.ontology_ttl, ontology_copy.ontology_ttl)) > 500
    result = dmkg("ontology", "normalize", home=ontology_copy.root)
    assert result.returncode == 0, result.stderr
    changed = changed_lines(layout.ontology_ttl, ontology_copy.ontology_ttl)
    assert 3 <= len(changed) <= 10, changed
    check = dmkg("ontology", "check", "--json", home=ontology_copy.root)
    report = {r["name"]: r["status"] for r in json.loads(check.stdout)}
    # The new class still lacks its definitions (QC says so); the form and dmo.owl are right.
    assert report["OWL API: OWL 2 DL profile and Protégé round trip"] == "pass"
    assert report["Turtle and RDF/XML agree"] == "pass"
    again = dmkg("ontology", "normalize", home=ontology_copy.root)
    assert "already normal" in again.stdout


@pytest.mark.slow
def test_check_names_a_file_not_in_the_protege_form(ontology_copy: Layout) -> None:
    Graph().parse(ontology_copy.ontology_ttl).serialize(ontology_copy.ontology_ttl,
                                                          format="turtle")
    check = dmkg("ontology", "check", "--json", home=ontology_copy.root)
    assert check.returncode == 1
    report = {r["name"]: r for r in json.loads(check.stdout)}
    owlapi = report["OWL API: OWL 2 DL profile and Protégé round trip"]
    assert owlapi["status"] == "fail" and "dmkg ontology normalize" in owlapi["summary"]


@pytest.mark.slow
def test_check_fails_when_java_cannot_run_unless_asked_to_skip() -> None:
    env = {"DMKG_JAVA": "/nonexistent/java"}
    result = dmkg("ontology", "check", "--json", env=env)
    assert result.returncode == 1
    statuses = {r["name"]: r["status"] for r in json.loads(result.stdout)}
    assert sorted(statuses.values()) == ["pass", "pass", "skip", "skip"]
    skipped = dmkg("ontology", "check", "--skip-java", env=env)
    assert skipped.returncode == 0, skipped.stdout
