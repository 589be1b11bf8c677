"""Draw an entity's neighbourhood as an SVG picture, server-side, with no script.

Neighbours are grouped by relation: what the entity points to on the right, what points to
it on the left, one box per relation with an arrow to or from the entity. A box shows at most
CAP neighbours and then "and N more", linking to the full list; each label shows whole on
hover. The picture grows in height with the number of relations, so it stays readable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape

from service.description import EntityDescription, Link

KIND_COLOURS = {
    "substance": "#c0392b", "channel": "#2471a3", "actor": "#7d3c98", "place": "#1e8449",
    "regulation": "#b9770e", "source": "#566573", "claim": "#a04000", "practice": "#117a65",
    "risk": "#922b21", "factor": "#6c3483", "concept": "#5d6d7e",
}
CAP = 6
WIDTH, COLUMN, ROW, HEAD, GAP = 820, 270, 20, 24, 14


@dataclass
class Group:
    """The neighbours linked to the entity by one relation, in one direction."""

    label: str
    outgoing: bool
    property_iri: str
    members: list[Link] = field(default_factory=list)

    @property
    def shown(self) -> list[Link]:
        return self.members[:CAP]

    @property
    def hidden(self) -> int:
        return max(0, len(self.members) - CAP)

    @property
    def height(self) -> int:
        return HEAD + ROW * (len(self.shown) + (1 if self.hidden else 0)) + 6


def groups(described: EntityDescription) -> list[Group]:
    """The entity's linked individuals, grouped by relation and direction (claims about it
    are left to the claims list)."""
    found: dict[tuple[str, bool], Group] = {}
    pairs = [(True, r.property, r.value) for r in described.relations] + [
        (False, r.property, r.subject) for r in described.incoming]
    for outgoing, prop, target in pairs:
        if not isinstance(target, Link) or target.id is None:
            continue
        group = found.setdefault((prop.iri, outgoing), Group(prop.label, outgoing, prop.iri))
        if all(m.iri != target.iri for m in group.members):
            group.members.append(target)
    for group in found.values():
        group.members.sort(key=lambda m: m.label.casefold())
    return sorted(found.values(), key=lambda g: (-len(g.members), g.label))


def neighbours(described: EntityDescription) -> list[tuple[str, Link, bool]]:
    """(relation label, linked resource, outgoing?) for every neighbour drawn or counted."""
    return [(g.label, m, g.outgoing) for g in groups(described) for m in g.members]


def _short(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def _column(items: list[Group], x: float, href: str, more: Callable[[Group], str],
            more_words: str) -> tuple[list[str], list[tuple[Group, float]], int]:
    parts: list[str] = []
    anchors: list[tuple[Group, float]] = []
    y = 10
    for group in items:
        arrow = "→" if group.outgoing else "←"
        parts.append(f'<g class="group"><rect x="{x}" y="{y}" width="{COLUMN}" '
                     f'height="{group.height}" rx="6" fill="#f7f9fc" stroke="#d5dbe5"/>'
                     f'<text x="{x + 10}" y="{y + 17}" font-weight="600" fill="#4b5565">'
                     f"<title>{escape(group.label)} ({len(group.members)})</title>"
                     f"{escape(arrow)} {escape(_short(group.label, 30))} "
                     f"({len(group.members)})</text>")
        row = y + HEAD
        for member in group.shown:
            colour = KIND_COLOURS.get(str(member.id).split("/")[0], "#5d6d7e")
            parts.append(f'<a href="{escape(href.format(id=member.id))}">'
                         f'<title>{escape(member.label)}</title>'
                         f'<circle cx="{x + 16}" cy="{row + 8}" r="5" fill="{colour}"/>'
                         f'<text x="{x + 28}" y="{row + 12}" fill="#1d2330">'
                         f'{escape(_short(member.label, 36))}</text></a>')
            row += ROW
        if group.hidden:
            parts.append(f'<a href="{escape(more(group))}" class="more"><text x="{x + 28}" '
                         f'y="{row + 12}" fill="#25467a" text-decoration="underline">'
                         f"{escape(more_words.format(n=group.hidden))}</text></a>")
        parts.append("</g>")
        anchors.append((group, y + HEAD / 2 + 4))
        y += group.height + GAP
    return parts, anchors, y


def svg(described: EntityDescription, href: str = "/id/{id}",
        more: Callable[[Group], str] | None = None, words: dict[str, str] | None = None) -> str:
    """Return the SVG of the entity and its neighbours grouped by relation, as links."""
    words = words or {"and_more": "and {n} more", "outgoing": "from this entity",
                      "incoming_link": "to this entity", "legend": "Legend", "colon": ":",
                      "neighbourhood_of": "Neighbourhood: {name}"}
    found = groups(described)
    more = more or (lambda g: "#relations" if g.outgoing else "#incoming")
    right, right_x = [g for g in found if g.outgoing], WIDTH - COLUMN - 10
    left, left_x = [g for g in found if not g.outgoing], 10
    left_parts, left_anchors, left_end = _column(left, left_x, href, more, words["and_more"])
    right_parts, right_anchors, right_end = _column(right, right_x, href, more, words["and_more"])
    kinds = sorted({str(m.id).split("/")[0] for g in found for m in g.members}
                   | {described.kind})
    body_height = max(left_end, right_end, 120)
    height = body_height + 30 + 18 * ((len(kinds) + 4) // 5)
    cx, cy = WIDTH / 2, body_height / 2
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
             f'width="{WIDTH}" height="{height}" role="img" '
             f'aria-label="{escape(words["neighbourhood_of"].format(name=described.label))}" '
             'font-family="system-ui, sans-serif" font-size="12">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
             'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" '
             'fill="#8a94a3"/></marker></defs>']
    for group, y in right_anchors:
        parts.append(f'<path d="M{cx + 18:.0f},{cy:.0f} C{cx + 60:.0f},{cy:.0f} '
                     f'{right_x - 40:.0f},{y:.0f} {right_x - 2:.0f},{y:.0f}" fill="none" '
                     f'stroke="#8a94a3" stroke-width="1.4" marker-end="url(#arrow)">'
                     f"<title>{escape(group.label)}</title></path>")
    for group, y in left_anchors:
        parts.append(f'<path d="M{left_x + COLUMN + 2:.0f},{y:.0f} C{left_x + COLUMN + 40:.0f},'
                     f'{y:.0f} {cx - 60:.0f},{cy:.0f} {cx - 18:.0f},{cy:.0f}" fill="none" '
                     f'stroke="#8a94a3" stroke-width="1.4" stroke-dasharray="5 3" '
                     f'marker-end="url(#arrow)"><title>{escape(group.label)}</title></path>')
    parts += left_parts + right_parts
    colour = KIND_COLOURS.get(described.kind, "#5d6d7e")
    parts.append(f'<g class="centre"><title>{escape(described.label)}</title>'
                 f'<circle cx="{cx:.0f}" cy="{cy:.0f}" r="16" fill="{colour}"/>'
                 f'<text x="{cx:.0f}" y="{cy + 34:.0f}" text-anchor="middle" font-weight="bold" '
                 f'font-size="14">{escape(_short(described.label, 30))}</text></g>')
    legend_y = body_height + 18
    parts.append(f'<g class="legend"><text x="10" y="{legend_y}" font-weight="600">'
                 f'{escape(words["legend"] + words["colon"])}</text>'
                 f'<text x="80" y="{legend_y}">→ {escape(words["outgoing"])}   '
                 f'⇠ {escape(words["incoming_link"])}</text>')
    for index, kind in enumerate(kinds):
        x = 10 + 160 * (index % 5)
        y = legend_y + 18 * (1 + index // 5)
        parts.append(f'<circle cx="{x + 6}" cy="{y - 4}" r="5" '
                     f'fill="{KIND_COLOURS.get(kind, "#5d6d7e")}"/>'
                     f'<text x="{x + 16}" y="{y}">{escape(words.get("kind_" + kind, kind))}</text>')
    parts.append("</g></svg>")
    return "".join(parts)
