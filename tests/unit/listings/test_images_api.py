"""Listing photos through the API: upload, limits, verification, EXIF, deletion, nothing half-written."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from marketplace.listings.models import MAX_IMAGES_PER_LISTING, ListingImage
from marketplace.media.storage import LocalStorage, StorageError
from tests.unit.listings.helpers import image_bytes, raw_multipart, upload
from tests.unit.media.test_images import exif_with_gps_and_orientation
from marketplace.web import deps

MAX_IMAGE_BYTES = 300_000  # flask's MAX_CONTENT_LENGTH is this + 256 KiB


@pytest.fixture
def settings(settings):
    return settings.with_overrides(max_image_bytes=MAX_IMAGE_BYTES)


def image_rows(db: Session) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(ListingImage))


def stored_files(settings) -> list[Path]:
    root = Path(settings.media_root)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def fetch(client, url: str) -> bytes:
    with client.get(url) as resp:
        assert resp.status_code == 200
        return resp.data


def test_upload_photo_returns_urls_and_strips_exif(api, market, client):
    seller = market.seller()
    listing = market.listing(seller)
    raw = image_bytes("JPEG", (120, 60), exif=exif_with_gps_and_orientation(6))
    resp = market.add_image(seller, listing["id"], raw)
    assert resp.status_code == 201, resp.json
    assert set(resp.json) >= {"id", "url", "thumb_url"}
    stored = fetch(client, resp.json["url"])
    img = Image.open(io.BytesIO(stored))
    assert img.format == "JPEG" and img.size == (60, 120)  # EXIF orientation applied
    assert dict(img.getexif()) == {} and b"Exif" not in stored and b"PhoneMaker" not in stored
    assert Image.open(io.BytesIO(fetch(client, resp.json["thumb_url"]))).format == "JPEG"
    got = api.get(f"/api/v1/listings/{listing['id']}", as_=seller).json
    assert [i["id"] for i in got["images"]] == [resp.json["id"]]
    updated = market.events("listing.updated")[-1]
    assert updated["data"]["changed_fields"] == ["images"] and updated["data"]["status"] == "pending_review"


def test_photo_on_approved_listing_sends_it_back_to_review(api, market):
    seller = market.seller()
    listing = market.approved_listing(seller)
    assert market.add_image(seller, listing["id"]).status_code == 201
    assert api.get(f"/api/v1/listings/{listing['id']}", as_=seller).json["status"] == "pending_review"
    assert market.types(listing["id"])[-2:] == ["listing.updated", "listing.submitted"]


def test_ninth_photo_is_rejected(market, db_session, settings):
    seller = market.seller()
    listing = market.listing(seller)
    for _ in range(MAX_IMAGES_PER_LISTING):
        assert market.add_image(seller, listing["id"]).status_code == 201
    resp = market.add_image(seller, listing["id"])
    assert resp.status_code == 409 and resp.json["error"]["code"] == "too_many_images"
    assert image_rows(db_session) == MAX_IMAGES_PER_LISTING
    assert len(stored_files(settings)) == 5 * MAX_IMAGES_PER_LISTING  # full size, and 4 thumbnail files


@pytest.mark.parametrize("data,name,status", [
    (b"GIF89a" + b"\x00" * 100, "photo.jpg", 415),
    (b"not an image, just text", "photo.jpg", 415),
    (image_bytes("GIF"), "photo.gif", 415),
    (image_bytes("JPEG", (400, 400))[:300], "photo.jpg", 422),
    (b"", "photo.jpg", 422),
])
def test_bad_files_are_4xx_and_nothing_written(market, db_session, settings, data, name, status):
    seller = market.seller()
    listing = market.listing(seller)
    resp = market.api.post(f"/api/v1/listings/{listing['id']}/images", as_=seller,
                           data=upload(data, name), content_type="multipart/form-data")
    assert resp.status_code == status, resp.json
    assert "file" in resp.json["error"].get("fields", {}) or status == 422
    assert image_rows(db_session) == 0 and stored_files(settings) == []
    assert market.types(listing["id"]) == ["listing.submitted"]


def test_oversized_uploads_are_413(market, db_session, settings):
    seller = market.seller()
    listing = market.listing(seller)
    path = f"/api/v1/listings/{listing['id']}/images"
    # over our cap but under flask's request limit: refused by the image check
    over_cap = b"\xff\xd8" + b"\x00" * (MAX_IMAGE_BYTES + 10)
    # over flask's MAX_CONTENT_LENGTH: refused before the body is read
    over_request = b"\xff\xd8" + b"\x00" * (MAX_IMAGE_BYTES + 300 * 1024)
    for data in (over_cap, over_request):
        resp = market.api.post(path, as_=seller, **raw_multipart(data))
        assert resp.status_code == 413 and resp.json["error"]["code"] == "payload_too_large"
    assert image_rows(db_session) == 0 and stored_files(settings) == []


def test_missing_file_field_is_422(market):
    seller = market.seller()
    listing = market.listing(seller)
    resp = market.api.post(f"/api/v1/listings/{listing['id']}/images", as_=seller,
                           data={"photo": (io.BytesIO(image_bytes()), "a.jpg")}, content_type="multipart/form-data")
    assert resp.status_code == 422


def test_json_body_instead_of_upload_is_rejected(market):
    seller = market.seller()
    listing = market.listing(seller)
    resp = market.api.post(f"/api/v1/listings/{listing['id']}/images", as_=seller, json={"file": "abc"})
    assert resp.status_code == 422


def test_upload_access_rules(api, market, db_session):
    seller = market.seller()
    hidden = market.listing(seller)
    public = market.approved_listing(seller)
    for listing, other_status in ((hidden, 404), (public, 403)):
        path = f"/api/v1/listings/{listing['id']}/images"
        send = dict(data=upload(image_bytes()), content_type="multipart/form-data")
        assert api.post(path, **send).status_code == 401
        for who, status in ((api.make_user("buyer"), 403), (market.admin, 403), (market.seller(), other_status)):
            send = dict(data=upload(image_bytes()), content_type="multipart/form-data")
            assert api.post(path, as_=who, **send).status_code == status
    assert image_rows(db_session) == 0


class FailingStorage(LocalStorage):
    """Local storage whose n-th save fails (a full disk, a bucket that went away)."""

    def __init__(self, inner: LocalStorage, fail_on: int):
        super().__init__(inner.root, inner.url_prefix)
        self.saves = 0
        self.fail_on = fail_on

    def save(self, key, data, content_type):
        self.saves += 1
        if self.saves == self.fail_on:
            raise StorageError("disk full")
        super().save(key, data, content_type)


@pytest.mark.parametrize("fail_on", [1, 2])
def test_storage_failure_commits_nothing_and_cleans_up(app, market, db_session, settings, fail_on):
    from marketplace.media.storage import storage_from_settings

    seller = market.seller()
    listing = market.approved_listing(seller)
    deps.override(app, media_storage=FailingStorage(storage_from_settings(settings), fail_on))
    resp = market.add_image(seller, listing["id"])
    assert resp.status_code == 503 and resp.json["error"]["code"] == "media_unavailable"
    assert image_rows(db_session) == 0 and stored_files(settings) == []
    assert market.types(listing["id"]) == ["listing.submitted", "listing.approved"]
    assert market.api.get(f"/api/v1/listings/{listing['id']}").json["status"] == "approved"


def test_commit_failure_deletes_stored_files(market, db_session, settings, monkeypatch):
    seller = market.seller()
    listing = market.listing(seller)

    def broken_commit(self):
        raise OperationalError("COMMIT", {}, Exception("database went away"))

    monkeypatch.setattr(Session, "commit", broken_commit)
    resp = market.add_image(seller, listing["id"])
    monkeypatch.undo()
    assert resp.status_code == 500
    assert image_rows(db_session) == 0 and stored_files(settings) == []
    assert market.types(listing["id"]) == ["listing.submitted"]


def test_delete_photo(api, market, client, db_session, settings):
    seller = market.seller()
    listing = market.approved_listing(seller)
    keep = market.add_image(seller, listing["id"]).json
    gone = market.add_image(seller, listing["id"]).json
    market.approve(listing["id"])
    path = f"/api/v1/listings/{listing['id']}/images/{gone['id']}"
    for who, status in ((None, 401), (api.make_user("buyer"), 403), (market.admin, 403), (market.seller(), 403)):
        assert api.delete(path, as_=who).status_code == status
    assert api.delete(path, as_=seller).status_code == 204
    assert api.delete(path, as_=seller).status_code == 404
    got = api.get(f"/api/v1/listings/{listing['id']}", as_=seller).json
    assert [i["id"] for i in got["images"]] == [keep["id"]] and got["status"] == "pending_review"
    assert client.get(gone["url"]).status_code == 404
    gone_stem = gone["url"].rsplit("/", 1)[-1].split(".")[0]
    left = [p.name for p in stored_files(settings)]
    assert len(left) == 5 and not any(name.startswith(gone_stem) for name in left)  # its thumbnails went too
    assert market.types(listing["id"])[-2:] == ["listing.updated", "listing.submitted"]
    other = market.listing(market.seller())
    assert api.delete(f"/api/v1/listings/{other['id']}/images/{keep['id']}", as_=seller).status_code == 404
