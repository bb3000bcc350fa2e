"""One upload's cost is bounded and uploads cannot stall the shop (issue #9), through the API and pages.

A decompression-bomb-like PNG is a clear 422, never a 500; stored photos are capped in size; a full
image pool answers 503 ``media_busy`` with ``Retry-After`` and writes nothing; and on SQLite the write
lock is free while a photo decodes (the decoding happens outside the request's write transaction).
"""

from __future__ import annotations

import io
import sqlite3
import threading
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select

from marketplace.listings.models import ListingImage
from marketplace.media import images
from marketplace.media.pool import ImageProcessor
from tests.unit.listings.helpers import image_bytes, upload
from tests.unit.listings.test_pages import _photo
from marketplace.web import deps

WAIT = 10  # a safety net against a hung test, not a measured duration


@pytest.fixture(scope="module")
def bomb_png() -> bytes:
    """6300 x 6300 (39.7 MP, under the pixel cap) of one colour: ~130 KB that decode to 160 MB."""
    out = io.BytesIO()
    Image.new("RGB", (6300, 6300), (200, 120, 40)).save(out, format="PNG", optimize=True)
    return out.getvalue()


def _rows(db) -> list[ListingImage]:
    db.rollback()
    rows = list(db.scalars(select(ListingImage)))
    db.rollback()
    return rows


def _post(market, seller, listing_id: int, data: bytes) -> Any:
    return market.api.post(f"/api/v1/listings/{listing_id}/images", as_=seller,
                           data=upload(data, "photo.png"), content_type="multipart/form-data")


def test_decompression_bomb_png_is_a_clear_422(market, db_session, bomb_png):
    seller = market.seller()
    listing = market.listing(seller)
    resp = _post(market, seller, listing["id"], bomb_png)
    assert resp.status_code == 422, resp.json
    assert resp.json["error"]["code"] == "validation_error"
    assert resp.json["error"]["fields"]["file"] == [
        "This photo has too many pixels to process; save it with fewer pixels or as a standard JPEG and try again."
    ]
    assert _rows(db_session) == []


def test_stored_photo_dimensions_are_capped(market, db_session, client):
    seller = market.seller()
    listing = market.listing(seller)
    resp = market.add_image(seller, listing["id"], image_bytes("JPEG", (6000, 2000)))
    assert resp.status_code == 201
    (row,) = _rows(db_session)
    assert (row.width, row.height) == (images.MAX_SIDE, round(images.MAX_SIDE / 3))
    with client.get(resp.json["url"]) as stored:
        assert Image.open(io.BytesIO(stored.data)).size == (row.width, row.height)


class Gate:
    """Wraps the real decoding: signals when a decode started, and holds it until ``release()``."""

    def __init__(self, before: Any = None) -> None:
        self.started = threading.Event()
        self.go = threading.Event()
        self.before = before

    def __call__(self, data: bytes) -> images.ProcessedImage:
        if self.before is not None:
            self.before()
        self.started.set()
        assert self.go.wait(WAIT)
        return images.process_upload(data, max_bytes=8 * 1024 * 1024)

    def release(self) -> None:
        self.go.set()


def _background_upload(processor: ImageProcessor, results: list[Any]) -> threading.Thread:
    thread = threading.Thread(target=lambda: results.append(processor.process(image_bytes())))
    thread.start()
    return thread


def test_full_image_pool_is_503_media_busy_with_retry_after_and_nothing_written(app, market, db_session, settings):
    seller = market.seller()
    listing = market.listing(seller)
    gate = Gate()
    processor = ImageProcessor(gate, workers=1, queue=0)
    deps.override(app, image_processor=processor)
    results: list[Any] = []
    holder = _background_upload(processor, results)  # another upload of this process is decoding
    assert gate.started.wait(WAIT)

    resp = market.add_image(seller, listing["id"])
    assert resp.status_code == 503, resp.json
    assert resp.json["error"]["code"] == "media_busy"
    assert resp.headers["Retry-After"] == "2"
    assert _rows(db_session) == [] and market.types(listing["id"]) == ["listing.submitted"]

    gate.release()
    holder.join(WAIT)
    assert len(results) == 1
    assert market.add_image(seller, listing["id"]).status_code == 201  # room again


def test_full_image_pool_on_the_page_says_so_in_indonesian(app, client, auth, market, db_session):
    seller = market.seller()
    assert auth.login(seller.email, seller.password).status_code == 302
    listing = market.listing(seller)
    gate = Gate()
    processor = ImageProcessor(gate, workers=1, queue=0)
    deps.override(app, image_processor=processor)
    results: list[Any] = []
    holder = _background_upload(processor, results)
    assert gate.started.wait(WAIT)
    token = auth.csrf_token(f"/seller/listings/{listing['id']}/edit")
    resp = client.post(f"/seller/listings/{listing['id']}/images", data=_photo(image_bytes(), token),
                       content_type="multipart/form-data")
    gate.release()
    holder.join(WAIT)
    assert resp.status_code == 503
    assert "Banyak foto sedang diproses saat ini" in resp.get_data(as_text=True)
    assert _rows(db_session) == []


def test_sqlite_write_lock_is_free_while_a_photo_decodes(backend, app, market, db_session, settings):
    if backend != "sqlite":
        pytest.skip("the write lock is SQLite's")
    seller = market.seller()
    listing = market.listing(seller)
    path = settings.database_url.split("///", 1)[1]
    wrote: list[str] = []

    def write_meanwhile() -> None:
        # Another process's writer during the decode: with no wait allowed, it gets the lock or fails.
        conn = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            wrote.append("got the write lock")
        except sqlite3.OperationalError as exc:
            wrote.append(str(exc))
        finally:
            conn.close()

    gate = Gate(before=write_meanwhile)
    gate.release()
    deps.override(app, image_processor=ImageProcessor(gate))
    resp = market.add_image(seller, listing["id"])
    assert resp.status_code == 201, resp.json
    assert wrote == ["got the write lock"]
    assert db_session.scalar(select(func.count()).select_from(ListingImage)) == 1
