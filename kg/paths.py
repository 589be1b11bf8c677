"""Locate the project's source folders and build output."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Layout:
    """Where the project's inputs and outputs live."""

    root: Path

    @property
    def ontology_dir(self) -> Path:
        return self.root / "ontology"

    @property
    def ontology_ttl(self) -> Path:
        return self.ontology_dir / "dmo.ttl"

    @property
    def ontology_owl(self) -> Path:
        return self.ontology_dir / "dmo.owl"

    @property
    def shapes_dir(self) -> Path:
        return self.ontology_dir / "shapes"

    @property
    def qc_dir(self) -> Path:
        return self.ontology_dir / "qc"

    @property
    def facts_dir(self) -> Path:
        return self.root / "kg" / "facts"

    @property
    def queries_dir(self) -> Path:
        return self.root / "queries"

    @property
    def dist_dir(self) -> Path:
        return self.root / "dist"


def default_layout() -> Layout:
    """Return the layout rooted at DMKG_HOME, or at the checkout this package sits in."""
    home = os.environ.get("DMKG_HOME")
    return Layout(Path(home).resolve() if home else Path(__file__).resolve().parent.parent)
