"""The materials of the demo photos (:mod:`marketplace.local.demo_photos`): full-frame patterns that product
shapes are cut from — batik motifs (kawung, parang, mega mendung), woven textiles (ikat, songket,
stripes), basket weave, glaze, terracotta, bamboo, wood, knit, eco print, canvas and cookies.

Each pattern is drawn with whole-shape calls only (no per-pixel loops), so a photo stays a few
milliseconds; the colours are the product's :func:`palette`, derived from its title.
"""

from __future__ import annotations

import colorsys
import hashlib
from collections.abc import Callable

from PIL import Image, ImageDraw

SIDE = 480
RGB = tuple[int, int, int]


def palette(title: str) -> list[RGB]:
    """Three harmonious colours from the title (stable between runs): light, main, dark."""
    hue = int(hashlib.sha256(title.encode()).hexdigest()[:4], 16) / 0xFFFF
    out = []
    for shift, light, sat in ((0.0, 0.88, 0.45), (0.06, 0.45, 0.65), (0.5, 0.28, 0.55)):
        r, g, b = colorsys.hls_to_rgb((hue + shift) % 1.0, light, sat)
        out.append((int(r * 255), int(g * 255), int(b * 255)))
    return out


def mix(a: RGB, b: RGB, t: float) -> RGB:
    return (int(a[0] + (b[0] - a[0]) * t), int(a[1] + (b[1] - a[1]) * t), int(a[2] + (b[2] - a[2]) * t))


# --- materials: full-frame patterns that shapes are cut from ------------------------------------------


def _kawung(d: ImageDraw.ImageDraw, c: list[RGB], step: int) -> None:
    d.rectangle((0, 0, SIDE, SIDE), fill=c[0])
    q = step // 2
    for x in range(0, SIDE + step, step):
        for y in range(0, SIDE + step, step):
            for dx, dy in ((-1, 0), (1, 0), (0, -1), (0, 1)):
                cx, cy = x + dx * q // 2, y + dy * q // 2
                rx, ry = (q // 2 - 1, q // 4) if dx else (q // 4, q // 2 - 1)
                d.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=c[1], outline=c[2], width=2)
                d.ellipse((cx - 2, cy - 2, cx + 2, cy + 2), fill=c[2])


