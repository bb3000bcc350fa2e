"""What the reach's API and pages share: the share kit and the figures, as the web layer asks for them.

The entry points hand in what they hold (settings, media storage); nothing here knows Flask."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.config import Settings
from marketplace.errors import Conflict
from marketplace.listings import services as listings
from marketplace.media.storage import MediaStorage
from marketplace.promotion.attribution import services as attribution
from marketplace.promotion.reach import sharekit


class ShareKitNotDrawn(Conflict):
    """The approved listing's kit is not drawn yet for what it shows now (the promotion worker draws it
    on approval; the artisan can ask for it at once with a POST)."""

    code = "share_kit_not_drawn"


def share_kit_for(session: Session, settings: Settings, storage: MediaStorage, user: User,
                  listing_id: int) -> dict[str, Any]:
    """The owner's current kit, ``{square_url, story_url, caption}``; reads only (a GET never writes).
    409 ``not_approved`` for a listing not approved, 409 ``share_kit_not_drawn`` when there is none yet
    for what the listing shows now."""
    listing = listings.get_owned(session, user, listing_id)
    kit = sharekit.current_kit(session, listing, settings.public_base_url)
    if kit is None:
        raise ShareKitNotDrawn("The share kit is being made: ask for it with POST, or try again shortly.")
    return _kit_out(settings, storage, kit)


def draw_share_kit(session: Session, settings: Settings, storage: MediaStorage, user: User,
                   listing_id: int) -> dict[str, Any]:
    """Draw the owner's kit now (nothing is drawn when it is current) in the request's own transaction;
    the answer is the same as :func:`share_kit_for`'s."""
    listing = listings.get_owned(session, user, listing_id)
    return _kit_out(settings, storage, sharekit.draw_kit(session, storage, listing, settings.public_base_url))


def _kit_out(settings: Settings, storage: MediaStorage, kit: sharekit.Kit) -> dict[str, Any]:
    base = settings.public_base_url.rstrip("/")
    return {"square_url": _absolute(base, storage.url(kit.square_key)),
            "story_url": _absolute(base, storage.url(kit.story_key)), "caption": kit.caption}


def _absolute(base: str, url: str) -> str:
    return url if "://" in url else base + "/" + url.lstrip("/")


def figures_for(session: Session, settings: Settings, since: date, until: date) -> dict[str, Any]:
    return {"since": since, "until": until, "window_days": settings.attribution_window_days,
            "items": attribution.figures(session, since, until)}
