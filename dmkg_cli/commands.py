"""The dmkg command line: check and document the ontology, build the graph, serve it."""

from __future__ import annotations

import contextlib
import csv
import json
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from dmkg_cli.console import STATUS_STYLE, console, print_json, print_table
from kg.paths import Layout, default_layout

if TYPE_CHECKING:
    from kg.backup import Summary
    from kg.build import BuildResult


class _OneLineErrors(click.Group):
    """A group whose commands report a bad option value in one line, without the usage."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.BadParameter as error:
            error.ctx = None  # the usage lines are printed only with a context
            raise


@click.group(cls=_OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
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
@click.option("--skip-java", is_flag=True,
              help="Pass even when HermiT or the OWL API could not run (no Java runtime).")
@click.pass_obj
def ontology_check(layout: Layout, as_json: bool, skip_java: bool) -> None:
    """Run every ontology check and print a report.

    Checks that dmo.ttl and dmo.owl agree, that every QC query in
    ontology/qc/ returns no rows, that HermiT in its default configuration
    (what Protégé's Reasoner menu runs) finds the ontology consistent with
    every class satisfiable, and that the OWL API (what Protégé is built on)
    loads it in the OWL 2 DL profile and saves it back byte for byte.
    Exits 1 when a check fails, or could not run without --skip-java.
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
    failed = [r for r in results if r.status == "fail" or (r.status == "skip" and not skip_java)]
    if failed:
        if not as_json and any(r.status == "skip" for r in failed):
            console(stderr=True).print("a check could not run: install Java (see README) "
                                       "or pass --skip-java", markup=False)
        sys.exit(1)


@ontology.command("normalize")
@click.argument("saved", required=False,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def ontology_normalize(layout: Layout, saved: Path | None) -> None:
    """Rewrite dmo.ttl (and dmo.owl) in the form the OWL API, and so Protégé, saves.

    SAVED is the file Protégé wrote (default: ontology/dmo.ttl itself). The
    graph must not change; only its layout does, so that a change made in
    Protégé shows in git as the few lines it touched.
    """
    from kg.java import JavaUnavailable
    from kg.normalize import NormalizeFailed, normalize

    try:
        changed = normalize(layout, saved)
    except (JavaUnavailable, NormalizeFailed) as error:
        raise click.ClickException(str(error)) from error
    state = "rewrote" if changed else "already normal:"
    console().print(f"{state} {layout.ontology_ttl} and {layout.ontology_owl}")


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


def _progress(quiet: bool) -> tuple[Any, Callable[[str], None]]:
    """Return a rich status spinner (or nothing when quiet) and a callback that updates it."""
    if quiet:
        return contextlib.nullcontext(), lambda _: None
    status = console(stderr=True).status("starting")
    return status, lambda step: status.update(step)


def _fail_build(error: Exception, as_json: bool) -> NoReturn:
    from kg.build import BuildFailed
    from kg.facts_loader import FactsInvalid

    if isinstance(error, FactsInvalid):
        stage, problems = "fact files", [str(e) for e in error.errors]
    elif isinstance(error, BuildFailed):
        stage, problems = error.stage, error.problems
    else:
        raise error
    if as_json:
        print_json({"ok": False, "stage": stage, "problems": problems})
    else:
        err = console(stderr=True)
        err.print(f"[bold red]The build failed at {stage}; nothing was written.[/]")
        for problem in problems:
            err.print(f"  {problem}", markup=False)
    sys.exit(1)


def _build_step(step: Callable[[Layout, Callable[[str], None]], BuildResult], layout: Layout,
                quiet: bool, as_json: bool) -> BuildResult:
    """Run the build or its checks under a spinner; the build's own failures end the command."""
    status, progress = _progress(quiet)
    try:
        with status:
            return step(layout, progress)
    except Exception as error:  # only the build's own failures are reported; others re-raise
        _fail_build(error, as_json)


def _summarise(report: dict[str, Any]) -> None:
    out = console()
    if report["reasoner"]["status"] != "hermit":
        out.print(f"[bold yellow]WARNING: HermiT did not run ({report['reasoner'].get('detail')})."
                  " The graph was not checked for consistency and holds no HermiT inferences.[/]")
    print_table("DMKG knowledge graph", ["", "count"], [
        *[(f"triples in {name}", n) for name, n in report["triples"].items()],
        ("entities", report["entities"]), ("claims", report["claims"]),
        ("reasoner", report["reasoner"]["status"]),
    ])
    for warning in report["warnings"]:
        out.print(f"[yellow]warning:[/] {warning}", markup=True)


@main.command()
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@click.option("--json", "as_json", is_flag=True, help="Print the build report as JSON.")
@click.pass_obj
def build(layout: Layout, quiet: bool, as_json: bool) -> None:
    """Build the knowledge graph from the ontology and kg/facts/ into dist/.

    Loads and checks the fact files, populates the ontology with owlready2,
    reasons with HermiT (inferred types go to their own named graph),
    validates with SHACL and the QC queries, then writes the dataset
    (N-Quads, TriG), the whole KG (RDF/XML for Protégé, Turtle), a VoID
    description and a build report. The same input gives byte-identical
    output; a failed build leaves dist/ as it was.
    """
    from kg.build import build as run_build

    result = _build_step(run_build, layout, quiet or as_json, as_json)
    if as_json:
        print_json(result.report)
    elif not quiet:
        _summarise(result.report)
        console().print(f"wrote {layout.dist_dir}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def validate(layout: Layout, as_json: bool) -> None:
    """Run every check of the build without writing anything."""
    from kg.build import compile_graphs

    result = _build_step(compile_graphs, layout, as_json, as_json)
    if as_json:
        print_json({"ok": True, **result.report})
    else:
        console().print("[green]valid:[/] the facts load, HermiT, SHACL and the QC queries agree")
        _summarise(result.report)


def _ensure_built(layout: Layout) -> None:
    from kg.build import build as run_build
    from kg.build import is_current

    if not is_current(layout):
        console(stderr=True).print("dist/ is missing or older than its inputs: building first")
        status, progress = _progress(False)
        try:
            with status:
                run_build(layout, progress)
        except Exception as error:  # only the build's own failures are reported; others re-raise
            _fail_build(error, False)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.pass_obj
def stats(layout: Layout, as_json: bool) -> None:
    """Print counts of the built graph: triples, instances per class, claims per source."""
    _ensure_built(layout)
    report = json.loads((layout.dist_dir / "report.json").read_text(encoding="utf-8"))
    if as_json:
        print_json({k: report[k] for k in ("triples", "entities", "claims", "instances_per_class",
                                           "claims_per_source", "claims_per_kind",
                                           "claims_per_confidence")})
        return
    print_table("Triples", ["graph", "triples"], report["triples"].items())
    print_table("Instances per class", ["class", "instances"],
                report["instances_per_class"].items())
    print_table("Claims per source", ["source", "claims"], report["claims_per_source"].items())
    print_table("Claims per kind", ["kind", "claims"], report["claims_per_kind"].items())


@main.command()
@click.argument("query")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="How to print the answer.")
@click.pass_obj
def query(layout: Layout, query: str, fmt: str) -> None:
    """Run QUERY on the built graph and print the answer.

    QUERY is a .rq file or the name of a query in queries/ (a unique prefix
    such as cq02 is enough). The default graph is the union of the named
    graphs.
    """
    from kg.query import load_built, resolve_query, run_table

    try:
        found = resolve_query(layout, query)
    except LookupError as error:
        raise click.ClickException(str(error)) from error
    _ensure_built(layout)
    try:
        table = run_table(load_built(layout), found.text)
    except SyntaxError as error:
        raise click.ClickException(f"{found.path}: {error}") from error
    if fmt == "json":
        print_json([dict(zip(table.columns, row, strict=True)) for row in table.rows])
    elif fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(table.columns)
        writer.writerows(table.rows)
    else:
        print_table(found.title, table.columns, table.rows)
        console().print(f"{len(table.rows)} row(s)")


@main.command()
@click.option("--target", required=True, metavar="URL",
              help="The SPARQL query endpoint of the server (e.g. http://127.0.0.1:8890/sparql).")
@click.option("--update-url", metavar="URL",
              help="Its SPARQL Update endpoint (default: the query endpoint; Virtuoso: "
                   "…/sparql-auth).")
@click.option("--user", envvar="DMKG_STORE_USER", help="User for HTTP digest authentication.")
@click.option("--password", envvar="DMKG_STORE_PASSWORD",
              help="Password (or the DMKG_STORE_PASSWORD environment variable).")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@click.pass_obj
def load(layout: Layout, target: str, update_url: str | None, user: str | None,
         password: str | None, quiet: bool) -> None:
    """Push the built dataset (dist/dmkg.nq) into a SPARQL server, graph by graph.

    Each named graph is written into a staging graph and moved into place once
    complete, so a failed load leaves the previous graphs as they were and
    loading twice leaves one copy.
    """
    from rich.progress import Progress

    from kg.store.base import QueryFailed
    from kg.store.loader import push
    from kg.store.remote import RemoteBackend

    _ensure_built(layout)
    backend = RemoteBackend(target, update_url, user, password)
    with Progress(disable=quiet, console=console(stderr=True)) as bar:
        tasks: dict[str, Any] = {}

        def progress(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name.rsplit("/", 1)[-1], total=total)
            bar.update(tasks[name], completed=done)

        try:
            written = push(backend, layout.dist_dir / "dmkg.nq", progress=progress)
        except QueryFailed as error:
            raise click.ClickException(f"the load failed; the server's graphs are as they "
                                       f"were: {error}") from error
    if not quiet:
        print_table(f"Loaded into {target}", ["graph", "triples"], written.items())


_SERVICE = click.option("--url", required=True, metavar="URL",
                        help="The running service (e.g. http://127.0.0.1:8000).")
_TOKEN = click.option("--token", envvar="DMKG_TOKEN", required=True,
                      help="A write token of the service (or the DMKG_TOKEN variable).")


def _or_fail(step: Callable[[], Summary], failed: str) -> Summary:
    """Run a backup or restore step; its failure becomes one line saying what was not done."""
    from kg.backup import BackupFailed

    try:
        return step()
    except BackupFailed as error:
        raise click.ClickException(f"{failed}: {error}") from error


@main.command()
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
@_SERVICE
@_TOKEN
def backup(destination: Path, url: str, token: str) -> None:
    """Save the graphs written to a running service into DESTINATION (N-Quads).

    The graphs come from one snapshot of the store; the file appears only once
    complete and checked, so an interrupted backup leaves none.
    """
    from kg.backup import backup as save

    summary = _or_fail(lambda: save(url, token, destination), "no backup written")
    console().print(f"{destination}: {summary.quads} quads in {summary.graphs} graph(s)")


@main.command()
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_SERVICE
@_TOKEN
def restore(source: Path, url: str, token: str) -> None:
    """Make the graphs written to a running service exactly those of SOURCE.

    One transaction: the service holds either its graphs as they were or the
    backup's, never a mix. The build's graphs are not touched.
    """
    from kg.backup import restore as put_back

    summary = _or_fail(lambda: put_back(url, token, source), "nothing restored")
    console().print(f"restored {summary.quads} quads in {summary.graphs} graph(s)")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535),
              help="Port to listen on.")
