"""From ``listing.approved`` to a post: one row per channel, posted once; what is withdrawn is not
posted (and is taken down); how the posting loop retries, honours Retry-After, gives up, refuses for
good, recovers after a crash without posting twice, and keeps Instagram within its publishing limit."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from events.models import OutboxEvent
from marketplace.db import transaction
from marketplace.listings.models import Listing
from marketplace.media.storage import storage_from_settings
from marketplace.promotion.posts import services
from marketplace.promotion.posts.models import Promotion
from tests.unit.payouts.loopback import serve
from tests.unit.promotion.conftest import NOW, FakeChannel, approved, envelope, make_listing
from tests.unit.promotion.test_channels import graph_failure, instagram_route
from workers.promotion import handlers
from workers.promotion.channels.base import PermanentError, TransientError
from workers.promotion.channels.feed import FeedChannel
from workers.promotion.channels.instagram import InstagramChannel
from workers.promotion.delivery import LEASE, MAX_ATTEMPTS, Poster
from workers.worker import HandlerContext


def handle(factory: Any, settings: Any, channels: dict[str, Any], event: dict[str, Any], now=NOW) -> None:
    """The worker's handler in one transaction, as the runner runs it."""
    with transaction(factory) as session:
        ctx = HandlerContext(session=session, settings=settings, clock=lambda: now,
                             gateways={handlers.CHANNELS: channels,
                                       handlers.MEDIA: storage_from_settings(settings)})
        handlers.HANDLERS[event["type"]](ctx, event)


def rows(factory: Any) -> dict[str, Promotion]:
    with factory() as session:
        return {row.channel: row for row in session.scalars(select(Promotion).order_by(Promotion.id))}


def events(factory: Any) -> list[tuple[str, dict[str, Any]]]:
    with factory() as session:
        found = session.scalars(select(OutboxEvent).where(OutboxEvent.topic == "promotions").order_by(OutboxEvent.id))
        return [(e.type, json.loads(e.payload)["data"]) for e in found]


def channels_with(fake: FakeChannel, settings: Any) -> dict[str, Any]:
    return {"feed": FeedChannel(settings.public_base_url), fake.name: fake}


def test_an_approved_listing_is_in_the_feed_at_once_and_posted_once_even_when_the_event_comes_twice(
        factory, promo_settings):
    with factory() as session:
        listing_id = make_listing(session)
    fake = FakeChannel()
    channels = channels_with(fake, promo_settings)
    handle(factory, promo_settings, channels, approved(listing_id))
    handle(factory, promo_settings, channels, approved(listing_id))  # redelivered past the inbox

    found = rows(factory)
    assert (found["feed"].status, found["feed"].url) == ("posted", f"https://pasar.test/listings/{listing_id}")
    assert found["telegram"].status == "queued"
    poster = Poster(factory, channels, promo_settings)
    assert poster.deliver_due(NOW) == 1
    assert poster.deliver_due(NOW + timedelta(days=1)) == 0
    [post] = fake.posts
    assert post.listing.image_url == f"https://pasar.test/media/listings/{listing_id}.jpg"
    assert post.link.endswith(f"/listings/{listing_id}?utm_source=telegram&utm_medium=social"
                              f"&utm_campaign=listing-{listing_id}")
    done = rows(factory)["telegram"]
    assert (done.status, done.url, done.attempts) == ("posted", "https://t.me/pasar/1", 1)
    assert [(t, d["channel"]) for t, d in events(factory)] == [("promotion.posted", "feed"),
                                                                ("promotion.posted", "telegram")]


def test_a_listing_withdrawn_before_its_post_is_not_posted_and_drops_out_of_the_feed(factory, promo_settings):
    with factory() as session:
        listing_id = make_listing(session)
    fake = FakeChannel()
    channels = channels_with(fake, promo_settings)
    handle(factory, promo_settings, channels, approved(listing_id))
    with transaction(factory) as session:
        session.get(Listing, listing_id).status = "withdrawn"
    handle(factory, promo_settings, channels, envelope("listing.updated", {
        "listing_id": listing_id, "shop_id": 1, "changed_fields": ["status"], "status": "withdrawn"}))

    assert Poster(factory, channels, promo_settings).deliver_due(NOW) == 0
    assert fake.attempts == 0
    assert {c: r.status for c, r in rows(factory).items()} == {"feed": "removed", "telegram": "cancelled"}


