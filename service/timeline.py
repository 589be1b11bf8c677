"""Draw an entity's control measures on a time line, as an SVG picture built server-side."""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from kg.namespaces import DMR
from service.description import Measure
from service.i18n import WORDS, date_text

# The words around the ends of a period (start, end, open start): for a date with its day,
# then for a month or a year.
BOUNDS = {"en": (("from", "to", "since"), ("from", "to", "since")),
          "fr": (("du", "au", "depuis le"), ("de", "à", "depuis"))}
# Widths of characters in ems, in the proportions of common sans-serif faces, to measure a
# label before drawing it: the picture has no font metrics of its own.
NARROW, WIDE, CAPITAL, OTHER = 0.36, 0.95, 0.76, 0.63
NARROW_CHARACTERS = frozenset(" .,:;'\u2019|!()[]-/fijlrtI")
WIDE_CHARACTERS = frozenset("mwMW—%@")
FONT_SIZE = 11

# One colour per control category, each far from the others in hue or lightness; measures
# that only impose duties share the last one.
CATEGORY_COLOURS = {
    f"{DMR}concept/fr-stupefiants": "#b03a2e",
    f"{DMR}concept/fr-liste-i": "#d68910",
    f"{DMR}concept/fr-liste-ii": "#e8d44d",
    f"{DMR}concept/un-1961-schedule-i": "#1f4e8c",
    f"{DMR}concept/un-1961-schedule-ii": "#0e9aa7",
    f"{DMR}concept/un-1961-schedule-iii": "#c2417e",
    f"{DMR}concept/un-1961-schedule-iv": "#4d3319",
    f"{DMR}concept/un-1971-schedule-i": "#6c3483",
    f"{DMR}concept/not-internationally-controlled": "#7f8c8d",
}
DUTIES_ONLY = "#1e8449"
WIDTH, LEFT, RIGHT, ROW, TOP = 760, 12, 12, 34, 28


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """The width text takes at size, on the generous side."""
    ems = sum(NARROW if c in NARROW_CHARACTERS else WIDE if c in WIDE_CHARACTERS
              else CAPITAL if c.isupper() else OTHER for c in text)
    return ems * size


def fitted(text: str, room: float) -> str:
    """text, or as much of it as fits in room followed by an ellipsis."""
    if text_width(text) <= room:
        return text
    while text and text_width(text + "…") > room:
        text = text[:-1]
    return text.rstrip() + "…"


def _label(text: str, start: float, end: float) -> tuple[float, str, str]:
    """Where a bar's label goes (x, anchor) and what of it is shown: after the bar's start
    when it fits there, else ending at the bar's end, else cut to the larger room."""
    after = WIDTH - RIGHT - (start + 2)
    right = min(end, WIDTH - RIGHT)
    before = right - LEFT
    if text_width(text) <= after or after >= before:
        return start + 2, "start", fitted(text, after)
    return right, "end", fitted(text, before)


def legend(rows: list[dict[str, Any]], duties_only: str) -> list[tuple[str, str]]:
    """(colour, category) of each category drawn, in the order they first appear."""
    seen: dict[str, str] = {}
    for row in rows:
        seen.setdefault(row["colour"], row["category"] or duties_only)
    return list(seen.items())


def _legend_svg(entries: list[tuple[str, str]], top: float, title: str) -> tuple[str, float]:
    """The legend under the bars, entries flowing in lines; and the height it takes."""
    parts = [f'<g class="legend"><text x="{LEFT}" y="{top + 12}" font-weight="600">'
             f"{escape(title)}</text>"]
    x, y = float(LEFT), top + 20
    for colour, name in entries:
        width = 16 + text_width(name) + 14
        if x + width > WIDTH - RIGHT and x > LEFT:
            x, y = LEFT, y + 18
        shown = fitted(name, WIDTH - RIGHT - x - 14)
        parts.append(f'<path d="M{x:.1f},{y + 2} h10 v10 h-10 z" fill="{colour}"/>'
                     f'<text x="{x + 14:.1f}" y="{y + 11}">{escape(shown)}</text>')
        x += width
    parts.append("</g>")
    return "".join(parts), y + 18 - top


def _day(value: str | None, last: bool = False) -> dt.date | None:
    """Read an xsd:date or xsd:gYear as a day (a year as its first, or last, day)."""
    if not value:
        return None
    if len(value) == 4:
        return dt.date(int(value), 12, 31) if last else dt.date(int(value), 1, 1)
    return dt.date.fromisoformat(value[:10])


