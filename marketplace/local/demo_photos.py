"""Demo product photos, drawn offline with Pillow, that show what the product is.

The materials (batik motifs, weaves, glaze...) are in :mod:`marketplace.local.demo_materials`.

A shopper browsing the demo should see a batik cloth with a kawung or parang motif, a woven bag, a
ceramic mug, a cookie jar, not abstract shapes. Each photo is a small still life: a wall, a wooden
table and the product drawn from simple shapes filled with its material (a batik motif, a weave, a
glaze, bamboo, knit...). The kind of product comes from words of its title (``cangkir`` → mugs,
``tas`` → a bag), else its category. Variant 0 is the product on the table, 1 a close-up of its
material or motif, 2 the product again from nearer, on another backdrop: two or three photos per
listing give the gallery something to show.

Fast on purpose (``marketplace run`` seeds on first start): only whole-shape drawing calls, no
per-pixel Python loops; a photo takes a few milliseconds. Deterministic: the colours come from the title.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from typing import Any

from PIL import Image, ImageDraw

from marketplace.local.demo_materials import RGB, SIDE, material, mix, palette


# --- the scene and the products ------------------------------------------------------------------------


def _scene(colours: list[RGB], variant: int) -> tuple[Image.Image, int]:
    """A wall and a wooden table; the table's top edge (y) is where products stand."""
    wall = mix(colours[0], (250, 246, 238), 0.6 if variant != 2 else 0.2)
    image = Image.new("RGB", (SIDE, SIDE), wall)
    d = ImageDraw.Draw(image)
    for y in range(0, SIDE, 12):  # soft light from above
        d.rectangle((0, y, SIDE, y + 12), fill=mix(wall, (255, 255, 255), max(0.0, 0.35 - y / SIDE)))
    table = int(SIDE * 0.72)
    image.paste(material("wood", colours).crop((0, 0, SIDE, SIDE - table)), (0, table))
    d.line((0, table, SIDE, table), fill=(120, 80, 45), width=3)
    return image, table


def _cut(image: Image.Image, pattern: Image.Image, shape: Callable[[ImageDraw.ImageDraw], None], *,
         shade: float = 0.0) -> None:
    """Paste ``pattern`` through the mask ``shape`` draws (white = keep), optionally darkened."""
    mask = Image.new("L", (SIDE, SIDE), 0)
    shape(ImageDraw.Draw(mask))
    if shade:
        pattern = Image.blend(pattern, Image.new("RGB", (SIDE, SIDE), (0, 0, 0)), shade)
    image.paste(pattern, (0, 0), mask)