def test_a_listing_sold_out_before_the_event_is_handled_is_not_posted_even_without_its_event(
        factory, promo_settings):
    with factory() as session:
        listing_id = make_listing(session)
    fake = FakeChannel()
    channels = channels_with(fake, promo_settings)
    handle(factory, promo_settings, channels, approved(listing_id))
    with transaction(factory) as session:
        session.get(Listing, listing_id).stock = 0  # its listing.sold_out is still on its way
    assert Poster(factory, channels, promo_settings).deliver_due(NOW) == 0
    assert fake.attempts == 0 and rows(factory)["telegram"].status == "cancelled"


def test_a_post_of_a_listing_that_sells_out_is_taken_down_where_the_platform_allows_it(factory, promo_settings):
    with factory() as session:
        listing_id = make_listing(session)
    fake, keeps = FakeChannel(), FakeChannel(name="instagram", can_remove=False)
    channels = {**channels_with(fake, promo_settings), "instagram": keeps}
    handle(factory, promo_settings, channels, approved(listing_id))
    poster = Poster(factory, channels, promo_settings)
    assert poster.deliver_due(NOW) == 2
    with transaction(factory) as session:
        session.get(Listing, listing_id).stock = 0
    handle(factory, promo_settings, channels, envelope("listing.sold_out", {"listing_id": listing_id, "shop_id": 1}))
    poster.deliver_due(NOW)

    found = rows(factory)
    assert fake.removed == ["m1"] and found["telegram"].status == "removed"
    assert found["instagram"].status == "posted" and "not removed" in found["instagram"].last_error


def test_transient_failures_are_retried_with_backoff_and_retry_after_then_succeed(factory, promo_settings):
    with factory() as session:
        listing_id = make_listing(session)
    fake = FakeChannel(failures=[TransientError("502"), TransientError("429 rate limited", retry_after=600)])
    channels = channels_with(fake, promo_settings)
    handle(factory, promo_settings, channels, approved(listing_id))
    poster = Poster(factory, channels, promo_settings)

    assert poster.deliver_due(NOW) == 0
    first = rows(factory)["telegram"]
    assert (first.status, first.attempts, first.last_error) == ("retrying", 1, "502")
    assert first.next_attempt_at == NOW + timedelta(seconds=30)
    assert poster.deliver_due(NOW + timedelta(seconds=30)) == 0
    second = rows(factory)["telegram"]
    assert second.next_attempt_at == NOW + timedelta(seconds=630)  # Retry-After beat the 60 s backoff
    assert poster.paused_until["telegram"] == NOW + timedelta(seconds=630)  # the whole channel waits
    assert poster.deliver_due(NOW + timedelta(seconds=629)) == 0
    assert poster.deliver_due(NOW + timedelta(seconds=630)) == 1
    assert rows(factory)["telegram"].status == "posted" and fake.attempts == 3


def test_a_permanent_refusal_is_not_retried_is_shown_to_admins_and_can_be_retried_by_them(factory, promo_settings):
    with factory() as session:
        listing_id = make_listing(session)
    fake = FakeChannel(failures=[PermanentError("sendPhoto: 401 Unauthorized")])
    channels = channels_with(fake, promo_settings)
    handle(factory, promo_settings, channels, approved(listing_id))
    poster = Poster(factory, channels, promo_settings)
    poster.deliver_due(NOW)
    assert poster.deliver_due(NOW + timedelta(days=1)) == 0 and fake.attempts == 1
    row = rows(factory)["telegram"]
    assert (row.status, row.next_attempt_at, row.last_error) == ("permanent", None, "sendPhoto: 401 Unauthorized")
    assert events(factory)[-1] == ("promotion.failed", {"promotion_id": row.id, "listing_id": listing_id,
                                                        "channel": "telegram", "attempts": 1,
                                                        "error": "sendPhoto: 401 Unauthorized"})
    with transaction(factory) as session:
        services.retry(session, row.id, NOW + timedelta(days=1))
    assert poster.deliver_due(NOW + timedelta(days=1)) == 1 and rows(factory)["telegram"].status == "posted"


def test_a_post_that_keeps_failing_is_given_up_after_max_attempts(factory, promo_settings):
    with factory() as session:
        listing_id = make_listing(session)
    fake = FakeChannel(failures=[TransientError("timeout")] * MAX_ATTEMPTS)
    channels = channels_with(fake, promo_settings)
    handle(factory, promo_settings, channels, approved(listing_id))
    poster = Poster(factory, channels, promo_settings)
    when = NOW
    for _ in range(MAX_ATTEMPTS):
        poster.deliver_due(when)
        when += timedelta(hours=2)
    row = rows(factory)["telegram"]
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", MAX_ATTEMPTS, None)
    assert events(factory)[-1][0] == "promotion.failed"


