"""``message.sent`` → the other party is told by e-mail (and WhatsApp when opted in), at most once per
conversation per 15 minutes while unread; never the text itself."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from events.models import OutboxEvent
from marketplace.db import transaction
from marketplace.messaging import services
from marketplace.messaging.models import Conversation
from marketplace.notifications.models import Notification, NotificationPreference
from marketplace.shops.models import Shop
from tests.unit.notifications.conftest import NOW, make_user
from workers.notifications import handlers
from workers.worker import HandlerContext


def _handle(factory: Any, settings: Any, event: dict[str, Any], now=NOW) -> None:
    with transaction(factory) as session:
        handlers.HANDLERS[event["type"]](HandlerContext(session=session, settings=settings, clock=lambda: now), event)


def _last_event(factory: Any) -> dict[str, Any]:
    with factory() as session:
        payload = session.scalars(select(OutboxEvent.payload).where(OutboxEvent.type == "message.sent")
                                  .order_by(OutboxEvent.id.desc())).first()
    return json.loads(payload)


def _rows(factory: Any) -> list[Notification]:
    with factory() as session:
        return list(session.scalars(select(Notification).where(Notification.kind == "message_received")
                                    .order_by(Notification.id)))


def _send(factory: Any, conversation_id: int, sender_id: int, text: str, now) -> dict[str, Any]:
    with transaction(factory) as session:
        conversation = session.get(Conversation, conversation_id)
        services.send(session, conversation, session.get(type(conversation.user), sender_id), text=text, now=now)
    return _last_event(factory)


def _world(factory: Any) -> tuple[int, int, int]:
    with transaction(factory) as session:
        buyer, artisan = make_user(session, "buyer", name="Rina"), make_user(session, "artisan", name="Sari")
        shop = Shop(owner_id=artisan.id, name="Batik Sari", slug=f"batik-sari-{artisan.id}", city="Tangerang Selatan",
                    kelurahan="Cipayung")
        session.add(shop)
        session.flush()
        conversation = services.start(session, buyer, shop_id=shop.id, now=NOW)
        return conversation.id, buyer.id, artisan.id


def test_the_artisan_is_told_once_per_quarter_hour_while_unread(factory, settings):
    mail_settings = settings.with_overrides(public_base_url="https://pasar.test")
    conversation_id, buyer_id, artisan_id = _world(factory)
    first = _send(factory, conversation_id, buyer_id, "Rahasia: alamat saya Jl. Melati 3", NOW)
    _handle(factory, mail_settings, first)
    _handle(factory, mail_settings, first)  # redelivered: nothing twice
    [row] = _rows(factory)
    assert (row.recipient_id, row.status) == (artisan_id, "queued")
    assert row.subject == "Pesan baru dari Rina"
    assert f"https://pasar.test/messages/{conversation_id}" in row.body_text
    assert "Melati" not in row.body_text + row.body_html  # the text stays in the conversation

    _handle(factory, mail_settings, _send(factory, conversation_id, buyer_id, "Halo?", NOW + timedelta(minutes=5)),
            now=NOW + timedelta(minutes=5))
    assert len(_rows(factory)) == 1  # still unread, within 15 minutes
    _handle(factory, mail_settings, _send(factory, conversation_id, buyer_id, "Kak?", NOW + timedelta(minutes=16)),
            now=NOW + timedelta(minutes=16))
    assert len(_rows(factory)) == 2  # 15 minutes later, still unread: told again

    with transaction(factory) as session:  # the artisan reads; the next message is told at once
        services.mark_read(session, session.get(Conversation, conversation_id), services.SHOP)
    _handle(factory, mail_settings, _send(factory, conversation_id, buyer_id, "Terima kasih", NOW + timedelta(minutes=17)),
            now=NOW + timedelta(minutes=17))
    assert len(_rows(factory)) == 3

    reply = _send(factory, conversation_id, artisan_id, "Sama-sama", NOW + timedelta(minutes=18))
    with transaction(factory) as session:  # read before the worker got to it: not told
        services.mark_read(session, session.get(Conversation, conversation_id), services.USER)
    _handle(factory, mail_settings, reply, now=NOW + timedelta(minutes=18))
    assert [r.recipient_id for r in _rows(factory)] == [artisan_id] * 3


def test_a_buyer_who_opted_in_also_gets_it_by_whatsapp_naming_the_shop(factory, settings):
    wa_settings = settings.with_overrides(public_base_url="https://pasar.test", whatsapp_provider="sandbox")
    conversation_id, buyer_id, artisan_id = _world(factory)
    with transaction(factory) as session:
        buyer = session.get(Conversation, conversation_id).user
        buyer.phone = "+6281234567890"
        session.add(NotificationPreference(user_id=buyer.id, whatsapp=True, updated_at=NOW))
    _handle(factory, wa_settings, _send(factory, conversation_id, artisan_id, "Bisa, kak", NOW))
    rows = _rows(factory)
    assert sorted(r.channel for r in rows) == ["email", "whatsapp"]
    whatsapp = next(r for r in rows if r.channel == "whatsapp")
    assert whatsapp.recipient_id == buyer_id and "Batik Sari" in whatsapp.body_text
