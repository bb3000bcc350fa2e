"""Who is told what when a programme event moves: the person promoted from the waiting list, everyone
registered or waiting when the event is cancelled (not those who had cancelled), once each however often
the event is delivered; and the scheduler's day-before reminders, once, to those holding a seat."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from events.models import OutboxEvent
from marketplace.accounts.models import User
from marketplace.db import transaction, utcnow
from marketplace.notifications.models import Notification
from marketplace.orders import scheduler
from marketplace.programme import registrations, services
from tests import factories
from workers.notifications import handlers
from workers.worker import HandlerContext

NOW = utcnow().replace(microsecond=0)


def _event_values(**overrides: Any) -> dict[str, Any]:
    starts = NOW + timedelta(days=3)
    return {"kind": "workshop", "title": "Membatik, tulis; dan cap", "description": "", "venue": "Balai Warga",
            "city": "Bekasi", "sentra_id": None, "capacity": 1, "starts_at": starts, "ends_at": starts + timedelta(hours=2),
            "registration_opens_at": NOW - timedelta(days=1), "registration_closes_at": starts - timedelta(hours=1),
            **overrides}


def _deliver(factory: Any, settings: Any, event_type: str) -> None:
    """Every outbox event of ``event_type`` through the notifications worker's handler, twice (at least once)."""
    with factory() as session:
        payloads = [json.loads(p) for p in session.scalars(
            select(OutboxEvent.payload).where(OutboxEvent.type == event_type).order_by(OutboxEvent.id))]
    assert payloads, event_type
    for _ in range(2):
        for envelope in payloads:
            with transaction(factory) as session:
                handlers.HANDLERS[event_type](HandlerContext(session=session, settings=settings, clock=lambda: NOW),
                                              envelope)


def _told(factory: Any, kind: str) -> list[tuple[int, str, str]]:
    with factory() as session:
        return [(n.recipient_id, n.subject, n.body_text) for n in session.scalars(
            select(Notification).where(Notification.kind == kind).order_by(Notification.recipient_id))]


def test_the_promoted_and_then_everyone_left_are_told_once_when_the_event_is_cancelled(factory, settings):
    with transaction(factory) as session:
        admin = factories.user(session, "admin")
        first, second, third = (factories.user(session, "buyer") for _ in range(3))
        event = services.create_event(session, admin, _event_values(), now=NOW)
        for user in (first, second, third):
            registrations.register(session, user, event.id, now=NOW)
        event_id, admin_id, first_id, second_id, third_id = event.id, admin.id, first.id, second.id, third.id
    with transaction(factory) as session:
        code = registrations.cancel(session, session.get(User, first_id), event_id, now=NOW).code
    _deliver(factory, settings, "registration.promoted")
    [(who, subject, body)] = _told(factory, "registration_promoted")
    with factory() as session:
        second_code = registrations.of_user(session, session.get(User, second_id))[0].code
    assert who == second_id and subject == "Anda dapat kursi: Membatik, tulis; dan cap"
    assert second_code in body and second_code != code and "/account/events" in body

    with transaction(factory) as session:
        services.cancel_event(session, session.get(User, admin_id), event_id, "Balai dipakai untuk posyandu", now=NOW)
    _deliver(factory, settings, "programme_event.cancelled")
    told = _told(factory, "programme_event_cancelled")
    assert [t[0] for t in told] == [second_id, third_id]  # the seated and the waiting, not who had cancelled
    assert all("Balai dipakai untuk posyandu" in body for _, _, body in told)
    assert told[0][1] == "Acara dibatalkan: Membatik, tulis; dan cap"


def test_the_scheduler_reminds_those_holding_a_seat_the_day_before_once(factory, settings):
    with transaction(factory) as session:
        admin = factories.user(session, "admin")
        seated, waiting = factories.user(session, "buyer"), factories.user(session, "buyer")
        soon = NOW + timedelta(hours=20)
        event = services.create_event(session, admin, _event_values(
            starts_at=soon, ends_at=soon + timedelta(hours=2), registration_closes_at=soon), now=NOW)
        later = services.create_event(session, admin, _event_values(title="Nanti"), now=NOW)
        for user in (seated, waiting):
            registrations.register(session, user, event.id, now=NOW)
            registrations.register(session, user, later.id, now=NOW)
        seated_id = seated.id
    assert scheduler.tick(factory, settings, NOW).reminded == 1  # the event in 20 hours, not the one in 3 days
    assert scheduler.tick(factory, settings, NOW + timedelta(minutes=1)).reminded == 0
    [(who, subject, body)] = _told(factory, "programme_event_reminder")
    assert who == seated_id and subject == "Besok: Membatik, tulis; dan cap" and "WIB" in body


def test_a_new_time_or_place_is_told_to_everyone_registered_or_waiting_once(factory, settings):
    with transaction(factory) as session:
        admin = factories.user(session, "admin")
        seated, waiting, gone = (factories.user(session, "buyer") for _ in range(3))
        event = services.create_event(session, admin, _event_values(), now=NOW)
        for user in (gone, seated, waiting):
            registrations.register(session, user, event.id, now=NOW)
        registrations.cancel(session, gone, event.id, now=NOW)  # `seated` is promoted, `waiting` still waits
        services.update_event(session, admin, event.id, {"title": "Membatik cap"}, now=NOW)  # no one is told
        ids = event.id, admin.id, seated.id, waiting.id
    event_id, admin_id, seated_id, waiting_id = ids
    with factory() as session:
        assert not session.scalars(select(OutboxEvent).where(OutboxEvent.type == "programme_event.rescheduled")).all()
    later = NOW + timedelta(days=4)
    with transaction(factory) as session:
        services.update_event(session, session.get(User, admin_id), event_id,
                              {"starts_at": later, "ends_at": later + timedelta(hours=2), "venue": "Gedung Juang"},
                              now=NOW)
    _deliver(factory, settings, "programme_event.rescheduled")
    told = _told(factory, "programme_event_rescheduled")
    assert sorted(t[0] for t in told) == sorted([seated_id, waiting_id])  # once each, not who had cancelled
    assert all(subject == "Acara berubah: Membatik cap" and "Gedung Juang" in body for _, subject, body in told)
