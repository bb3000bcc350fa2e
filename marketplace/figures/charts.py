"""Server-side SVG for the programme figures (as the impact dashboard draws its charts: presentation
attributes only, every label escaped, no script, no style, no map tiles): a kelurahan grid per city and
the training funnel's bars."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from markupsafe import Markup, escape

from marketplace.impact.charts import BAR, TEXT

EMPTY, HIDDEN, SENTRA = "#eeeeee", "#d9c9b8", "#2d6a8a"
SHADES = ("#f3d9c9", "#e7b497", "#d48963", "#b5542d")  # fewer → more artisans (light → dark)


def _shade(n: int, largest: int) -> str:
    if largest <= 0:
        return SHADES[0]
    return SHADES[min(len(SHADES) - 1, (len(SHADES) * n - 1) // largest)]


def kelurahan_grid(rows: Sequence[dict[str, Any]], *, label: str, tip: Callable[[dict[str, Any]], str],
                   columns: int = 4) -> Markup:
    """One cell per kelurahan (names and counts in the cell, darker for more artisans; a blue edge and dot
    for a sentra; pale for a kelurahan whose count is suppressed; grey for none). Scales to its box."""
    cell_w, cell_h, gap = 100, 40, 4
    count = max(1, len(rows))
    lines = (count + columns - 1) // columns
    width, height = columns * (cell_w + gap), lines * (cell_h + gap)
    largest = max((r["artisans"] or 0 for r in rows), default=0)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart kelurahan-grid" role="img" width="100%" '
             f'viewBox="0 0 {width} {height}" preserveAspectRatio="xMinYMin meet" aria-label="{escape(label)}">'
             f'<title>{escape(label)}</title>']
    for index, row in enumerate(rows):
        x, y = (index % columns) * (cell_w + gap), (index // columns) * (cell_h + gap)
        if row["suppressed"]:
            fill, value = HIDDEN, "<5"
        elif row["artisans"]:
            fill, value = _shade(row["artisans"], largest), str(row["artisans"])
        else:
            fill, value = EMPTY, "0"
        edge = f' stroke="{SENTRA}" stroke-width="3"' if row["has_sentra"] else ""
        name = row["kelurahan"] if len(row["kelurahan"]) <= 15 else row["kelurahan"][:14] + "…"
        parts.append(
            f'<g class="cell"><title>{escape(tip(row))}</title>'
            f'<rect x="{x}" y="{y}" width="{cell_w}" height="{cell_h}" fill="{fill}"{edge}/>'
            f'<text x="{x + 5}" y="{y + 15}" font-size="11" fill="{TEXT}">{escape(name)}</text>'
            f'<text x="{x + 5}" y="{y + 32}" font-size="12" font-weight="bold" fill="{TEXT}">{escape(value)}</text>'
            + (f'<circle cx="{x + cell_w - 10}" cy="{y + 28}" r="5" fill="{SENTRA}"/>' if row["has_sentra"] else "")
            + "</g>")
    parts.append("</svg>")
    return Markup("".join(parts))


def funnel_chart(steps: Sequence[tuple[str, int]], *, label: str) -> Markup:
    """The funnel's steps as bars from zero, each with its count (scales to its box)."""
    width, bar_h, gap, name_w = 360, 22, 8, 150
    height = len(steps) * (bar_h + gap) + gap
    largest = max((v for _, v in steps), default=0)
    length = width - name_w - 50
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart funnel-chart" role="img" width="100%" '
             f'viewBox="0 0 {width} {height}" preserveAspectRatio="xMinYMin meet" aria-label="{escape(label)}">'
             f'<title>{escape(label)}</title>']
    for index, (name, value) in enumerate(steps):
        y = gap + index * (bar_h + gap)
        w = 0.0 if largest <= 0 else round(length * value / largest, 1)
        parts.append(
            f'<g class="step"><text x="{name_w - 6}" y="{y + 15}" text-anchor="end" font-size="11" fill="{TEXT}">'
            f'{escape(name)}</text><rect x="{name_w}" y="{y}" width="{w}" height="{bar_h}" fill="{BAR}"/>'
            f'<text x="{name_w + w + 5}" y="{y + 15}" font-size="11" fill="{TEXT}">{value}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))
