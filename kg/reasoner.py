"""Run HermiT through owlready2 on an RDF graph."""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import owlready2
from rdflib import Graph

from kg.java import JavaUnavailable, java_executable


class ReasonerFailed(RuntimeError):
    """HermiT ran and refused the input (an unsupported datatype, a malformed axiom)."""


def _java_message(output: str) -> str:
    # The exception's own line, not the Java stack trace under it, nor owlready2's heading.
    lines = [line.strip() for line in output.splitlines()
             if line.strip() and line.strip() != "Java error message is:"]
    causes = [line for line in lines if "Exception" in line and not line.startswith("at ")]
    return " ".join(causes[:1] or lines[-1:])[:2000]


def _failure(error: owlready2.OwlReadyJavaError) -> str:
    """Say how Java ended: its exit status and what it wrote (owlready2 keeps only the text)."""
    run = error.__context__
    status = (f" ({run.cmd[0]} exit status {run.returncode})"
              if isinstance(run, subprocess.CalledProcessError) else "")
    return f"HermiT failed{status}: {_java_message(str(error)) or 'no error output'}"


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
            # HermiT's default configuration, as Protégé runs it: a datatype outside the OWL 2
            # datatype map is an error, not something to skip.
            owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    except owlready2.OwlReadyInconsistentOntologyError as error:
        return ReasonerReport(consistent=False, explanation=str(error) or "inconsistent ontology")
    except owlready2.OwlReadyJavaError as error:
        raise ReasonerFailed(_failure(error)) from error
    unsatisfiable = sorted(
        c.iri for c in world.inconsistent_classes() if c is not owlready2.Nothing
    )
    return ReasonerReport(consistent=True, unsatisfiable=unsatisfiable)