def _shadow(d: ImageDraw.ImageDraw, cx: int, y: int, w: int) -> None:
    d.ellipse((cx - w // 2, y - 8, cx + w // 2, y + 10), fill=(92, 62, 36))


def draw_cloth(img: Image.Image, d: ImageDraw.ImageDraw, pat: Image.Image, c: list[RGB], floor: int, k: float) -> None:
    """A cloth hung over a rod: a long rectangle with a draped, fringed hem."""
    w, top = int(300 * k), int(40 + (1 - k) * 60)
    x0, x1, bottom = SIDE // 2 - w // 2, SIDE // 2 + w // 2, floor + 20
    d.line((x0 - 30, top, x1 + 30, top), fill=(110, 75, 40), width=8)
    hem = [(x1, bottom - 14)] + [(x1 - i * w // 8, bottom - (14 if i % 2 else 0)) for i in range(1, 8)] + [(x0, bottom - 14)]
    _cut(img, pat, lambda m: m.polygon([(x0, top), (x1, top), *hem], fill=255))
    for i in range(1, 4):  # folds
        x = x0 + i * w // 4
        d.line((x, top + 6, x + 6, bottom - 20), fill=mix(c[2], (0, 0, 0), 0.3), width=2)
    for x in range(x0 + 4, x1, 8):
        d.line((x, bottom - 8, x, bottom + 6), fill=c[2], width=2)


def draw_shirt(img: Image.Image, d: ImageDraw.ImageDraw, pat: Image.Image, c: list[RGB], floor: int, k: float) -> None:
    cx, top, w = SIDE // 2, int(70 + (1 - k) * 40), int(240 * k)
    body = [(cx - w // 2, top + 30), (cx - w // 2 - 60, top + 110), (cx - w // 2 - 20, top + 140),
            (cx - w // 2 + 10, top + 110), (cx - w // 2 + 10, floor), (cx + w // 2 - 10, floor),
            (cx + w // 2 - 10, top + 110), (cx + w // 2 + 20, top + 140), (cx + w // 2 + 60, top + 110),
            (cx + w // 2, top + 30), (cx + 30, top), (cx, top + 30), (cx - 30, top)]
    d.line((cx - 50, top - 10, cx, top - 40, cx + 50, top - 10), fill=(110, 75, 40), width=4)  # hanger
    _cut(img, pat, lambda m: m.polygon(body, fill=255))
    d.line((cx, top + 30, cx, floor), fill=mix(c[2], (0, 0, 0), 0.3), width=2)
    for y in range(top + 50, floor, 40):
        d.ellipse((cx + 4, y, cx + 10, y + 6), fill=(240, 236, 228))


def draw_bag(img: Image.Image, d: ImageDraw.ImageDraw, pat: Image.Image, c: list[RGB], floor: int, k: float, *,
             handles: bool = True) -> None:
    cx, w, h = SIDE // 2, int(260 * k), int(220 * k)
    top = floor + 10 - h
    if handles:
        for dx in (-w // 4, w // 4):
            d.arc((cx + dx - w // 6, top - h // 2, cx + dx + w // 6, top + h // 4), 180, 360, fill=mix(c[2], (60, 40, 20), 0.5), width=10)
    body = [(cx - w // 2 + 20, top), (cx + w // 2 - 20, top), (cx + w // 2, floor + 10), (cx - w // 2, floor + 10)]
    _shadow(d, cx, floor + 10, w + 20)
    _cut(img, pat, lambda m: m.polygon(body, fill=255))
    d.line((cx - w // 2 + 20, top + 12, cx + w // 2 - 20, top + 12), fill=mix(c[2], (40, 30, 20), 0.4), width=6)
    if not handles:  # a flap and a clasp
        d.polygon([(cx - w // 2 + 20, top), (cx + w // 2 - 20, top), (cx, top + h // 2)], fill=mix(c[1], (0, 0, 0), 0.2))
        d.ellipse((cx - 8, top + h // 2 - 12, cx + 8, top + h // 2 + 4), fill=(214, 170, 60))


def draw_pouch(img: Image.Image, d: ImageDraw.ImageDraw, pat: Image.Image, c: list[RGB], floor: int, k: float) -> None:
    """A clutch, pouch or wallet: a bag without handles, with a flap and a clasp."""
    draw_bag(img, d, pat, c, floor, k * 0.8, handles=False)


def draw_mugs(img: Image.Image, d: ImageDraw.ImageDraw, pat: Image.Image, c: list[RGB], floor: int, k: float) -> None:
    w, h = int(130 * k), int(150 * k)
    for i, cx in enumerate((SIDE // 2 - int(80 * k), SIDE // 2 + int(90 * k))):
        base = floor + 6 + i * 12
        top = base - h
        _shadow(d, cx, base, w + 30)
        d.arc((cx + w // 2 - 20, top + 25, cx + w // 2 + 45, top + h - 35), 270, 90, fill=mix(c[1], c[2], 0.5), width=14)
        _cut(img, pat, lambda m, cx=cx, top=top, base=base: (m.rectangle((cx - w // 2, top + 10, cx + w // 2, base - 10), fill=255),
                                                          m.ellipse((cx - w // 2, base - 22, cx + w // 2, base), fill=255)))
        d.ellipse((cx - w // 2, top, cx + w // 2, top + 22), fill=mix(c[0], (255, 255, 255), 0.3), outline=c[2], width=3)
        d.ellipse((cx - w // 2 + 8, top + 5, cx + w // 2 - 8, top + 18), fill=(92, 56, 30))  # coffee


def draw_vase(img: Image.Image, d: ImageDraw.ImageDraw, pat: Image.Image, c: list[RGB], floor: int, k: float) -> None:
    cx, h = SIDE // 2, int(300 * k)
    top = floor + 8 - h
    points = []
    for i in range(21):
        t = i / 20
        r = (40 + 90 * math.sin(math.pi * (0.15 + 0.8 * t)) ** 1.5) * k
        points.append((cx + r, top + t * h))
    outline = points + [(2 * cx - x, y) for x, y in reversed(points)]
    _shadow(d, cx, floor + 8, int(200 * k))
    _cut(img, pat, lambda m: m.polygon(outline, fill=255))
    d.ellipse((cx - 40 * k, top - 8, cx + 40 * k, top + 10), fill=mix(c[2], (0, 0, 0), 0.3))


def draw_plate(img: Image.Image, d: ImageDraw.ImageDraw, pat: Image.Image, c: list[RGB], floor: int, k: float) -> None:
    cx, cy, rx, ry = SIDE // 2, floor + 40, int(190 * k), int(80 * k)
    _shadow(d, cx, cy + ry - 4, 2 * rx)
    d.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=(244, 240, 232), outline=c[2], width=4)
    _cut(img, pat, lambda m: m.ellipse((cx - rx + 30, cy - ry + 14, cx + rx - 30, cy + ry - 14), fill=255))
    for i in range(6):  # leaves on the rim
        a = i * math.pi / 3
        x, y = cx + math.cos(a) * (rx - 16), cy + math.sin(a) * (ry - 7)
        d.ellipse((x - 10, y - 5, x + 10, y + 5), fill=(90, 140, 80))


def draw_bowl(img: Image.Image, d: ImageDraw.ImageDraw, pat: Image.Image, c: list[RGB], floor: int, k: float) -> None:
    cx, w, h = SIDE // 2, int(320 * k), int(150 * k)
    top = floor + 10 - h
    _shadow(d, cx, floor + 10, w)
    _cut(img, pat, lambda m: m.chord((cx - w // 2, top - h, cx + w // 2, floor + 10), 0, 180, fill=255))
    d.ellipse((cx - w // 2, top - 16, cx + w // 2, top + 16), fill=mix(c[0], (255, 255, 255), 0.4), outline=c[2], width=3)
    d.rectangle((cx - w // 6, floor + 4, cx + w // 6, floor + 14), fill=mix(c[2], (0, 0, 0), 0.2))


def draw_jar(img: Image.Image, d: ImageDraw.ImageDraw, pat: Image.Image, c: list[RGB], floor: int, k: float) -> None:
    """A glass jar of cookies with a coloured lid (toples kue)."""
    food = material("food", c, 48)
    for i, (cx, w, h) in enumerate(((SIDE // 2 - int(70 * k), int(170 * k), int(230 * k)), (SIDE // 2 + int(110 * k), int(120 * k), int(160 * k)))):
        base, top = floor + 10 + i * 6, floor + 10 + i * 6 - h
        _shadow(d, cx, base, w + 20)
        d.rounded_rectangle((cx - w // 2, top, cx + w // 2, base), radius=24, fill=(226, 236, 238), outline=(170, 190, 196), width=3)
        _cut(img, food, lambda m, cx=cx, w=w, top=top, base=base: m.rounded_rectangle((cx - w // 2 + 8, top + h // 4, cx + w // 2 - 8, base - 8), radius=16, fill=255))
        d.rounded_rectangle((cx - w // 2 - 6, top - 26, cx + w // 2 + 6, top + 4), radius=8, fill=c[1], outline=c[2], width=3)
        d.line((cx - w // 2 + 14, top + 16, cx - w // 2 + 14, base - 20), fill=(250, 252, 252), width=5)  # glass shine


def draw_bottles(img: Image.Image, d: ImageDraw.ImageDraw, pat: Image.Image, c: list[RGB], floor: int, k: float) -> None:
    for i in range(3):
        cx, w, h = SIDE // 2 + int((i - 1) * 110 * k), int(70 * k), int(240 * k)
        base = floor + 10
        _shadow(d, cx, base, w + 20)
        d.rounded_rectangle((cx - w // 2, base - h + 60, cx + w // 2, base), radius=14, fill=(160, 40, 40))
        d.rectangle((cx - w // 6, base - h, cx + w // 6, base - h + 70), fill=(170, 60, 50))
        d.rectangle((cx - w // 2, base - h // 2, cx + w // 2, base - h // 4), fill=c[0])


def draw_box(img: Image.Image, d: ImageDraw.ImageDraw, pat: Image.Image, c: list[RGB], floor: int, k: float) -> None:
    """A product as a wrapped box with a tag: the fallback for what has no drawing of its own."""
    cx, w, h = SIDE // 2, int(260 * k), int(180 * k)
    top = floor + 10 - h
    _shadow(d, cx, floor + 10, w + 30)
    _cut(img, pat, lambda m: m.rectangle((cx - w // 2, top, cx + w // 2, floor + 10), fill=255))
    d.polygon([(cx - w // 2, top), (cx - w // 2 + 30, top - 30), (cx + w // 2 + 30, top - 30), (cx + w // 2, top)], fill=mix(c[1], (255, 255, 255), 0.2))
    d.polygon([(cx + w // 2, top), (cx + w // 2 + 30, top - 30), (cx + w // 2 + 30, floor - 20), (cx + w // 2, floor + 10)], fill=mix(c[1], (0, 0, 0), 0.3))


def draw_painting(img: Image.Image, d: ImageDraw.ImageDraw, pat: Image.Image, c: list[RGB], floor: int, k: float) -> None:
    w, h = int(330 * k), int(240 * k)
    x0, y0 = SIDE // 2 - w // 2, floor - h - 20
    d.rectangle((x0 - 16, y0 - 16, x0 + w + 16, y0 + h + 16), fill=(120, 80, 40))
    d.rectangle((x0, y0, x0 + w, y0 + h // 2), fill=mix(c[0], (160, 200, 240), 0.6))
    d.ellipse((x0 + w * 0.68, y0 + h * 0.1, x0 + w * 0.82, y0 + h * 0.28), fill=(250, 200, 80))
    d.polygon([(x0, y0 + h * 0.6), (x0 + w * 0.35, y0 + h * 0.3), (x0 + w * 0.7, y0 + h * 0.6)], fill=(90, 120, 90))
    d.rectangle((x0, y0 + h * 0.6, x0 + w, y0 + h), fill=(110, 170, 70))
    for y in range(int(y0 + h * 0.65), y0 + h, 14):
        d.line((x0, y, x0 + w, y - 20), fill=(150, 200, 100), width=2)


def draw_toy(img: Image.Image, d: ImageDraw.ImageDraw, pat: Image.Image, c: list[RGB], floor: int, k: float) -> None:
    """Stacked wooden blocks in bright colours, and one wooden top."""
    s = int(64 * k)
    colours = [(220, 70, 60), (240, 180, 50), (70, 140, 210), (80, 170, 100)]
    for i in range(4):
        for j in range(4 - i):
            x = SIDE // 2 - 2 * s + j * s + i * s // 2
            y = floor + 10 - (i + 1) * s
            d.rectangle((x, y, x + s - 4, y + s - 4), fill=colours[(i + j) % 4], outline=(90, 60, 30), width=2)


def draw_jewellery(img: Image.Image, d: ImageDraw.ImageDraw, pat: Image.Image, c: list[RGB], floor: int, k: float) -> None:
    """Beaded earrings hanging from a stand, and a bracelet lying in front."""
    d.rectangle((SIDE // 2 - 120, 110, SIDE // 2 + 120, 118), fill=(110, 75, 40))
    for cx in (SIDE // 2 - 60, SIDE // 2 + 60):
        d.line((cx, 118, cx, 170), fill=(200, 170, 80), width=2)
        for i in range(6):
            y, r = 175 + i * 26, int((10 + (i % 3) * 3) * k) + 4
            d.ellipse((cx - r, y - r, cx + r, y + r), fill=c[1] if i % 2 else c[2], outline=(200, 170, 80), width=2)
    d.ellipse((SIDE // 2 - 110, floor + 20, SIDE // 2 + 110, floor + 90), outline=c[1], width=14)


def draw_mat(img: Image.Image, d: ImageDraw.ImageDraw, pat: Image.Image, c: list[RGB], floor: int, k: float) -> None:
    """A woven mat, rolled at one end."""
    _cut(img, pat, lambda m: m.polygon([(40, floor + 110), (SIDE - 40, floor + 110), (SIDE - 100, floor - 10), (100, floor - 10)], fill=255))
    d.ellipse((60, floor - 70, 170, floor + 10), fill=mix(c[1], (150, 110, 60), 0.5), outline=(110, 80, 40), width=4)
    for r in (40, 25, 10):
        d.ellipse((115 - r, floor - 30 - r, 115 + r, floor - 30 + r), outline=(110, 80, 40), width=3)


def draw_basket(img: Image.Image, d: ImageDraw.ImageDraw, pat: Image.Image, c: list[RGB], floor: int, k: float) -> None:
    cx, w, h = SIDE // 2, int(300 * k), int(190 * k)
    top = floor + 10 - h
    _shadow(d, cx, floor + 10, w)
    _cut(img, pat, lambda m: m.polygon([(cx - w // 2, top), (cx + w // 2, top), (cx + w // 2 - 30, floor + 10), (cx - w // 2 + 30, floor + 10)], fill=255))
    d.ellipse((cx - w // 2, top - 18, cx + w // 2, top + 18), outline=(120, 85, 40), width=10)


def draw_lamp(img: Image.Image, d: ImageDraw.ImageDraw, pat: Image.Image, c: list[RGB], floor: int, k: float) -> None:
    cx, w = SIDE // 2, int(300 * k)
    d.line((cx, 0, cx, 120), fill=(60, 50, 40), width=4)
    _cut(img, pat, lambda m: m.pieslice((cx - w // 2, 120, cx + w // 2, 120 + w), 180, 360, fill=255))
    d.ellipse((cx - 30, 120 + w // 2 - 16, cx + 30, 120 + w // 2 + 24), fill=(255, 236, 160))


def draw_shelf(img: Image.Image, d: ImageDraw.ImageDraw, pat: Image.Image, c: list[RGB], floor: int, k: float) -> None:
    for i in range(3):
        y = 120 + i * 90
        _cut(img, pat, lambda m, y=y: m.rectangle((90, y, SIDE - 90, y + 22), fill=255))
        d.rectangle((120 + i * 60, y - 50, 160 + i * 60, y), fill=c[1])  # something on each shelf
    for x in (96, SIDE - 110):
        d.line((x, 80, x + 6, 360), fill=(120, 90, 40), width=6)


def draw_hat(img: Image.Image, d: ImageDraw.ImageDraw, pat: Image.Image, c: list[RGB], floor: int, k: float) -> None:
    cx, w = SIDE // 2, int(320 * k)
    _shadow(d, cx, floor + 20, w)
    _cut(img, pat, lambda m: (m.ellipse((cx - w // 2, floor - 30, cx + w // 2, floor + 30), fill=255),
                              m.rounded_rectangle((cx - w // 3, floor - int(150 * k), cx + w // 3, floor), radius=40, fill=255)))


def draw_mirror(img: Image.Image, d: ImageDraw.ImageDraw, pat: Image.Image, c: list[RGB], floor: int, k: float) -> None:
    cx, cy, r = SIDE // 2, int(SIDE * 0.4), int(150 * k)
    _cut(img, pat, lambda m: m.ellipse((cx - r, cy - r, cx + r, cy + r), fill=255))
    d.ellipse((cx - r + 30, cy - r + 30, cx + r - 30, cy + r - 30), fill=(205, 222, 230))
    d.line((cx - r // 3, cy - r // 2, cx + r // 4, cy - r // 5), fill=(245, 250, 252), width=6)


Drawer = Callable[..., None]

#: Title words → (drawing, material). The first match wins; the category decides when none matches.
KINDS: tuple[tuple[tuple[str, ...], Drawer, str], ...] = (
    (("tatakan", "piring"), draw_plate, "glaze"),
    (("cangkir", "mug", "gelas"), draw_mugs, "glaze"),
    (("toples", "kue", "hampers", "dodol", "cookie"), draw_jar, "food"),
    (("bir", "botol"), draw_bottles, "glaze"),
    (("mangkuk",), draw_bowl, "glaze"),
    (("vas", "gentong", "pot", "celengan", "lilin"), draw_vase, "terracotta"),
    (("tas", "tote", "totebag"), draw_bag, "weave"),
    (("clutch", "pouch", "dompet"), draw_pouch, "weave"),
    (("tikar",), draw_mat, "weave"),
    (("keranjang",), draw_basket, "weave"),
    (("lampu",), draw_lamp, "bamboo"),
    (("rak", "kursi", "speaker", "sedotan"), draw_shelf, "bamboo"),
    (("cermin",), draw_mirror, "weave"),
    (("hat", "topi"), draw_hat, "knit"),
    (("kemeja", "blus", "cardigan", "outer", "kimono"), draw_shirt, "parang"),
    (("anting", "gelang", "kalung", "manik"), draw_jewellery, "stripes"),
    (("lukisan", "kartu"), draw_painting, "canvas"),
    (("puzzle", "mobil", "balok", "congklak", "gasing"), draw_toy, "wood"),
    (("kain", "selendang", "syal", "scarf", "sarung", "taplak", "ikat kepala", "masker", "makrame"), draw_cloth, "parang"),
)

CATEGORY_KINDS: dict[str, tuple[Drawer, str]] = {
    "batik": (draw_cloth, "kawung"), "tenun": (draw_cloth, "ikat"), "fashion": (draw_shirt, "stripes"),
    "keramik": (draw_vase, "glaze"), "anyaman": (draw_basket, "weave"), "kuliner": (draw_jar, "food"),
    "lukisan": (draw_painting, "canvas"), "mainan": (draw_toy, "wood"), "kriya": (draw_shelf, "bamboo"),
}

#: Motif words of a title → the material of a cloth or shirt.
MOTIFS: tuple[tuple[str, str], ...] = (
    ("kawung", "kawung"), ("parang", "parang"), ("mega mendung", "mega_mendung"), ("songket", "songket"),
    ("ikat", "ikat"), ("garis", "stripes"), ("goyor", "stripes"), ("eco print", "ecoprint"), ("rajut", "knit"),
    ("makrame", "knit"), ("bambu", "bamboo"), ("anyaman", "weave"), ("tenun", "ikat"), ("keramik", "glaze"), ("gerabah", "terracotta"),
    ("rotan", "weave"), ("kanvas", "canvas"), ("kayu", "wood"),
)


def kind_of(title: str, category: str) -> tuple[Drawer, str]:
    """The drawing and material for a product: title words first, then its category."""
    words = title.lower()
    drawer, stuff = next(((dr, m) for keys, dr, m in KINDS if any(_has_word(words, key) for key in keys)),
                         CATEGORY_KINDS.get(category, (draw_box, "stripes")))
    motif = next((m for key, m in MOTIFS if _has_word(words, key)), None)
    if motif == "bamboo" and drawer in (draw_cloth, draw_shirt):
        motif = "parang"  # "motif bambu" on a batik: a batik motif, not a bamboo cane
    if motif and stuff not in ("food",):
        stuff = motif
    elif category == "batik" and stuff in ("parang", "stripes"):
        stuff = "kawung" if len(title) % 2 else "parang"
    return drawer, stuff


def _has_word(text: str, key: str) -> bool:
    index = text.find(key)
    while index != -1:
        before = text[index - 1] if index else " "
        after = text[index + len(key)] if index + len(key) < len(text) else " "
        if not before.isalpha() and not after.isalpha():
            return True
        index = text.find(key, index + 1)
    return False


def render(title: str, category: str, variant: int = 0) -> Image.Image:
    """The photo as an image: 0 the product on the table, 1 a close-up of its material, 2 nearer."""
    colours = palette(title)
    drawer, stuff = kind_of(title, category)
    if variant == 1:
        return material(stuff, colours, 84)
    image, floor = _scene(colours, variant)
    scale = 1.0 if variant == 0 else 1.2
    drawer(image, ImageDraw.Draw(image), material(stuff, colours, 56 if variant == 0 else 70), colours, floor, scale)
    return image


def product_photo(title: str, category: str, variant: int = 0) -> bytes:
    """The photo as a JPEG (what an artisan would upload)."""
    out = io.BytesIO()
    render(title, category, variant).save(out, format="JPEG", quality=86)
    return out.getvalue()


def describe(title: str, category: str) -> dict[str, Any]:
    """What the photos of a product show (for tests and the README): the drawing and the material."""
    drawer, stuff = kind_of(title, category)
    return {"drawing": drawer.__name__.removeprefix("draw_"), "material": stuff}