@click.option("--workers", type=click.IntRange(min=1),
              help="Serve with this many worker processes, sharing one store (default: "
                   "one); each reads requests on its event loop and answers on 8 threads.")
@click.option("--data", "data", multiple=True, metavar="FILE[=GRAPH]",
              help="Serve these RDF files instead of the built graph; a triple file goes to "
                   "GRAPH when given, else to the default graph. Repeat for several files.")
@click.option("--store", metavar="ENGINE",
              help="oxigraph, memory, rdflib, or sparql+http://HOST/PATH for a SPARQL server "
                   "(default: the STORE setting, oxigraph).")
@click.pass_obj
def serve(layout: Layout, host: str, port: int, workers: int | None, data: tuple[str, ...],
          store: str | None) -> None:
    """Start the DMKG web service.

    Serves the built graph (building dist/ first when it is missing or older
    than its inputs), or the files given with --data.
    """
    from service.config import load_settings
    from service.server import run

    overrides: dict[str, Any] = {"HOME": str(layout.root)}
    if data:
        overrides["DATA"] = list(data)
    if store:
        overrides["STORE"] = store
    if not data and not (store or "").startswith("sparql+"):
        _ensure_built(layout)
    try:
        # Read once, here: the server, the application and the store are given them.
        settings = load_settings(overrides)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    _check_address(host, port)
    run(settings, host, port, workers)


def _check_address(host: str, port: int) -> None:
    """Fail in one line when the address cannot be listened on (in use, unknown, refused)."""
    import socket

    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: "
                                   f"{error.strerror or error}") from None

