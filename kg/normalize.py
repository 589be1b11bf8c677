"""Bring a Protégé save (or a hand edit) of the ontology to the repository form, the OWL API's."""

from __future__ import annotations

import difflib
import shutil
import tempfile
from pathlib import Path

from kg.java import run_owlapi
from kg.paths import Layout
from kg.rdfcompare import describe_difference, same_graph


class NormalizeFailed(RuntimeError):
    """The OWL API could not read the file, or its save would change the graph."""


def changed_lines(before: Path, after: Path) -> list[str]:
    """Return the unified diff's added and removed lines between two text files."""
    diff = difflib.unified_diff(before.read_text(encoding="utf-8").splitlines(),
                                after.read_text(encoding="utf-8").splitlines(), lineterm="", n=0)
    return [line for line in diff
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def normalize(layout: Layout, source: Path | None = None) -> bool:
    """Rewrite dmo.ttl and dmo.owl as the OWL API saves source; return whether dmo.ttl changed."""
    from rdflib import Graph

    source = source or layout.ontology_ttl
    with tempfile.TemporaryDirectory(prefix="dmkg-normalize-") as tmp:
        report = run_owlapi(source, Path(tmp))
        if not report.loaded or report.turtle is None or report.rdfxml is None:
            raise NormalizeFailed(f"the OWL API could not load {source}: {report.error}")
        fmt = "xml" if source.suffix in {".owl", ".rdf"} else "turtle"
        original, saved = Graph().parse(source, format=fmt), Graph().parse(report.turtle)
        if not same_graph(original, saved):
            raise NormalizeFailed("the OWL API's save would change the graph: "
                                  + "; ".join(describe_difference(original, saved)[:5]))
        changed = report.turtle.read_bytes() != layout.ontology_ttl.read_bytes()
        for staged, target in ((report.turtle, layout.ontology_ttl),
                               (report.rdfxml, layout.ontology_owl)):
            partial = target.with_suffix(target.suffix + ".tmp")
            shutil.copyfile(staged, partial)
            partial.replace(target)
    return changed
