"""Demo photos show the product: the kind of drawing follows the title, two or three per listing."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from marketplace.local import demo_photos
from marketplace.local.seed import ARTISANS, PHOTOS_FIRST, PHOTOS_OTHERS


@pytest.mark.parametrize("title, category, drawing, materials", [
    ("Kain Batik Tulis Motif Kawung Indigo", "batik", "cloth", {"kawung"}),
    ("Kain Batik Motif Parang Rusak", "batik", "cloth", {"parang"}),
    ("Batik Cap Motif Bambu Ciputat", "batik", "cloth", {"parang", "kawung"}),  # a batik motif, not a cane
    ("Tas Anyaman Pandan Tote Besar", "anyaman", "bag", {"weave"}),
    ("Set Cangkir Kopi Keramik (2 pcs)", "keramik", "mugs", {"glaze"}),
    ("Toples Kue Nastar", "kuliner", "jar", {"food"}),
    ("Tatakan Gelas Anyaman (set 6)", "dekorasi", "plate", {"weave"}),
    ("Rak Dinding Bambu Tiga Susun", "dekorasi", "shelf", {"bamboo"}),
    ("Sesuatu Tanpa Nama", "lainnya", "box", {"stripes"}),
])
def test_the_drawing_follows_the_product(title, category, drawing, materials):
    what = demo_photos.describe(title, category)
    assert what["drawing"] == drawing and what["material"] in materials


def test_every_demo_product_is_drawn_as_itself_not_as_a_box():
    boxes = [p.title for a in ARTISANS for p in a.products if demo_photos.describe(p.title, p.category)["drawing"] == "box"]
    assert len(boxes) <= 2, boxes


def test_variants_are_different_jpegs_of_the_same_size():
    photos = [demo_photos.product_photo("Tas Anyaman Pandan", "anyaman", v) for v in range(3)]
    assert len(set(photos)) == 3
    for data in photos:
        image = Image.open(io.BytesIO(data))
        assert image.format == "JPEG" and image.size == (demo_photos.SIDE, demo_photos.SIDE)
    # Deterministic: the same product gets the same photo on every seed.
    assert demo_photos.product_photo("Tas Anyaman Pandan", "anyaman", 0) == photos[0]


def test_listings_get_a_gallery():
    assert PHOTOS_FIRST >= 2 and PHOTOS_OTHERS >= 2
