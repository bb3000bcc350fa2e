"""The whole chain through the real broker: an admin approves a listing (the real API) →
``listing.approved`` in the outbox → relay → topic → the promotion worker → a promotion row per
channel → its posting loop → the real Telegram client → a Bot API server on loopback. The same event
published again posts nothing more; a withdrawal then takes the post down."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import select, update

from events.backoff import Backoff
from events.kafka import relay_producer_factory
from events.models import OutboxEvent
from events.relay import Relay
from marketplace.listings.models import ListingImage
from marketplace.promotion.posts.models import Promotion
from tests.integration.helpers import committed_offsets, declared_worker, unique, wait_for
from tests.unit.listings.helpers import Market
from tests.unit.payouts.loopback import Answer, Loopback, Recorded, serve
from workers.promotion import delivery, handlers

pytestmark = pytest.mark.integration



def bot_api(stub: Loopback, req: Recorded) -> Answer:
    assert req.method == "POST"
    if req.path == "/bot42:TOKEN/sendPhoto":
        stub.state["sent"] = stub.state.get("sent", 0) + 1
        return 200, {"ok": True, "result": {"message_id": 500 + stub.state["sent"],
                                            "chat": {"id": -100123, "username": "pasarkreatif"}}}, {}
    if req.path == "/bot42:TOKEN/deleteMessage":
        return 200, {"ok": True, "result": True}, {}
    return 404, {"ok": False, "error_code": 404, "description": "Not Found"}, {}


def bot_failure(_what: str) -> Answer:
    return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}, {}


@contextmanager
def promotion_worker(app: Any, settings: Any, bootstrap: str, topic: str) -> Iterator[str]:
    """The promotion worker as declared (handlers, channel factory, posting loop) on this test's topic."""
    with declared_worker(handlers, "promotion", app, settings, bootstrap, topic) as group:
        yield group


def relay_listings(app: Any, bootstrap: str, topic: str) -> int:
    """Publish the pending listing events to this test's topic (the worker's own promotion.* events
    are marked sent: nothing here consumes them)."""
    database = app.extensions["db"]
    with database.transaction() as session:
        session.execute(update(OutboxEvent).where(OutboxEvent.topic == "promotions", OutboxEvent.sent_at.is_(None))
                        .values(sent_at=OutboxEvent.occurred_at))
        session.execute(update(OutboxEvent).where(OutboxEvent.topic == "listings", OutboxEvent.sent_at.is_(None))
                        .values(topic=topic))
    relay = Relay(database.write_session_factory, relay_producer_factory(bootstrap, [topic]))
    try:
        return relay.publish_batch()
    finally:
        relay.close()


def promotions(app: Any) -> dict[str, Promotion]:
    with app.extensions["db"].new_session() as session:
        return {row.channel: row for row in session.scalars(select(Promotion))}


def caught_up(bootstrap: str, group: str, topic: str, total: int) -> bool:
    return sum(o for tp, o in committed_offsets(bootstrap, group).items() if tp.topic == topic) == total


def test_approve_to_telegram_post_once_and_a_withdrawal_takes_it_down(app, api, client, db_session, settings,
                                                                      bootstrap, monkeypatch):
    market = Market(api, db_session)
    seller = market.seller(city="Yogyakarta", kelurahan="Kauman")
    listing = market.listing(seller, title="Tas anyaman pandan")
    db_session.rollback()
    db_session.add(ListingImage(listing_id=listing["id"], position=0, key="listings/tas.jpg",
                                thumb_key="listings/tas-t.jpg", content_type="image/jpeg", width=800, height=800))
    db_session.commit()
    with app.extensions["db"].transaction() as session:  # only the approval matters here
        session.execute(update(OutboxEvent).where(OutboxEvent.topic == "listings").values(sent_at=OutboxEvent.occurred_at))
    market.approve(listing["id"])
    topic = unique("listings")

    with serve(bot_api, bot_failure) as stub:
        stub.script = ["502"]  # the first call fails: retried by the posting loop
        worker_settings = settings.with_overrides(
            promotion_channels="telegram", telegram_bot_token="42:TOKEN", telegram_chat_id="@pasarkreatif",
            telegram_api_base=stub.url, public_base_url="https://pasar.test", promotion_http_timeout_seconds=2)
        monkeypatch.setattr(delivery, "RETRY", Backoff(initial=0.5, maximum=1.0))  # seconds, not minutes
        with promotion_worker(app, worker_settings, bootstrap, topic) as group:
            assert relay_listings(app, bootstrap, topic) == 1
            wait_for(lambda: promotions(app).get("telegram") is not None
                     and promotions(app)["telegram"].status == "posted", 45, "the Telegram post")
            posted = promotions(app)
            assert posted["feed"].status == "posted"
            assert posted["feed"].url == f"https://pasar.test/listings/{listing['id']}"
            feed = client.get("/feeds/listings.rss").get_data(as_text=True)  # what social schedulers pull
            assert "Tas anyaman pandan" in feed and f"/listings/{listing['id']}?utm_source=feed" in feed
            assert (posted["telegram"].url, posted["telegram"].attempts) == ("https://t.me/pasarkreatif/501", 2)
            photo = [r for r in stub.requests if r.path.endswith("/sendPhoto")][-1].json
            assert photo["photo"] == "https://pasar.test/media/listings/tas.jpg"
            assert "Tas anyaman pandan" in photo["caption"] and "utm_source=telegram" in photo["caption"]

            # The same event again (a relay that crashed before marking it sent, a replay).
            with app.extensions["db"].transaction() as session:
                session.execute(update(OutboxEvent).where(OutboxEvent.type == "listing.approved")
                                .values(sent_at=None, topic="listings"))
            assert relay_listings(app, bootstrap, topic) == 1
            wait_for(lambda: caught_up(bootstrap, group, topic, 2), 30, "the worker to consume the copy")
            time.sleep(2.5)  # two rounds of the posting loop: anything it would post, it has posted
            assert stub.state["sent"] == 1

            assert api.post(f"/api/v1/listings/{listing['id']}/withdraw", as_=seller).status_code == 200
            assert relay_listings(app, bootstrap, topic) == 1  # listing.updated (withdrawn)
            wait_for(lambda: promotions(app)["telegram"].status == "removed", 30, "the post taken down")
    assert promotions(app)["feed"].status == "removed"
    assert "Tas anyaman pandan" not in client.get("/feeds/listings.rss").get_data(as_text=True)
    assert [r.json for r in stub.requests if r.path.endswith("/deleteMessage")] == [
        {"chat_id": "@pasarkreatif", "message_id": 501}]
