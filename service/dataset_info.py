"""What the service says about its dataset: version, last change, downloads, for every
description of it (VoID, the service description, /dataset, the home page)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, XSD

from kg.version import project_version
from kg.void import DATASET, VOID

DCAT = Namespace("http://www.w3.org/ns/dcat#")
# The dumps served under /dumps/: the built dataset files, and compressed copies of them.
DUMPS = {"dmkg.nq": "application/n-quads", "dmkg.trig": "application/trig"}
COMPRESSED = ".gz"


@dataclass
class DatasetInfo:
    """The version of the data served and when it last changed."""

    dist: Path | None  # the built dataset folder, when the service serves it
    modified: datetime
    version: str = field(default_factory=project_version)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def of(cls, home: Path, serves_dist: bool) -> DatasetInfo:
        """Describe the data: dist/'s when served (changed when it was built), else now."""
        dataset = home / "dist" / "dmkg.nq"
        if serves_dist and dataset.is_file():
            built = datetime.fromtimestamp(dataset.stat().st_mtime, UTC)
            return cls(dataset.parent, built.replace(microsecond=0))
        return cls(None, datetime.now(UTC).replace(microsecond=0))

    def changed(self) -> None:
        """Record a change of the data (a write)."""
        with self.lock:
            self.modified = datetime.now(UTC).replace(microsecond=0)

    def dump(self, name: str) -> Path | None:
        """The file of a dump name (compressed ones excepted), when this service has it."""
        if self.dist is None or name not in DUMPS:
            return None
        path = self.dist / name
        return path if path.is_file() else None

    def dump_names(self) -> list[str]:
        """The names under /dumps/ this service answers."""
        return [f"{name}{suffix}" for name in DUMPS if self.dump(name)
                for suffix in ("", COMPRESSED)]

    def describe(self, graph: Graph, subject: URIRef | BNode = DATASET, base: str = "") -> None:
        """Add the version, the last change and the downloads to a description."""
        graph.bind("dcat", DCAT)
        graph.add((subject, DCTERMS.modified, Literal(self.modified.isoformat(),
                                                      datatype=XSD.dateTime)))
        graph.add((subject, DCAT.version, Literal(self.version)))
        graph.add((subject, DCTERMS.hasVersion, Literal(self.version)))
        for name in self.dump_names():
            graph.add((subject, VOID.dataDump, URIRef(f"{base}/dumps/{name}")))