def _bound(value: str, lang: str, which: int) -> str:
    """value as one end of a period: which is 0 for its start, 1 its end, 2 an open start.
    French writes « du 1er mai » and « au 1er mai » but « de 2001 », « d'avril » and « à 2003 »."""
    words = BOUNDS[lang][0 if len(value) == 10 else 1][which]
    text = date_text(value, lang)
    if words == "de" and text[0] in "aeiouéèê":
        return f"d\u2019{text}"
    return f"{words} {text}"


def period(row: dict[str, Any], lang: str) -> str:
    """When a row's measure applies, in words: from … to …, since …, or the day its status
    was recorded (a status no text set in force has no start)."""
    if row["as_of"]:
        return f'{WORDS[lang]["as_of"]} {date_text(row["as_of"], lang)}'
    if not row["until"]:
        return _bound(row["from"], lang, 2)
    return f'{_bound(row["from"], lang, 0)} {_bound(row["until"], lang, 1)}'


def bars(measures: list[Measure]) -> list[dict[str, Any]]:
    """One row per measure: start, end, colour, category and text, oldest first."""
    rows = []
    for m in measures:
        start = _day(m.effective_from) or _day(m.as_of)
        if start is None:
            continue
        status = m.status
        rows.append({
            "id": m.id, "label": m.label, "start": start,
            "end": _day(m.effective_until), "point": m.as_of is not None,
            "colour": CATEGORY_COLOURS.get(status.iri, "#5d6d7e") if status else DUTIES_ONLY,
            "category": status.label if status else None,
            "instruments": [i.label for i in m.established_by],
            "regulates": ", ".join(r.label for r in m.regulates),
            "from": m.effective_from, "as_of": None if m.effective_from else m.as_of,
            "until": m.effective_until})
    return sorted(rows, key=lambda r: (r["start"], r["label"]))


def svg(measures: list[Measure], title: str, today: dt.date,
        href: str = "/id/{id}", lang: str = "en") -> str:
    """Return the time line: a bar per measure from its entry into force to its end, its
    hover titles dated as people of lang read dates, and the legend of its colours."""
    rows = bars(measures)
    if not rows:
        return ""
    first = min(r["start"] for r in rows).year
    last = max([today.year, *(r["end"].year for r in rows if r["end"])]) + 1
    span = (dt.date(last, 1, 1) - dt.date(first, 1, 1)).days
    usable = WIDTH - LEFT - RIGHT

    def x(day: dt.date) -> float:
        return LEFT + usable * (day - dt.date(first, 1, 1)).days / span

    words = WORDS[lang]
    key, key_height = _legend_svg(legend(rows, words["duties_only"]), TOP + ROW * len(rows),
                                  words["legend"])
    height = TOP + ROW * len(rows) + 10 + key_height
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
             f'width="100%" role="img" aria-label="{escape(title)}" '
             f'font-family="system-ui, sans-serif" font-size="{FONT_SIZE}">']
    step = max(1, (last - first) // 10)
    for year in range(first, last + 1, step):
        gx = x(dt.date(year, 1, 1))
        if gx > WIDTH - RIGHT - 30:  # no room for the year's number
            continue
        parts.append(f'<line x1="{gx:.1f}" y1="{TOP - 6}" x2="{gx:.1f}" '
                     f'y2="{TOP + ROW * len(rows) + 4}" '
                     f'stroke="#e1e4e8"/><text x="{gx + 2:.1f}" y="{TOP - 10}" '
                     f'fill="#586069">{year}</text>')
    for index, row in enumerate(rows):
        y = TOP + index * ROW
        start = x(row["start"])
        end = x(row["end"]) if row["end"] else x(dt.date(last, 1, 1))
        # A bar is named by its measure: several measures rest on one text.
        text = row["label"]
        # A label that names its own period (to tell two measures apart) is not told it twice.
        when = f"({period(row, lang)})"
        title_text = text if text.endswith(when) else f"{text} {when}"
        if row["instruments"]:
            title_text += (f'. {words["established_by"].capitalize()} '
                           + (words["semicolon"] + " ").join(row["instruments"]))
        link = escape(href.format(id=row["id"]))
        if row["point"]:
            shape = (f'<path d="M{start:.1f},{y + 4} l6,6 l-6,6 l-6,-6 z" '
                     f'fill="{row["colour"]}"/>')
        else:
            shape = (f'<rect x="{start:.1f}" y="{y + 4}" width="{max(end - start, 2):.1f}" '
                     f'height="12" rx="2" fill="{row["colour"]}"/>')
        tx, anchor, shown = _label(text, start, end)
        parts.append(f'<a href="{link}"><title>{escape(title_text)}</title>{shape}'
                     f'<text x="{tx:.1f}" y="{y + 28}" text-anchor="{anchor}" '
                     f'fill="#1d2330">{escape(shown)}</text></a>')
    parts.append(key)
    parts.append("</svg>")
    return "".join(parts)