def _parang(d: ImageDraw.ImageDraw, c: list[RGB], step: int) -> None:
    d.rectangle((0, 0, SIDE, SIDE), fill=c[0])
    w = step // 2
    for k in range(-SIDE, SIDE * 2, step):  # diagonal bands of "S" blades
        d.line((k, 0, k + SIDE, SIDE), fill=c[2], width=w // 3)
        for t in range(0, SIDE + step, step // 2):
            x, y = k + t, t
            d.arc((x - w // 2, y - w, x + w // 2, y), 90, 270, fill=c[1], width=max(3, w // 4))
            d.arc((x + w // 4 - w // 2, y - w // 2, x + w // 4 + w // 2, y + w // 2), 270, 90, fill=c[1], width=max(3, w // 4))
        d.line((k + w, 0, k + w + SIDE, SIDE), fill=c[1], width=2)


def _mega_mendung(d: ImageDraw.ImageDraw, c: list[RGB], step: int) -> None:
    d.rectangle((0, 0, SIDE, SIDE), fill=c[2])
    for row, y in enumerate(range(0, SIDE + step, step)):
        for x in range(-step + (row % 2) * step // 2, SIDE + step, step):
            for i, r in enumerate(range(step // 2 + 10, 6, -8)):
                d.pieslice((x - r, y - r, x + r, y + r), 180, 360, fill=mix(c[2], c[0], i / 5))


def _stripes(d: ImageDraw.ImageDraw, c: list[RGB], step: int) -> None:
    d.rectangle((0, 0, SIDE, SIDE), fill=c[0])
    for i, y in enumerate(range(0, SIDE, step // 3)):
        d.rectangle((0, y, SIDE, y + step // 6), fill=c[1] if i % 3 else c[2])


def _songket(d: ImageDraw.ImageDraw, c: list[RGB], step: int) -> None:
    gold = (214, 170, 60)
    d.rectangle((0, 0, SIDE, SIDE), fill=c[2])
    for row, y in enumerate(range(0, SIDE + step, step)):
        for x in range((row % 2) * step // 2, SIDE + step, step):
            h = step // 3
            d.polygon([(x, y - h), (x + h, y), (x, y + h), (x - h, y)], outline=gold, fill=mix(c[2], gold, 0.3))
            d.ellipse((x - 3, y - 3, x + 3, y + 3), fill=gold)
    for y in range(step // 2, SIDE, step):
        d.line((0, y, SIDE, y), fill=gold, width=1)


def _ikat(d: ImageDraw.ImageDraw, c: list[RGB], step: int) -> None:
    d.rectangle((0, 0, SIDE, SIDE), fill=c[1])
    for row, y in enumerate(range(0, SIDE + step, step)):
        for x in range(0, SIDE + step, step):
            h = step // 2 - 4
            d.polygon([(x, y - h), (x + h // 2, y), (x, y + h), (x - h // 2, y)], fill=c[0])
            d.polygon([(x, y - h // 2), (x + h // 4, y), (x, y + h // 2), (x - h // 4, y)], fill=c[2])
    for x in range(0, SIDE, 3 * step // 2):  # the blur of ikat: jagged vertical edges
        d.line((x, 0, x + 4, SIDE), fill=mix(c[1], c[0], 0.4), width=2)


def _weave(d: ImageDraw.ImageDraw, c: list[RGB], step: int) -> None:
    straw, dark = mix(c[0], (206, 170, 110), 0.7), mix(c[1], (150, 110, 60), 0.6)
    d.rectangle((0, 0, SIDE, SIDE), fill=mix(straw, (0, 0, 0), 0.25))
    s = max(10, step // 3)
    for i, x in enumerate(range(0, SIDE, s)):
        for j, y in enumerate(range(0, SIDE, s)):
            if (i + j) % 2 == 0:
                d.rectangle((x + 1, y + s // 5, x + s - 1, y + s - s // 5), fill=straw)
            else:
                d.rectangle((x + s // 5, y + 1, x + s - s // 5, y + s - 1), fill=dark)


def _glaze(d: ImageDraw.ImageDraw, c: list[RGB], step: int) -> None:
    for y in range(0, SIDE, 8):  # a glaze pooling darker towards the foot
        d.rectangle((0, y, SIDE, y + 8), fill=mix(c[1], c[2], y / SIDE * 0.7))
    for i in range(0, SIDE, 37):
        d.ellipse(((i * 7) % SIDE, (i * 13) % SIDE, (i * 7) % SIDE + 3, (i * 13) % SIDE + 3), fill=c[0])


def _terracotta(d: ImageDraw.ImageDraw, c: list[RGB], step: int) -> None:
    clay = (176, 96, 58)
    d.rectangle((0, 0, SIDE, SIDE), fill=clay)
    for y in range(step // 2, SIDE, step // 2):
        d.line((0, y, SIDE, y), fill=mix(clay, (90, 40, 20), 0.4), width=2)
    for x in range(step // 2, SIDE, step):
        for y in range(step // 4, SIDE, step):
            d.ellipse((x - 4, y - 4, x + 4, y + 4), fill=(232, 206, 160))


def _bamboo(d: ImageDraw.ImageDraw, c: list[RGB], step: int) -> None:
    cane = (204, 178, 112)
    d.rectangle((0, 0, SIDE, SIDE), fill=cane)
    w = max(14, step // 2)
    for x in range(0, SIDE, w):
        d.line((x, 0, x, SIDE), fill=(150, 120, 60), width=2)
        for y in range((x * 3) % step, SIDE, step * 2):
            d.line((x + 2, y, x + w - 2, y), fill=(130, 100, 50), width=3)


def _wood(d: ImageDraw.ImageDraw, c: list[RGB], step: int) -> None:
    base = (170, 118, 70)
    d.rectangle((0, 0, SIDE, SIDE), fill=base)
    for i, y in enumerate(range(0, SIDE, 9)):
        d.line((0, y, SIDE, y + (i % 5) - 2), fill=mix(base, (90, 55, 25), 0.25 + (i % 3) * 0.1), width=2)


def _knit(d: ImageDraw.ImageDraw, c: list[RGB], step: int) -> None:
    d.rectangle((0, 0, SIDE, SIDE), fill=mix(c[1], c[0], 0.3))
    s = max(10, step // 3)
    for x in range(0, SIDE, s):
        for y in range(0, SIDE, s):
            d.line((x, y, x + s // 2, y + s), fill=c[1], width=3)
            d.line((x + s, y, x + s // 2, y + s), fill=mix(c[1], c[2], 0.3), width=3)


def _ecoprint(d: ImageDraw.ImageDraw, c: list[RGB], step: int) -> None:
    d.rectangle((0, 0, SIDE, SIDE), fill=(236, 222, 196))
    for i in range(22):
        x, y = (i * 97) % SIDE, (i * 61 + 40) % SIDE
        r = step // 2 + (i % 4) * 6
        leaf = [(x, y - r), (x + r // 2, y), (x, y + r), (x - r // 2, y)]
        d.polygon(leaf, fill=mix((120, 90, 40), c[2], 0.3 + (i % 3) * 0.15))
        d.line((x, y - r, x, y + r), fill=(90, 60, 30), width=2)


def _canvas(d: ImageDraw.ImageDraw, c: list[RGB], step: int) -> None:
    d.rectangle((0, 0, SIDE, SIDE), fill=(232, 222, 204))
    for x in range(0, SIDE, 4):
        d.line((x, 0, x, SIDE), fill=(222, 210, 190), width=1)


def _food(d: ImageDraw.ImageDraw, c: list[RGB], step: int) -> None:
    d.rectangle((0, 0, SIDE, SIDE), fill=(226, 180, 110))
    for x in range(0, SIDE + step, step // 2 + 8):
        for y in range(0, SIDE + step, step // 2 + 8):
            r = step // 4 + 4
            d.ellipse((x - r, y - r, x + r, y + r), fill=(200, 140, 70), outline=(150, 95, 45), width=2)
            d.ellipse((x - 3, y - 3, x + 3, y + 3), fill=(120, 70, 30))


MATERIALS: dict[str, Callable[[ImageDraw.ImageDraw, list[RGB], int], None]] = {
    "kawung": _kawung, "parang": _parang, "mega_mendung": _mega_mendung, "stripes": _stripes,
    "songket": _songket, "ikat": _ikat, "weave": _weave, "glaze": _glaze, "terracotta": _terracotta,
    "bamboo": _bamboo, "wood": _wood, "knit": _knit, "ecoprint": _ecoprint, "canvas": _canvas, "food": _food,
}


def material(name: str, colours: list[RGB], step: int = 56) -> Image.Image:
    image = Image.new("RGB", (SIDE, SIDE), colours[0])
    MATERIALS[name](ImageDraw.Draw(image), colours, step)
    return image
