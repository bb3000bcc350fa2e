"""Where buyers come from: the source of a visit, visits counted per day, orders credited to a source.

**Semantics (last non-direct touch, 7 days by default: ``ATTRIBUTION_WINDOW_DAYS``).** A landing on a
storefront page with UTM parameters (``utm_source``, ``utm_medium``, ``utm_campaign``), or else with a
referrer from another site, is a *touch*; it replaces the touch the visitor's cookie held. A direct visit
(no UTM, no outside referrer, e.g. a bookmark or typing the address) changes nothing, so a buyer who saw
a post on Instagram and came back by typing the address two days later is still credited to Instagram.
An order placed while the last touch is at most the window old gets one ``order_attributions`` row;
after the window the order is not attributed ("direct" in :func:`figures`).

**No personal data.** The visitor is known only by a signed cookie holding a random visit id and the
touch; the referrer is reduced to its host; visits are counters per (day, source, medium, campaign).
No IP address or user agent is read or stored.

Flask-free (the entry points read and write the cookie: :mod:`marketplace.promotion.attribution.views`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.db import is_sqlite
from marketplace.orders.models import Order, OrderStatus
from marketplace.promotion.attribution.models import (
    CAMPAIGN_LENGTH, HOST_LENGTH, MEDIUM_LENGTH, SOURCE_LENGTH, OrderAttribution, PromotionVisit)

DEFAULT_WINDOW = timedelta(days=7)
#: A landing from the same source and campaign this soon after the last is the same visit (a reload,
#: a second page opened from the post), not one more.
SAME_VISIT = timedelta(minutes=30)
DIRECT = "direct"
#: Orders that count in :func:`figures`: placed and not undone (a payment that failed or expired, a refund).
COUNTED_STATUSES = (OrderStatus.PENDING_PAYMENT.value, OrderStatus.PAID.value, OrderStatus.COMPLETED.value)
#: Referrer hosts of the channels we post to, so an untagged click from them is credited to the channel.
_KNOWN_REFERRERS = (
    ("instagram.com", "instagram"), ("facebook.com", "facebook"), ("fb.com", "facebook"), ("t.me", "telegram"),
    ("telegram.org", "telegram"), ("pinterest.", "pinterest"), ("pin.it", "pinterest"), ("google.", "google"),
    ("bing.com", "bing"), ("whatsapp.com", "whatsapp"), ("wa.me", "whatsapp"), ("tiktok.com", "tiktok"),
    ("x.com", "x"), ("twitter.com", "x"), ("t.co", "x"),
)
_TOKEN_RE = re.compile(r"[^a-z0-9._-]+")
_CAMPAIGN_LISTING_RE = re.compile(r"^listing-([0-9]{1,10})$")


class VisitKey(NamedTuple):
    """What a visit is counted by (no person: a day and where the visit came from)."""

    day: date
    source: str
    medium: str
    campaign: str


@dataclass(frozen=True)
class Touch:
    """Where a visit came from, and when it landed (aware UTC)."""

    source: str
    medium: str
    campaign: str
    referrer_host: str | None
    landed_at: datetime

    def same_campaign(self, other: "Touch | None") -> bool:
        return other is not None and (self.source, self.medium, self.campaign) == (
            other.source, other.medium, other.campaign)

    def within(self, window: timedelta, now: datetime) -> bool:
        """Still creditable at ``now`` (a touch from the future, a forged clock, is not)."""
        return timedelta(0) <= now - self.landed_at <= window

    def listing_id(self) -> int | None:
        """The listing a ``listing-<id>`` campaign names (our own posts' links)."""
        match = _CAMPAIGN_LISTING_RE.match(self.campaign)
        return int(match.group(1)) if match and int(match.group(1)) <= 2**31 - 1 else None

    def visit_key(self) -> "VisitKey":
        return VisitKey(self.landed_at.date(), self.source, self.medium, self.campaign)

    def as_dict(self) -> dict[str, Any]:
        return {"s": self.source, "m": self.medium, "c": self.campaign, "r": self.referrer_host,
                "t": self.landed_at.isoformat()}

    @classmethod
    def from_dict(cls, data: Any) -> "Touch | None":
        """The touch a (signed, so ours) cookie held; ``None`` for anything malformed."""
        try:
            landed = datetime.fromisoformat(data["t"])
            if landed.tzinfo is None:
                return None
            return cls(source=_token(data["s"], SOURCE_LENGTH), medium=_token(data["m"], MEDIUM_LENGTH),
                       campaign=_token(data["c"], CAMPAIGN_LENGTH),
                       referrer_host=_token(data["r"], HOST_LENGTH) if data.get("r") else None,
                       landed_at=landed.astimezone(timezone.utc))
        except (KeyError, TypeError, ValueError, AttributeError):
            return None


def _token(value: Any, length: int) -> str:
    """Lower case letters, digits, ``.``, ``_`` and ``-`` only, at most ``length`` characters."""
    text = value if isinstance(value, str) else ""
    return _TOKEN_RE.sub("-", text.strip().lower()).strip("-")[:length]


def referrer_host(referrer: str | None) -> str | None:
    """The host of a referrer URL (never its path or query, which may carry personal data)."""
    if not referrer:
        return None
    try:
        host = urlsplit(referrer).hostname
    except ValueError:
        return None
    return _token(host, HOST_LENGTH) or None if host else None


def source_of_host(host: str) -> str:
    """``l.instagram.com`` → ``instagram``; an unknown site is its own source (its host)."""
    bare = host[4:] if host.startswith("www.") else host
    for needle, source in _KNOWN_REFERRERS:
        if bare == needle or bare.endswith("." + needle) or (needle.endswith(".") and needle in bare + "."):
            return source
    return _token(bare, SOURCE_LENGTH)


def touch_from_landing(args: Any, referrer: str | None, own_host: str | None, now: datetime) -> Touch | None:
    """The touch a page view makes: from its UTM parameters, else from an outside referrer; ``None``
    for a direct visit or a click inside the storefront."""
    source = _token(args.get("utm_source"), SOURCE_LENGTH)
    host = referrer_host(referrer)
    if source:
        return Touch(source=source, medium=_token(args.get("utm_medium"), MEDIUM_LENGTH),
                     campaign=_token(args.get("utm_campaign"), CAMPAIGN_LENGTH), referrer_host=host, landed_at=now)
    if host and host != (own_host or "").lower():
        return Touch(source=source_of_host(host), medium="referral", campaign="", referrer_host=host, landed_at=now)
    return None


def add_visits(session: Session, counts: Mapping[VisitKey, int]) -> None:
    """Add ``counts`` visits per (day, source, medium, campaign), one upsert per key (two processes
    writing at once never lose a count nor collide on the unique key). The storefront gathers the
    counts of its page views and writes them behind (:mod:`marketplace.web.activity`)."""
    if not counts:
        return
    if is_sqlite(session):
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
    stmt = insert(PromotionVisit)
    stmt = stmt.on_conflict_do_update(index_elements=["day", "source", "medium", "campaign"],
                                      set_={"visits": PromotionVisit.visits + stmt.excluded.visits})
    for key, n in sorted(counts.items()):  # one order in every process: no deadlock between two writers
        session.execute(stmt.values(day=key.day, source=key.source, medium=key.medium, campaign=key.campaign,
                                    visits=n))


def attribute_order(session: Session, order: Order, touch: Touch | None) -> OrderAttribution | None:
    """Credit ``order`` to ``touch`` (the caller checked it is within the window); ``None``: direct."""
    if touch is None:
        return None
    listing_id = touch.listing_id()
    if listing_id is not None:
        from marketplace.listings.models import Listing

        if session.get(Listing, listing_id) is None:
            listing_id = None
    row = OrderAttribution(order_id=order.id, source=touch.source, medium=touch.medium, campaign=touch.campaign,
                           referrer_host=touch.referrer_host, listing_id=listing_id, touched_at=touch.landed_at)
    session.add(row)
    return row


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def figures(session: Session, since: date, until: date) -> list[dict[str, Any]]:
    """Per channel (source): visits, orders and their value, for the UTC days ``since`` to ``until``
    (both included), busiest channel first. Orders count when placed in the period and not cancelled
    or refunded; unattributed orders are the ``direct`` row."""
    visits = dict(session.execute(
        select(PromotionVisit.source, func.sum(PromotionVisit.visits))
        .where(PromotionVisit.day >= since, PromotionVisit.day <= until)
        .group_by(PromotionVisit.source)).all())
    source = func.coalesce(OrderAttribution.source, DIRECT)
    orders = session.execute(
        select(source, func.count(Order.id), func.coalesce(func.sum(Order.total_idr), 0))
        .select_from(Order).outerjoin(OrderAttribution, OrderAttribution.order_id == Order.id)
        .where(Order.created_at >= _day_start(since), Order.created_at < _day_start(until + timedelta(days=1)),
               Order.status.in_(COUNTED_STATUSES))
        .group_by(source)).all()
    rows: dict[str, dict[str, Any]] = {
        channel: {"channel": channel, "visits": int(count or 0), "orders": 0, "gmv_idr": 0}
        for channel, count in visits.items()}
    for channel, count, gmv in orders:
        row = rows.setdefault(channel, {"channel": channel, "visits": 0, "orders": 0, "gmv_idr": 0})
        row["orders"], row["gmv_idr"] = int(count), int(gmv)
    return sorted(rows.values(), key=lambda r: (-r["gmv_idr"], -r["orders"], -r["visits"], r["channel"]))
