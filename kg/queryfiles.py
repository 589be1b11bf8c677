"""Read SPARQL files that carry '# title:' and '# description:' header lines."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class QueryFile:
    """A named SPARQL query with its title and description."""

    name: str
    title: str
    description: str
    text: str
    path: Path


def read_query(path: Path) -> QueryFile:
    """Read one query file and its header lines."""
    text = path.read_text(encoding="utf-8")
    headers: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        key, sep, value = line.lstrip("# ").partition(":")
        if sep:
            headers[key.strip().lower()] = value.strip()
    return QueryFile(
        name=path.stem,
        title=headers.get("title", path.stem),
        description=headers.get("description", ""),
        text=text,
        path=path,
    )


def read_queries(folder: Path) -> list[QueryFile]:
    """Read every *.rq file of folder, sorted by name."""
    return [read_query(p) for p in sorted(folder.glob("*.rq"))]
