"""The deterministic build: facts → owlready2 population → HermiT → checks → dist/."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyshacl
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF

import kg
from kg.facts_loader import Facts, load_facts
from kg.folders import swap_in
from kg.inference import entailed
from kg.java import JavaUnavailable
from kg.namespaces import DMO, GRAPH, ONTOLOGY_IRI
from kg.ontology_index import OntologyIndex
from kg.paths import Layout
from kg.populate import populate
from kg.qc import run_qc
from kg.reasoner import ReasonerFailed, load_world, run_hermit
from kg.serialize import dataset, nquads, text
from kg.void import void_description

Progress = Callable[[str], None]


class BuildFailed(Exception):
    """The knowledge graph did not pass a check; nothing was written."""

    def __init__(self, stage: str, problems: list[str]) -> None:
        self.stage = stage
        self.problems = problems
        super().__init__(f"{stage}: " + "; ".join(problems[:5]))


@dataclass
class BuildResult:
    """The graphs of one build and its report."""

    ontology: Graph
    facts: Graph
    inferred: Graph
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def graphs(self) -> dict[str, Graph]:
        return {str(GRAPH.ontology): self.ontology, str(GRAPH.facts): self.facts,
                str(GRAPH.inferred): self.inferred}

    def union(self) -> Graph:
        merged = Graph()
        for graph in self.graphs.values():
            merged += graph
        return merged


def input_files(layout: Layout) -> list[Path]:
    """Every file whose content decides the build's output."""
    files = [layout.ontology_ttl, *sorted(layout.shapes_dir.glob("*.ttl")),
             *sorted(layout.qc_dir.glob("*.rq")), *sorted(layout.facts_dir.glob("*.yaml"))]
    return [f for f in files if f.is_file()]


