"""What the reach's API and pages share: the share kit and the figures, as the web layer asks for them.

The entry points hand in what they hold (settings, media storage); nothing here knows Flask."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.config import Settings
from marketplace.db import Database
from marketplace.listings import services as listings
from marketplace.media.storage import MediaStorage
from marketplace.promotion.attribution import services as attribution
from marketplace.promotion.reach import sharekit


def share_kit_for(database: Database, settings: Settings, storage: MediaStorage, user: User, listing_id: int) -> dict[str, Any]:
    """The owner's kit, ``{square_url, story_url, caption}``.

    Drawn in its own write transaction (this is a GET, read on SQLite's reader session elsewhere).
    Two first requests at once draw the same keys; the one that loses the race on the row reads the
    winner's.
    """
    for attempt in (1, 2):
        try:
            with database.transaction() as session:
                listing = listings.get_owned(session, user, listing_id)
                kit = sharekit.share_kit(session, storage, listing, settings.public_base_url)
            break
        except IntegrityError:
            if attempt == 2:
                raise
    base = settings.public_base_url.rstrip("/")
    return {"square_url": _absolute(base, storage.url(kit.square_key)),
            "story_url": _absolute(base, storage.url(kit.story_key)), "caption": kit.caption}


def _absolute(base: str, url: str) -> str:
    return url if "://" in url else base + "/" + url.lstrip("/")


def figures_for(session: Session, settings: Settings, since: date, until: date) -> dict[str, Any]:
    return {"since": since, "until": until, "window_days": settings.attribution_window_days,
            "items": attribution.figures(session, since, until)}
