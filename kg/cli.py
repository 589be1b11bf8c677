"""The dmkg command line: check and document the ontology, build the graph, serve it."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import click

from kg.console import STATUS_STYLE, console, print_json
from kg.paths import Layout, default_layout


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dmkg")
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="DMKG_HOME",
    help="Project folder holding ontology/, kg/facts/ and queries/ (default: this checkout).",
)
@click.pass_context
def main(ctx: click.Context, home: Path | None) -> None:
    """DMKG, the Drug-Market Knowledge Graph.

    Check and document the DMO ontology, build the knowledge graph from the
    curated facts, query it, and serve it as linked data.
    """
    ctx.obj = Layout(home.resolve()) if home else default_layout()


@main.group()
def ontology() -> None:
    """Check, document and export the DMO ontology (ontology/dmo.ttl)."""


@ontology.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--strict", is_flag=True,
              help="Count a check that could not run (no Java) as failed.")
@click.pass_obj
def ontology_check(layout: Layout, as_json: bool, strict: bool) -> None:
    """Run every ontology check and print a report.

    Checks that dmo.ttl and dmo.owl agree, that every QC query in
    ontology/qc/ returns no rows, that HermiT finds the ontology consistent
    with every class satisfiable, and that the OWL API (what Protégé is built
    on) loads it in the OWL 2 DL profile and saves it back unchanged.
    Exits 1 when a check fails.
    """
    from kg.ontology_checks import run_checks

    out = console()
    results = []
    for result in run_checks(layout):
        results.append(result)
        if not as_json:
            out.print(f"{STATUS_STYLE[result.status]}  {result.name}: {result.summary}")
            for line in result.details:
                out.print(f"        {line}", markup=False)
    if as_json:
        print_json([{"name": r.name, "status": r.status, "summary": r.summary,
                     "details": r.details} for r in results])
    failed = [r for r in results if r.status == "fail" or (strict and r.status == "skip")]
    if failed:
        sys.exit(1)


@ontology.command("docs")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write into (default: dist/docs/ontology).")
@click.pass_obj
def ontology_docs(layout: Layout, out_dir: Path | None) -> None:
    """Write HTML documentation of every class, property and value set."""
    from rdflib import Graph

    from kg.docs import write_docs

    graph = Graph().parse(layout.ontology_ttl, format="turtle")
    page = write_docs(graph, out_dir or layout.dist_dir / "docs" / "ontology")
    console().print(f"wrote {page}")


@ontology.command("export")
@click.pass_obj
def ontology_export(layout: Layout) -> None:
    """Rewrite ontology/dmo.owl (RDF/XML) from dmo.ttl with the OWL API's writer."""
    from kg.java import JavaUnavailable, run_owlapi

    with tempfile.TemporaryDirectory(prefix="dmkg-export-") as tmp:
        try:
            report = run_owlapi(layout.ontology_ttl, Path(tmp))
        except JavaUnavailable as error:
            raise click.ClickException(str(error)) from error
        if not report.loaded or report.rdfxml is None:
            raise click.ClickException(f"the OWL API could not load dmo.ttl: {report.error}")
        staged = layout.ontology_owl.with_suffix(".owl.tmp")
        shutil.copyfile(report.rdfxml, staged)
        staged.replace(layout.ontology_owl)
    console().print(f"wrote {layout.ontology_owl}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.pass_obj
def serve(layout: Layout, host: str, port: int) -> None:
    """Start the DMKG web service (development server)."""
    from service.app import create_app

    app = create_app({"HOME": str(layout.root)})
    app.run(host=host, port=port, debug=False, use_reloader=False)


if __name__ == "__main__":
    main()
