"""Read SPARQL files that carry '# title:' and '# description:' header lines."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class QueryParameter:
    """A variable a caller may bind: '# param: NAME TYPE [DEFAULT] [-- DESCRIPTION]'."""

    name: str
    type: str  # iri, string, integer or date
    default: str | None
    description: str


@dataclass(frozen=True)
class QueryFile:
    """A named SPARQL query with its title, description and parameters."""

    name: str
    title: str
    description: str
    text: str
    path: Path
    parameters: tuple[QueryParameter, ...] = ()


def _parameter(spec: str) -> QueryParameter:
    head, _, description = spec.partition("--")
    words = head.split()
    if len(words) < 2 or words[1] not in {"iri", "string", "integer", "date"}:
        raise ValueError(f"a parameter is 'NAME TYPE [DEFAULT] [-- DESCRIPTION]', got {spec!r}")
    default = words[2] if len(words) > 2 else None
    return QueryParameter(words[0].lstrip("?$"), words[1], default, description.strip())


def read_query(path: Path) -> QueryFile:
    """Read one query file and its header lines."""
    text = path.read_text(encoding="utf-8")
    headers: dict[str, str] = {}
    parameters = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        key, sep, value = line.lstrip("# ").partition(":")
        if sep and key.strip().lower() == "param":
            parameters.append(_parameter(value))
        elif sep:
            headers[key.strip().lower()] = value.strip()
    return QueryFile(
        name=path.stem,
        title=headers.get("title", path.stem),
        description=headers.get("description", ""),
        text=text,
        path=path,
        parameters=tuple(parameters),
    )


def read_queries(folder: Path) -> list[QueryFile]:
    """Read every *.rq file of folder, sorted by name."""
    return [read_query(p) for p in sorted(folder.glob("*.rq"))]
