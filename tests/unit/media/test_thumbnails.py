"""A product card loads a thumbnail of its size, in WebP where the browser takes it (issue #28): the
upload writes the 200 px and WebP copies beside the 400 px JPEG; a card names them in ``srcset``; a
photo stored before they existed still shows its one JPEG."""

from __future__ import annotations

import io
import re

from PIL import Image

from marketplace.media import images
from marketplace.media.photos import thumbnail_set
from tests.unit.listings.helpers import image_bytes

MB = 1024 * 1024


def _decoded(encoded: images.EncodedImage) -> Image.Image:
    return Image.open(io.BytesIO(encoded.data))


def test_an_opaque_upload_gets_a_small_thumbnail_and_webp_copies_without_metadata():
    from tests.unit.media.test_images import exif_with_gps_and_orientation

    result = images.process_upload(image_bytes("JPEG", (1000, 800), exif=exif_with_gps_and_orientation(1)),
                                   max_bytes=4 * MB)
    extras = dict(result.extras)
    assert set(extras) == {"t200", "t400w", "t200w"}
    assert (_decoded(extras["t200"]).format, _decoded(extras["t200"]).size) == ("JPEG", (200, 160))
    assert (_decoded(extras["t400w"]).format, _decoded(extras["t400w"]).size) == ("WEBP", (400, 320))
    assert (_decoded(extras["t200w"]).format, _decoded(extras["t200w"]).size) == ("WEBP", (200, 160))
    for encoded in extras.values():
        assert b"Exif" not in encoded.data and b"PhoneMaker" not in encoded.data
    assert len(extras["t200"].data) < len(result.thumb.data)


def test_a_transparent_upload_is_webp_in_both_sizes():
    result = images.process_upload(image_bytes("PNG", (600, 600), mode="RGBA", color=(200, 10, 10, 100)),
                                   max_bytes=4 * MB)
    assert result.thumb.content_type == "image/webp"
    assert [(name, e.extension, e.width) for name, e in result.extras] == [("t200", "webp", 200)]


def test_the_files_of_a_thumbnail_are_known_from_its_name():
    new = thumbnail_set("listings/ab12-t400.jpg")
    assert new.fallback == {200: "listings/ab12-t200.jpg", 400: "listings/ab12-t400.jpg"}
    assert new.webp == {200: "listings/ab12-t200.webp", 400: "listings/ab12-t400.webp"}
    assert thumbnail_set("listings/ab12-t400.webp").webp == {}
    signed = "https://s3.example/b/listings/ab12-t400.jpg?X-Amz-Signature=ab.cd"
    assert thumbnail_set(signed).fallback == {400: signed} and thumbnail_set(signed).webp == {}
    old = thumbnail_set("https://cdn.example/listings/ab12-thumb.jpg")
    assert old.fallback == {400: "https://cdn.example/listings/ab12-thumb.jpg"} and old.webp == {}


def test_a_card_offers_the_small_and_webp_files_and_each_one_is_served(client, market, settings):
    seller = market.seller()
    listing = market.listing(seller, title="Tas anyaman pandan")
    photo = market.add_image(seller, listing["id"], image_bytes("JPEG", (900, 900))).json
    market.approve(listing["id"])
    page = client.get("/search?q=anyaman").get_data(as_text=True)
    card = page[page.index('class="product-card"'):]
    card = card[:card.index("</a>")]
    stem = photo["thumb_url"][: -len("-t400.jpg")]
    assert photo["thumb_url"].endswith("-t400.jpg")
    webp = re.search(r'<picture><source type="image/webp" srcset="([^"]+)" sizes="([^"]+)">', card)
    assert webp and webp.group(1) == f"{stem}-t200.webp 200w, {stem}-t400.webp 400w"
    assert "50vw" in webp.group(2)  # a phone's card is half the screen: 200 px is enough at 1x
    jpeg = re.search(r'<img src="([^"]+)" alt="Tas anyaman pandan"[^>]* srcset="([^"]+)"', card)
    assert jpeg and jpeg.group(1) == photo["thumb_url"]  # the fallback for a browser without WebP
    assert jpeg.group(2) == f"{stem}-t200.jpg 200w, {stem}-t400.jpg 400w"
    for url, fmt, side in ((f"{stem}-t200.webp", "WEBP", 200), (f"{stem}-t400.webp", "WEBP", 400),
                           (f"{stem}-t200.jpg", "JPEG", 200)):
        with client.get(url) as resp:
            assert resp.status_code == 200, url
            served = Image.open(io.BytesIO(resp.data))
        assert (served.format, served.size[0]) == (fmt, side)


def test_a_photo_stored_before_the_copies_existed_still_shows_its_jpeg(client, catalog):
    catalog.listing(catalog.shop(), title="Selendang Tenun Ikat", images=1)
    page = client.get("/search?q=selendang").get_data(as_text=True)
    card = page[page.index('class="product-card"'):]
    card = card[:card.index("</a>")]
    assert re.search(r'<img src="[^"]+-thumb\.jpg" alt="Selendang Tenun Ikat" loading="lazy" width="400" height="400">', card)
    assert "<picture>" not in card and "srcset" not in card
