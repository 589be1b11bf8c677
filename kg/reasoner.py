"""Run HermiT through owlready2 on an RDF graph."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import owlready2
from rdflib import Graph

from kg.java import JavaUnavailable, java_executable


@dataclass
class ReasonerReport:
    """HermiT's verdict on a graph."""

    consistent: bool
    unsatisfiable: list[str] = field(default_factory=list)
    explanation: str = ""


def load_world(graph: Graph) -> tuple[owlready2.World, owlready2.Ontology]:
    """Load an rdflib graph into a fresh owlready2 world (owlready2 reads N-Triples, not Turtle)."""
    world = owlready2.World()
    with tempfile.TemporaryDirectory(prefix="dmkg-owlready-") as tmp:
        path = Path(tmp) / "input.nt"
        graph.serialize(path, format="nt", encoding="utf-8")
        ontology = world.get_ontology(path.as_uri()).load()
    return world, ontology


def run_hermit(world: owlready2.World, ontology: owlready2.Ontology) -> ReasonerReport:
    """Classify with HermiT; inferred facts go into world, the verdict into the report."""
    if java_executable() is None:
        raise JavaUnavailable("no Java runtime found: HermiT cannot run")
    owlready2.JAVA_EXE = java_executable()
    try:
        with ontology:
            # xsd:date and xsd:gYear are outside the OWL 2 datatype map that HermiT implements;
            # it skips reasoning over their values and keeps the rest.
            owlready2.sync_reasoner_hermit(
                world, infer_property_values=False, debug=0, ignore_unsupported_datatypes=True
            )
    except owlready2.OwlReadyInconsistentOntologyError as error:
        return ReasonerReport(consistent=False, explanation=str(error) or "inconsistent ontology")
    except owlready2.OwlReadyJavaError as error:
        raise JavaUnavailable(f"HermiT failed: {str(error)[-2000:]}") from error
    unsatisfiable = sorted(
        c.iri for c in world.inconsistent_classes() if c is not owlready2.Nothing
    )
    return ReasonerReport(consistent=True, unsatisfiable=unsatisfiable)


def check_graph(graph: Graph) -> ReasonerReport:
    """Load graph and report HermiT's consistency and satisfiability verdict."""
    world, ontology = load_world(graph)
    try:
        return run_hermit(world, ontology)
    finally:
        world.close()