def _crash_mid_post(factory: Any) -> None:
    """As if the worker died after the call, before recording its result: the row stays attempting."""
    with transaction(factory) as session:
        row = session.scalar(select(Promotion).where(Promotion.channel == "telegram"))
        row.status, row.attempts, row.next_attempt_at = "attempting", 1, NOW + LEASE


def test_after_a_crash_mid_post_the_post_found_on_the_platform_is_recorded_not_posted_again(factory, promo_settings):
    with factory() as session:
        listing_id = make_listing(session)
    fake = FakeChannel()
    channels = channels_with(fake, promo_settings)
    handle(factory, promo_settings, channels, approved(listing_id))
    _crash_mid_post(factory)
    poster = Poster(factory, channels, promo_settings)
    assert poster.deliver_due(NOW) == 0  # still leased
    from workers.promotion.channels.base import Posted
    fake.found = Posted("m9", "https://t.me/pasar/9")
    assert poster.deliver_due(NOW + LEASE) == 1
    assert fake.attempts == 0 and rows(factory)["telegram"].url == "https://t.me/pasar/9"


def test_after_a_crash_on_a_channel_that_cannot_tell_the_post_is_failed_for_an_admin_not_repeated(
        factory, promo_settings):
    with factory() as session:
        listing_id = make_listing(session)
    fake = FakeChannel(verifiable=False)
    channels = channels_with(fake, promo_settings)
    handle(factory, promo_settings, channels, approved(listing_id))
    _crash_mid_post(factory)
    Poster(factory, channels, promo_settings).deliver_due(NOW + LEASE)
    row = rows(factory)["telegram"]
    assert fake.attempts == 0 and (row.status, row.last_error) == ("failed", "cannot tell")


def test_instagram_posts_wait_for_room_in_the_publishing_limit_without_using_attempts(factory, promo_settings):
    with factory() as session:
        first, second = make_listing(session), make_listing(session)
    with serve(instagram_route, graph_failure) as stub:
        ig = InstagramChannel("1789", "ig-token", stub.url + "/v21.0", timeout=2, sleep=lambda _s: None)
        ig.min_interval = 0.0
        channels = {"feed": FeedChannel(promo_settings.public_base_url), "instagram": ig}
        handle(factory, promo_settings, channels, approved(first))
        handle(factory, promo_settings, channels, approved(second))
        stub.state["usage"] = 49  # one post left in this 24 h window
        poster = Poster(factory, channels, promo_settings)
        assert poster.deliver_due(NOW) == 1  # the first one fits; the second finds the limit reached
        assert stub.state["usage"] == 50
        with factory() as session:
            waiting = session.scalar(select(Promotion).where(Promotion.listing_id == second,
                                                             Promotion.channel == "instagram"))
        assert (waiting.status, waiting.attempts) == ("queued", 0)
        assert waiting.next_attempt_at == NOW + timedelta(hours=1)
        stub.state["usage"] = 10  # older posts left the moving window
        assert poster.deliver_due(NOW + timedelta(hours=1)) == 1
    assert [r.path for r in stub.requests].count("/v21.0/1789/media_publish") == 2


def test_a_listing_approved_again_after_a_withdrawal_is_queued_again_but_never_twice(factory, promo_settings):
    with factory() as session:
        listing_id = make_listing(session)
    fake = FakeChannel()
    channels = channels_with(fake, promo_settings)
    handle(factory, promo_settings, channels, approved(listing_id))
    with transaction(factory) as session:
        session.get(Listing, listing_id).status = "withdrawn"
    handle(factory, promo_settings, channels, envelope("listing.updated", {
        "listing_id": listing_id, "shop_id": 1, "changed_fields": ["status"], "status": "withdrawn"}))
    with transaction(factory) as session:
        session.get(Listing, listing_id).status = "approved"
    handle(factory, promo_settings, channels, approved(listing_id))  # resubmitted and approved again

    assert {c: r.status for c, r in rows(factory).items()} == {"feed": "posted", "telegram": "queued"}
    assert Poster(factory, channels, promo_settings).deliver_due(NOW) == 1
    handle(factory, promo_settings, channels, approved(listing_id))
    assert Poster(factory, channels, promo_settings).deliver_due(NOW + timedelta(hours=1)) == 0
    assert len(fake.posts) == 1
