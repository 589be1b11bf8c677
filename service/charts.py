"""Bar charts drawn as SVG on the server: pages show them without any script."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

BAR_COLOUR = "#3d6aa8"
ROW, LABEL_WIDTH, BAR_WIDTH = 24, 250, 230


@dataclass(frozen=True)
class Bar:
    """One row of a chart: what is counted, how many, and the list it opens."""

    label: str
    count: int
    href: str | None = None


def _short(text: str, size: int = 32) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def bar_chart(title: str, bars: list[Bar], colon: str = ":") -> str:
    """Horizontal bars, longest first as given, each a link with its full label on hover
    (label, colon as the page's language writes it, count)."""
    height = ROW * max(len(bars), 1) + 8
    width = LABEL_WIDTH + BAR_WIDTH + 50
    top = max((b.count for b in bars), default=0) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} '
             f'{height}" width="{width}" height="{height}" role="img" '
             f'aria-label="{escape(title)}" font-family="system-ui, sans-serif" font-size="12">',
             f"<title>{escape(title)}</title>"]
    for index, bar in enumerate(bars):
        y = 4 + index * ROW
        length = max(2.0, BAR_WIDTH * bar.count / top)
        row = (f'<g class="bar"><title>{escape(bar.label)}{colon} {bar.count}</title>'
               f'<text x="{LABEL_WIDTH - 6}" y="{y + 15}" text-anchor="end" fill="#1d2330">'
               f"{escape(_short(bar.label))}</text>"
               f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{length:.1f}" height="{ROW - 8}" '
               f'fill="{BAR_COLOUR}" rx="2"/>'
               f'<text x="{LABEL_WIDTH + length + 5:.1f}" y="{y + 15}" fill="#4b5565">'
               f"{bar.count}</text></g>")
        if bar.href:
            row = f'<a href="{escape(bar.href)}">{row}</a>'
        parts.append(row)
    parts.append("</svg>")
    return "".join(parts)
