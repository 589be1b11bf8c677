"""Push a built dataset into a SPARQL server, graph by graph, without ever leaving half a graph.

Each named graph is written into a staging graph first (in chunks, or whole when it holds
blank nodes, which must arrive in one request to stay the same nodes); only when every chunk
has landed does one MOVE replace the published graph. Loading twice leaves one copy.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox

from kg.store.oxigraph_backend import rdf_format_of

CHUNK = 1000  # Virtuoso's SPARQL compiler runs out of memory on much larger requests
LoadProgress = Callable[[str, int, int], None]


class Updatable(Protocol):
    """A SPARQL server that runs updates (the remote backend, or a test's stand-in)."""

    def update(self, sparql: str) -> None: ...


def _graphs(path: Path, graph: str | None) -> dict[str, list[str]]:
    """Read a file into N-Triples lines per target graph."""
    by_graph: dict[str, list[str]] = defaultdict(list)
    fmt = rdf_format_of(path)
    for quad in ox.parse(path=str(path), format=fmt):
        if isinstance(quad, ox.Quad) and not isinstance(quad.graph_name, ox.DefaultGraph):
            name = quad.graph_name.value
        elif graph:
            name = graph
        else:
            raise ValueError(f"{path}: a triple outside any named graph; give a target graph")
        by_graph[name].append(str(ox.Triple(quad.subject, quad.predicate, quad.object)) + " .")
    return dict(by_graph)


STAGING = "#dmkg-staging-"


def push(backend: Updatable, path: Path, graph: str | None = None,
         progress: LoadProgress = lambda name, done, total: None) -> dict[str, int]:
    """Load path into the server behind backend; return the triples written per graph.

    Every graph is staged first; one final request moves them all into place, so a load that
    fails on the way leaves the published graphs as they were.
    """
    update = backend.update
    staged: dict[str, str] = {}
    written = {}
    try:
        for name, lines in sorted(_graphs(path, graph).items()):
            digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()[:12]
            staging = f"{name}{STAGING}{digest}"
            staged[name] = staging
            update(f"DROP SILENT GRAPH <{staging}>")
            whole = any("_:" in line for line in lines)
            size = len(lines) if whole else CHUNK
            for start in range(0, len(lines), size):
                chunk = "\n".join(lines[start:start + size])
                if whole:
                    # INSERT DATA may not hold blank nodes (Virtuoso refuses them); a template
                    # with an empty WHERE makes them once, consistently, for the whole graph.
                    update(f"INSERT {{ GRAPH <{staging}> {{\n{chunk}\n}} }} WHERE {{ }}")
                else:
                    update(f"INSERT DATA {{ GRAPH <{staging}> {{\n{chunk}\n}} }}")
                progress(name, min(start + size, len(lines)), len(lines))
            written[name] = len(lines)
        update(" ;\n".join(f"MOVE SILENT GRAPH <{staging}> TO GRAPH <{name}>"
                           for name, staging in staged.items()))
    except BaseException:
        for staging in staged.values():
            with contextlib.suppress(Exception):  # best effort; the next load drops them too
                update(f"DROP SILENT GRAPH <{staging}>")
        raise
    return written
