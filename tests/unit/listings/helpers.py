"""Arranging listings state for the listings, media and moderation tests.

Shops are created straight through the ORM (the shops feature has its own tests); listings go through
the real API so every test exercises the same path a seller's phone does.
"""

from __future__ import annotations

import io
import json
from typing import Any

from PIL import Image
from sqlalchemy import select

from events.models import OutboxEvent
from marketplace.shops.models import Shop


def listing_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "title": "Kain batik tulis Ciputat",
        "description": "Batik tulis pewarna alam, 2 x 1,15 m.",
        "category": "batik",
        "price_idr": 350_000,
        "stock": 3,
        "weight_grams": 400,
    }
    body.update(overrides)
    return body


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), *, mode: str = "RGB",
                color: Any = (200, 80, 40), exif: Image.Exif | None = None) -> bytes:
    out = io.BytesIO()
    img = Image.new(mode, size, color)
    kwargs: dict[str, Any] = {}
    if exif is not None:
        kwargs["exif"] = exif
    img.save(out, format=fmt, **kwargs)
    return out.getvalue()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> dict[str, Any]:
    return {"file": (io.BytesIO(data), name, content_type)}


def raw_multipart(data: bytes, name: str = "photo.jpg", field: str = "file") -> dict[str, Any]:
    """A multipart body built by hand, for big uploads: werkzeug's test client spools those to a
    temporary file it never closes (a ResourceWarning, i.e. an error under our warning filter)."""
    boundary = "pasar-kreatif-boundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
        f"Content-Type: image/jpeg\r\n\r\n"
    ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


class Market:
    """``market.seller()``, ``market.listing(seller)``, ``market.approve(id)``, ``market.reject(id, reason)``,
    ``market.events(...)``."""

    def __init__(self, api: Any, db_session: Any):
        self.api = api
        self.db = db_session
        self._admin = None

    def seller(self, *, city: str = "Tangerang Selatan", kelurahan: str = "Cipayung") -> Any:
        user = self.api.make_user("artisan")
        self.db.rollback()  # leave any read snapshot (SQLite cannot write from a stale one)
        shop = Shop(owner_id=user.id, name=f"Toko {user.id}", slug=f"toko-{user.id}", city=city, kelurahan=kelurahan)
        self.db.add(shop)
        self.db.commit()
        user.shop_id = shop.id
        return user

    @property
    def admin(self) -> Any:
        if self._admin is None:
            self._admin = self.api.make_user("admin")
        return self._admin

    def listing(self, seller: Any, **overrides: Any) -> dict[str, Any]:
        resp = self.api.post("/api/v1/listings", as_=seller, json=listing_body(**overrides))
        assert resp.status_code == 201, resp.json
        return resp.json

    def approved_listing(self, seller: Any, **overrides: Any) -> dict[str, Any]:
        listing = self.listing(seller, **overrides)
        self.approve(listing["id"])
        return listing

    def revision(self, listing_id: int) -> int:
        """The listing's current revision, as a moderator reads it (the admin sees any status)."""
        resp = self.api.get(f"/api/v1/listings/{listing_id}", as_=self.admin)
        assert resp.status_code == 200, resp.json
        return resp.json["revision"]

    def approve(self, listing_id: int) -> Any:
        """Approve the listing as it is now (its current revision)."""
        resp = self.api.post(f"/api/v1/admin/listings/{listing_id}/approve", as_=self.admin,
                             json={"revision": self.revision(listing_id)})
        assert resp.status_code == 200, resp.json
        return resp

    def reject(self, listing_id: int, reason: str) -> Any:
        """Reject the listing as it is now (its current revision)."""
        resp = self.api.post(f"/api/v1/admin/listings/{listing_id}/reject", as_=self.admin,
                             json={"revision": self.revision(listing_id), "reason": reason})
        assert resp.status_code == 200, resp.json
        return resp

    def add_image(self, seller: Any, listing_id: int, data: bytes | None = None) -> Any:
        return self.api.post(f"/api/v1/listings/{listing_id}/images", as_=seller,
                             data=upload(data or image_bytes()), content_type="multipart/form-data")

    def events(self, event_type: str | None = None, key: int | None = None) -> list[dict[str, Any]]:
        """Outbox rows as envelopes, oldest first (optionally of one type / key)."""
        self.db.rollback()  # a fresh snapshot: the app committed in its own session
        stmt = select(OutboxEvent).order_by(OutboxEvent.id)
        if event_type:
            stmt = stmt.where(OutboxEvent.type == event_type)
        if key is not None:
            stmt = stmt.where(OutboxEvent.key == str(key))
        events = [json.loads(row.payload) for row in self.db.scalars(stmt)]
        self.db.rollback()
        return events

    def types(self, key: int) -> list[str]:
        return [e["type"] for e in self.events(key=key)]
