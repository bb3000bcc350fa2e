"""Charts for the impact dashboard, drawn on the server as inline SVG.

Why not a chart library: the dashboard must render with no network (no CDN), the CSP allows scripts
from our origin only and no inline script or style, and two simple charts do not justify shipping one.
So each chart is a small SVG string with presentation attributes only (``fill``, ``x``, ``width``: no
``style``), every label escaped. Values are drawn to scale from zero; the numbers themselves are in the
tables beside the charts (and their CSV), so the charts need no axis ticks to be read exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

BAR = "#b5542d"
ACCENT = "#2d6a8a"
TEXT = "#333333"


def _scale(value: int | float, largest: int | float, length: float) -> float:
    return 0.0 if largest <= 0 else round(length * max(value, 0) / largest, 1)


def bar_chart(rows: Sequence[tuple[str, int]], *, label: str, fmt: Callable[[int], str] = str,
              width: int = 640) -> Markup:
    """Horizontal bars, one per ``(name, value)``, largest first as given; the value written at each bar's end."""
    bar_height, gap, name_width, value_width = 18, 6, 180, 120
    height = max(1, len(rows)) * (bar_height + gap) + gap
    length = width - name_width - value_width
    largest = max((v for _, v in rows), default=0)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart bar-chart" role="img" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" aria-label="{escape(label)}">'
             f'<title>{escape(label)}</title>']
    for index, (name, value) in enumerate(rows):
        y = gap + index * (bar_height + gap)
        w = _scale(value, largest, length)
        parts.append(
            f'<g class="bar"><text x="{name_width - 6}" y="{y + 13}" text-anchor="end" font-size="12" '
            f'fill="{TEXT}">{escape(name)}</text>'
            f'<rect x="{name_width}" y="{y}" width="{w}" height="{bar_height}" fill="{BAR}"/>'
            f'<text x="{name_width + w + 6}" y="{y + 13}" font-size="12" fill="{TEXT}">{escape(fmt(value))}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def month_chart(months: Sequence[dict[str, int | str]], *, label: str, legend: tuple[str, str],
                width: int = 640, height: int = 220) -> Markup:
    """One column per month: the GMV, with the part shipped outside the shop's city drawn over it."""
    top, bottom, left = 24, 36, 8
    inner = height - top - bottom
    count = max(1, len(months))
    slot = (width - 2 * left) / count
    column = max(2.0, round(slot * 0.7, 1))
    largest = max((int(m["gmv_idr"]) for m in months), default=0)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart month-chart" role="img" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" aria-label="{escape(label)}">'
             f'<title>{escape(label)}</title>',
             f'<rect x="{left}" y="4" width="10" height="10" fill="{BAR}"/>'
             f'<text x="{left + 14}" y="13" font-size="11" fill="{TEXT}">{escape(legend[0])}</text>'
             f'<rect x="{left + 220}" y="4" width="10" height="10" fill="{ACCENT}"/>'
             f'<text x="{left + 234}" y="13" font-size="11" fill="{TEXT}">{escape(legend[1])}</text>']
    for index, month in enumerate(months):
        x = round(left + index * slot + (slot - column) / 2, 1)
        total = _scale(int(month["gmv_idr"]), largest, inner)
        outside = _scale(int(month["outside_city_gmv_idr"]), largest, inner)
        parts.append(
            f'<g class="month"><rect x="{x}" y="{round(top + inner - total, 1)}" width="{column}" height="{total}" '
            f'fill="{BAR}"/><rect x="{x}" y="{round(top + inner - outside, 1)}" width="{column}" '
            f'height="{outside}" fill="{ACCENT}"/>')
        if count <= 13 or index % max(1, count // 12) == 0:
            parts.append(f'<text x="{round(x + column / 2, 1)}" y="{height - bottom + 14}" text-anchor="middle" '
                         f'font-size="10" fill="{TEXT}">{escape(str(month["month"]))}</text>')
        parts.append("</g>")
    parts.append(f'<line x1="{left}" y1="{top + inner}" x2="{width - left}" y2="{top + inner}" stroke="{TEXT}"/></svg>')
    return Markup("".join(parts))
