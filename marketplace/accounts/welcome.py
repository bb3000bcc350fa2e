"""The welcome e-mail a new account gets: an artisan is pointed at opening a shop, a buyer at the
catalogue. Queued in the registration's own transaction (like the password-reset mail), so an account
that is not created is never welcomed and one that is, is welcomed once."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.config import Settings
from marketplace.notifications import services as notifications
from marketplace.notifications.models import Notification


def welcome(session: Session, settings: Settings, user: User, now: datetime) -> Notification:
    base = settings.public_base_url.rstrip("/")
    start_url = f"{base}/seller/shop/new" if user.is_artisan else f"{base}/"
    return notifications.queue(session, settings, event_id=f"welcome-{uuid.uuid4()}", event_type="user.registered",
                               kind="welcome", recipient=user, now=now, context={"start_url": start_url})
