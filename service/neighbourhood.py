"""Draw an entity's neighbourhood as an SVG picture, server-side, with no script."""

from __future__ import annotations

import math
from html import escape
from typing import Any

KIND_COLOURS = {
    "substance": "#c0392b", "channel": "#2471a3", "actor": "#7d3c98", "place": "#1e8449",
    "regulation": "#b9770e", "source": "#566573", "claim": "#a04000", "practice": "#117a65",
    "risk": "#922b21", "factor": "#6c3483", "concept": "#5d6d7e",
}
MAX_NEIGHBOURS = 14
WIDTH, HEIGHT = 760, 520


def _short(text: str, size: int = 28) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def neighbours(described: dict[str, Any]) -> list[tuple[str, dict[str, Any], bool]]:
    """(edge label, linked resource, outgoing?) for the entity's relations, claims excepted."""
    found: list[tuple[str, dict[str, Any], bool]] = []
    seen: set[str] = set()
    for relation in described["relations"]:
        value = relation["value"]
        if "iri" in value and "id" in value and value["iri"] not in seen:
            seen.add(value["iri"])
            found.append((relation["property"]["label"], value, True))
    for relation in described["incoming"]:
        subject = relation["subject"]
        if "id" in subject and subject["iri"] not in seen:
            seen.add(subject["iri"])
            found.append((relation["property"]["label"], subject, False))
    return found[:MAX_NEIGHBOURS]


def svg(described: dict[str, Any], href: str = "/id/{id}") -> str:
    """Return an SVG of the entity at the centre and its neighbours around it, as links."""
    items = neighbours(described)
    cx, cy = WIDTH / 2, HEIGHT / 2
    radius = min(WIDTH, HEIGHT) / 2 - 70
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'width="100%" role="img" aria-label="{escape(described["label"])}" '
             'font-family="system-ui, sans-serif" font-size="12">']
    positions = []
    for index, _ in enumerate(items):
        angle = 2 * math.pi * index / max(len(items), 1) - math.pi / 2
        positions.append((cx + radius * math.cos(angle), cy + radius * 0.82 * math.sin(angle)))
    for (label, _, outgoing), (x, y) in zip(items, positions, strict=True):
        dashes = "" if outgoing else ' stroke-dasharray="4 3"'  # incoming links are dashed
        parts.append(f'<line x1="{cx:.0f}" y1="{cy:.0f}" x2="{x:.0f}" y2="{y:.0f}" '
                     f'stroke="#aab2bd" stroke-width="1.5"{dashes}/>')
        mx, my = (cx + x) / 2, (cy + y) / 2
        parts.append(f'<text x="{mx:.0f}" y="{my:.0f}" fill="#4b5565" font-size="10" '
                     f'text-anchor="middle">{escape(_short(label, 24))}</text>')
    for (_, target, _), (x, y) in zip(items, positions, strict=True):
        colour = KIND_COLOURS.get(target["id"].split("/")[0], "#5d6d7e")
        link = escape(href.format(id=target["id"]))
        parts.append(f'<a href="{link}"><circle cx="{x:.0f}" cy="{y:.0f}" r="9" '
                     f'fill="{colour}"/><text x="{x:.0f}" y="{y + 22:.0f}" '
                     f'text-anchor="middle" fill="#1d2330">{escape(_short(target["label"]))}'
                     '</text></a>')
    colour = KIND_COLOURS.get(described["kind"], "#5d6d7e")
    parts.append(f'<circle cx="{cx:.0f}" cy="{cy:.0f}" r="16" fill="{colour}"/>'
                 f'<text x="{cx:.0f}" y="{cy + 32:.0f}" text-anchor="middle" font-weight="bold" '
                 f'font-size="14">{escape(_short(described["label"], 40))}</text>')
    parts.append("</svg>")
    return "".join(parts)
