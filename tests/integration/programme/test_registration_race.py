"""20 users race for 5 seats of a workshop: exactly 5 are registered and 15 waitlisted, on either
database; then the 5 seated cancel at once and the first 5 in line, and only they, are promoted.

Each user is a thread with its own connection and transaction, released together by a barrier (the
house's racing helper builds the connections). The event row's lock decides: on PostgreSQL it queues the
registrations, each counting the seats after the one before it committed; SQLite's write lock does the
same. Never more than capacity, whatever the interleaving.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.db import transaction, utcnow
from marketplace.errors import DomainError
from marketplace.programme import registrations, services
from marketplace.programme.models import Registration
from tests import factories
from tests.integration.orders.racing import racing_factory
from tests.threads import race_all

USERS, SEATS = 20, 5


@pytest.fixture
def factory(database_url):
    yield from racing_factory(database_url, USERS)


def _race(factory, user_ids: list[int], step) -> list[str]:
    def run(user_id: int) -> str:
        with transaction(factory) as session:
            return step(session, session.get(User, user_id))

    return race_all([partial(run, u) for u in user_ids], lambda err: err.code, DomainError)


def _seated(factory, event_id: int) -> list[int]:
    with factory() as session:
        return list(session.scalars(select(Registration.user_id).where(
            Registration.event_id == event_id, Registration.status == "registered").order_by(Registration.user_id)))


def test_twenty_users_for_five_seats_never_more_than_capacity_and_the_line_moves_in_order(factory):
    now = utcnow()
    with transaction(factory) as session:
        admin = factories.user(session, "admin")
        starts = now + timedelta(days=2)
        event = services.create_event(session, admin, {
            "kind": "workshop", "title": "Anyaman bambu", "description": "", "venue": "Sentra Jatiasih",
            "city": "Bekasi", "capacity": SEATS, "starts_at": starts, "ends_at": starts + timedelta(hours=3),
            "registration_opens_at": now - timedelta(hours=1), "registration_closes_at": starts}, now=now)
        event_id = event.id
        users = [factories.user(session, "buyer").id for _ in range(USERS)]

    outcomes = _race(factory, users,
                     lambda session, user: registrations.register(session, user, event_id, now=utcnow()).status)
    assert Counter(outcomes) == {"registered": SEATS, "waitlisted": USERS - SEATS}
    first_seated = _seated(factory, event_id)
    assert len(first_seated) == SEATS
    with factory() as session:
        line = list(session.scalars(select(Registration.user_id).where(
            Registration.event_id == event_id, Registration.status == "waitlisted")
            .order_by(Registration.queued_at, Registration.id)))
        assert session.scalar(select(func.count(Registration.id))) == USERS
        assert len({r.code for r in session.scalars(select(Registration))}) == USERS

    # the five seated cancel at once while the five next in line try to register again (409)
    cancels = _race(factory, first_seated + line[:SEATS], lambda session, user: registrations.cancel(
        session, user, event_id, now=utcnow()).status if user.id in first_seated else
        registrations.register(session, user, event_id, now=utcnow()).status)
    assert Counter(cancels) == {"cancelled": SEATS, "already_registered": SEATS}
    assert _seated(factory, event_id) == sorted(line[:SEATS])  # the first five in line, in order, no more