def input_digest(layout: Layout) -> str:
    """Hash the build's inputs (and the builder's version) into one hex digest."""
    digest = hashlib.sha256(f"dmkg {kg.__version__}\n".encode())
    for path in input_files(layout):
        digest.update(str(path.relative_to(layout.root)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _individual_graph(world_graph_file: Path) -> Graph:
    graph = Graph().parse(world_graph_file, format="nt")
    graph.remove((None, RDF.type, OWL.Ontology))
    return graph


def _reason(layout: Layout, ontology: Graph, facts: Facts, progress: Progress
            ) -> tuple[Graph, Graph, dict[str, Any]]:
    """Populate with owlready2, reason with HermiT; return (facts, HermiT's inferences, status)."""
    world, _ = load_world(ontology)
    try:
        progress("populating the ontology with owlready2")
        facts_onto = populate(world, facts)
        inferred_onto = world.get_ontology(str(GRAPH.inferred))
        progress("reasoning with HermiT")
        try:
            with inferred_onto:
                verdict = run_hermit(world, inferred_onto)
            status = {"status": "hermit", "consistent": verdict.consistent}
            if not verdict.consistent:
                raise BuildFailed("reasoning", [f"HermiT found the knowledge graph inconsistent: "
                                                f"{verdict.explanation}"])
            if verdict.unsatisfiable:
                raise BuildFailed("reasoning", [f"unsatisfiable class {c}"
                                                for c in verdict.unsatisfiable])
        except ReasonerFailed as error:
            raise BuildFailed("reasoning", [str(error)]) from error
        except JavaUnavailable as error:
            status = {"status": "skipped", "detail": str(error)}
        with tempfile.TemporaryDirectory(prefix="dmkg-build-") as tmp:
            facts_file, inferred_file = Path(tmp) / "facts.nt", Path(tmp) / "inferred.nt"
            facts_onto.save(str(facts_file), format="ntriples")
            inferred_onto.save(str(inferred_file), format="ntriples")
            return _individual_graph(facts_file), _individual_graph(inferred_file), status
    finally:
        world.close()


def _shacl(layout: Layout, data: Graph) -> list[str]:
    shapes = Graph()
    for path in sorted(layout.shapes_dir.glob("*.ttl")):
        shapes.parse(path, format="turtle")
    conforms, results, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none")
    if conforms:
        return []
    problems = []
    sh = "http://www.w3.org/ns/shacl#"
    for result in results.subjects(RDF.type, URIRef(sh + "ValidationResult")):
        node = results.value(result, URIRef(sh + "focusNode"))
        path = results.value(result, URIRef(sh + "resultPath"))
        message = results.value(result, URIRef(sh + "resultMessage"))
        where = f"{node}" + (f" {path}" if path is not None else "")
        problems.append(f"{where}: {message}")
    return sorted(problems)


def _count_instances(union: Graph) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for _, cls in union.subject_objects(RDF.type):
        if isinstance(cls, URIRef) and cls.startswith(str(DMO)):
            counts["dmo:" + cls.removeprefix(str(DMO))] += 1
    return dict(sorted(counts.items()))


def _report(layout: Layout, result: BuildResult, facts: Facts, reasoner: dict[str, Any],
            hermit_triples: int) -> dict[str, Any]:
    union = result.union()
    per_source: Counter[str] = Counter()
    per_kind: Counter[str] = Counter()
    per_confidence: Counter[str] = Counter()
    for claim in facts.claims.values():
        per_source[str(claim.source)] += 1
        per_kind[claim.kind] += 1
        per_confidence[claim.confidence] += 1
    warnings = []
    if reasoner["status"] != "hermit":
        warnings.append(f"HermiT did not run: {reasoner.get('detail', '')}")
    unverified = sorted(i for i, e in facts.entities.items() if e.close_match)
    if unverified:
        warnings.append("identifiers kept as close matches pending verification: "
                        + ", ".join(unverified))
    return {
        "dmkg_version": kg.__version__,
        "ontology_version": str(result.ontology.value(URIRef(ONTOLOGY_IRI), OWL.versionInfo)),
        "input_digest": input_digest(layout),
        "inputs": [str(p.relative_to(layout.root)) for p in input_files(layout)],
        "triples": {"ontology": len(result.ontology), "facts": len(result.facts),
                    "inferred": len(result.inferred), "total": len(union)},
        "entities": len(facts.entities),
        "claims": len(facts.claims),
        "instances_per_class": _count_instances(union),
        "claims_per_source": dict(sorted(per_source.items())),
        "claims_per_kind": dict(sorted(per_kind.items())),
        "claims_per_confidence": dict(sorted(per_confidence.items())),
        "reasoner": {**reasoner, "inferred_by_hermit": hermit_triples},
        "checks": {"shacl": "conforms", "qc": "clean"},
        "warnings": warnings,
    }


def compile_graphs(layout: Layout, progress: Progress = lambda _: None) -> BuildResult:
    """Run the build in memory and every check on its result; raise on the first failing stage."""
    progress("reading the ontology")
    ontology = Graph().parse(layout.ontology_ttl, format="turtle")
    index = OntologyIndex.from_graph(ontology)
    progress("loading the curated facts")
    facts = load_facts(layout.facts_dir, index)
    facts_graph, hermit_graph, reasoner = _reason(layout, ontology, facts, progress)
    progress("materialising entailed types and super-properties")
    inferred = Graph()
    inferred += hermit_graph
    inferred += entailed(ontology, facts_graph + hermit_graph)
    for triple in list(inferred):
        if triple in facts_graph or triple in ontology:
            inferred.remove(triple)
    result = BuildResult(ontology, facts_graph, inferred)
    progress("validating with SHACL")
    problems = _shacl(layout, result.union())
    if problems:
        raise BuildFailed("SHACL validation", problems)
    progress("running the QC queries")
    failed = [f"{r.query.name}: {r.query.title}: {row}"
              for r in run_qc(ontology + facts_graph, layout.qc_dir) if not r.ok
              for row in r.rows[:10]]
    if failed:
        raise BuildFailed("QC queries", failed)
    result.report = _report(layout, result, facts, reasoner, len(hermit_graph))
    return result


def report_text(report: dict[str, Any]) -> str:
    """Render the build report as a readable summary."""
    lines = [f"DMKG build report (dmkg {report['dmkg_version']}, "
             f"ontology {report['ontology_version']})", ""]
    lines.append("Triples: " + ", ".join(f"{k} {v}" for k, v in report["triples"].items()))
    lines.append(f"Entities: {report['entities']}; claims: {report['claims']}")
    lines.append(f"Reasoner: {report['reasoner']['status']}")
    for title, key in (("Instances per class", "instances_per_class"),
                       ("Claims per source", "claims_per_source"),
                       ("Claims per kind", "claims_per_kind"),
                       ("Claims per confidence", "claims_per_confidence")):
        lines += ["", f"{title}:"]
        lines += [f"  {name:<60} {count:>5}" for name, count in report[key].items()]
    lines += ["", "Warnings:"] + [f"  - {w}" for w in report["warnings"] or ["none"]]
    return "\n".join(lines) + "\n"


def write_dist(result: BuildResult, layout: Layout) -> Path:
    """Write every output into a fresh folder, then swap it for dist/ in one rename."""
    target = layout.dist_dir
    with swap_in(target) as staging:
        kg_graph = result.ontology + result.facts
        files = {
            "dmkg.nq": nquads(result.graphs),
            "dmkg.trig": dataset(result.graphs).serialize(format="trig"),
            "dmkg.ttl": text(kg_graph, "turtle"),
            "dmkg.owl": text(kg_graph, "xml"),
            "void.ttl": text(void_description(result.graphs), "turtle"),
            "report.json": json.dumps(result.report, indent=2, ensure_ascii=False,
                                      sort_keys=True) + "\n",
            "report.txt": report_text(result.report),
        }
        for name, content in files.items():
            (staging / name).write_text(content, encoding="utf-8")
        (staging / "ontology").mkdir()
        shutil.copyfile(layout.ontology_ttl, staging / "ontology" / "dmo.ttl")
        shutil.copyfile(layout.ontology_owl, staging / "ontology" / "dmo.owl")
    return target


def build(layout: Layout, progress: Progress = lambda _: None) -> BuildResult:
    """Build the knowledge graph and write dist/; on any failure dist/ is left as it was."""
    result = compile_graphs(layout, progress)
    progress("writing dist/")
    write_dist(result, layout)
    return result


def built_digest(layout: Layout) -> str | None:
    """Return the input digest recorded by the last build in dist/, if any."""
    try:
        report = json.loads((layout.dist_dir / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    digest = report.get("input_digest")
    return digest if isinstance(digest, str) else None


def is_current(layout: Layout) -> bool:
    """Tell whether dist/ was built from the inputs as they are now."""
    return built_digest(layout) == input_digest(layout) and (layout.dist_dir / "dmkg.nq").is_file()
