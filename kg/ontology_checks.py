"""Check the ontology the way its users' tools will read it."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph

from kg.java import JavaUnavailable, OwlApiReport, run_hermit_default, run_owlapi
from kg.normalize import changed_lines
from kg.paths import Layout
from kg.qc import run_qc
from kg.rdfcompare import describe_difference, same_graph


@dataclass
class CheckResult:
    """The outcome of one check: passed, failed or could not run."""

    name: str
    status: str  # "pass", "fail" or "skip"
    summary: str
    details: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "pass"


def _parse(path: Path) -> Graph:
    fmt = "xml" if path.suffix in {".owl", ".rdf"} else "turtle"
    return Graph().parse(path, format=fmt)


def check_serializations(layout: Layout) -> CheckResult:
    """Both serializations parse and hold the same graph."""
    name = "Turtle and RDF/XML agree"
    try:
        turtle = _parse(layout.ontology_ttl)
        rdfxml = _parse(layout.ontology_owl)
    except Exception as error:  # rdflib raises parser-specific types; report any of them
        return CheckResult(name, "fail", f"a serialization does not parse: {error}")
    if same_graph(turtle, rdfxml):
        return CheckResult(name, "pass", f"{len(turtle)} triples in each")
    return CheckResult(
        name,
        "fail",
        f"{layout.ontology_owl.name} has drifted from {layout.ontology_ttl.name}: "
        "run 'dmkg ontology export'",
        describe_difference(turtle, rdfxml),
    )


def check_qc(layout: Layout) -> CheckResult:
    """Every QC query returns no rows."""
    results = run_qc(_parse(layout.ontology_ttl), layout.qc_dir)
    failed = [r for r in results if not r.ok]
    details = []
    for result in failed:
        details.append(f"{result.query.name}: {result.query.title} ({len(result.rows)} rows)")
        details += [f"    {row}" for row in result.rows[:5]]
    status = "fail" if failed else "pass"
    return CheckResult("QC queries", status, f"{len(results) - len(failed)}/{len(results)} clean",
                       details)


# What the OWL API made of dmo.ttl (its saves in a folder the caller keeps), or why it could not.
OwlApiRun = OwlApiReport | JavaUnavailable


def _owlapi_run(layout: Layout, out_dir: Path) -> OwlApiRun:
    try:
        return run_owlapi(layout.ontology_ttl, out_dir)
    except JavaUnavailable as error:
        return error


@contextmanager
def _owlapi_saves(layout: Layout, given: OwlApiRun | None, prefix: str) -> Iterator[OwlApiRun]:
    """The run given, else a fresh OWL API run whose saves live as long as the block."""
    if given is not None:
        yield given
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        yield _owlapi_run(layout, Path(tmp))


def check_reasoner(layout: Layout, owlapi: OwlApiRun | None = None) -> CheckResult:
    """HermiT, configured as in Protégé, finds the ontology consistent and satisfiable."""
    name = "HermiT (default configuration, as in Protégé): consistency and satisfiability"
    # HermiT reads the OWL API's own RDF/XML save of dmo.ttl, which is what Protégé
    # hands it after opening the Turtle.
    with _owlapi_saves(layout, owlapi, "dmkg-hermit-") as saved:
        if isinstance(saved, JavaUnavailable):
            return CheckResult(name, "skip", "HermiT's input, the OWL API's RDF/XML save, "
                                             f"could not be made: {saved}")
        if not saved.loaded or saved.rdfxml is None:
            return CheckResult(name, "fail", f"the OWL API could not load it: {saved.error}")
        try:
            verdict = run_hermit_default(saved.rdfxml)
        except JavaUnavailable as error:
            return CheckResult(name, "skip", str(error))
    if verdict.error:
        return CheckResult(name, "fail", "HermiT refused the ontology", [verdict.error])
    if not verdict.consistent:
        return CheckResult(name, "fail", "the ontology is inconsistent")
    if verdict.unsatisfiable:
        return CheckResult(name, "fail", f"{len(verdict.unsatisfiable)} unsatisfiable classes",
                           verdict.unsatisfiable)
    return CheckResult(name, "pass", "consistent, every class satisfiable")


def check_owlapi(layout: Layout, owlapi: OwlApiRun | None = None) -> CheckResult:
    """The OWL API loads it in OWL 2 DL, and its own saves read back as the same graph."""
    name = "OWL API: OWL 2 DL profile and Protégé round trip"
    with _owlapi_saves(layout, owlapi, "dmkg-owlapi-") as report:
        if isinstance(report, JavaUnavailable):
            return CheckResult(name, "skip", str(report))
        if not report.loaded:
            return CheckResult(name, "fail", f"the OWL API could not load it: {report.error}")
        if report.violations:
            return CheckResult(name, "fail", f"{len(report.violations)} OWL 2 DL violations",
                               report.violations)
        source = _parse(layout.ontology_ttl)
        for saved in (report.turtle, report.rdfxml):
            assert saved is not None
            written = _parse(saved)
            if not same_graph(source, written):
                return CheckResult(name, "fail", f"the OWL API's {saved.suffix} save differs",
                                   describe_difference(source, written))
        assert report.turtle is not None
        if report.turtle.read_bytes() != layout.ontology_ttl.read_bytes():
            changed = changed_lines(layout.ontology_ttl, report.turtle)
            return CheckResult(name, "fail",
                               f"{layout.ontology_ttl.name} is not in the form Protégé saves "
                               f"({len(changed)} lines differ): run 'dmkg ontology normalize'",
                               changed[:20])
    return CheckResult(name, "pass",
                       f"{report.axioms} axioms ({report.logical_axioms} logical), no violation, "
                       "saved by the OWL API unchanged")


def run_checks(layout: Layout) -> Iterator[CheckResult]:
    """Run every ontology check in turn; the two Java checks share one OWL API run."""
    yield check_serializations(layout)
    yield check_qc(layout)
    with tempfile.TemporaryDirectory(prefix="dmkg-owlapi-") as tmp:
        owlapi = _owlapi_run(layout, Path(tmp))
        yield check_reasoner(layout, owlapi)
        yield check_owlapi(layout, owlapi)
