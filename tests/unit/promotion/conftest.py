"""Fixtures of the promotion tests: a committed database (the posting loop runs its own transactions),
listings made straight through the ORM, envelopes as the worker receives them, and a fake channel
(the ``Channel`` interface; the real clients are tested against loopback servers in test_channels)."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pytest
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.config import Settings
from marketplace.listings.models import Listing, ListingImage
from marketplace.shops.models import Shop
from workers.promotion.channels.base import ChannelError, Posted, PostRequest, SaveCheckpoint, Unverifiable

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=timezone.utc)
_seq = itertools.count(1)


@pytest.fixture
def promo_settings(settings: Settings) -> Settings:
    return settings.with_overrides(public_base_url="https://pasar.test")


def make_listing(session: Session, *, status: str = "approved", stock: int = 3, photo: bool = True) -> int:
    """An approved listing with a photo in a Yogyakarta shop, committed; its id."""
    n = next(_seq)
    owner = User(email=f"artisan{n}-{uuid.uuid4().hex[:4]}@example.id", name=f"Artisan {n}", password_hash="x",
                 role="artisan")
    session.add(owner)
    session.flush()
    shop = Shop(owner_id=owner.id, name=f"Anyam Bu Sri {n}", slug=f"anyam-{n}-{uuid.uuid4().hex[:4]}",
                city="Yogyakarta", kelurahan="Kauman")
    session.add(shop)
    session.flush()
    listing = Listing(shop_id=shop.id, title=f"Tas anyaman pandan {n}", description="d", price_idr=150_000,
                      category="tas", status=status, stock=stock, weight_grams=400)
    session.add(listing)
    session.flush()
    if photo:
        session.add(ListingImage(listing_id=listing.id, position=0, key=f"listings/{listing.id}.jpg",
                                 thumb_key=f"listings/{listing.id}-t.jpg", content_type="image/jpeg",
                                 width=800, height=800))
    session.commit()
    return listing.id


def envelope(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "type": event_type, "version": 1, "occurred_at": NOW.isoformat(),
            "key": str(data["listing_id"]), "correlation_id": str(uuid.uuid4()), "data": data}


def approved(listing_id: int) -> dict[str, Any]:
    return envelope("listing.approved", {
        "listing_id": listing_id, "shop_id": 1, "title": "Tas", "price_idr": 150_000, "category": "tas",
        "city": "Yogyakarta", "kelurahan": "Kauman", "path": f"/listings/{listing_id}"})


@dataclass
class FakeChannel:
    """Posts into a list; ``failures`` are raised, in order, before it succeeds."""

    name: str = "telegram"
    min_interval: float = 0.0
    can_remove: bool = True
    failures: list[ChannelError] = field(default_factory=list)
    posts: list[PostRequest] = field(default_factory=list)
    attempts: int = 0
    found: Posted | None = None  # what recover() finds
    verifiable: bool = True
    removed: list[str] = field(default_factory=list)

    def post(self, request: PostRequest, save_checkpoint: SaveCheckpoint) -> Posted:
        self.attempts += 1
        if self.failures:
            raise self.failures.pop(0)
        self.posts.append(request)
        return Posted(external_id=f"m{len(self.posts)}", url=f"https://t.me/pasar/{len(self.posts)}")

    def recover(self, request: PostRequest) -> Posted | None:
        if not self.verifiable:
            raise Unverifiable("cannot tell")
        return self.found

    def remove(self, external_id: str) -> None:
        self.removed.append(external_id)
