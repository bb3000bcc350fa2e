"""Moderation use cases called directly, in a transaction rolled back after each test (``tx``)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from events.models import OutboxEvent
from marketplace.errors import Conflict, NotFound
from marketplace.moderation import services
from marketplace.moderation.models import ModerationDecision
from tests import factories


@pytest.fixture
def pending(tx):
    return factories.listing(tx, factories.shop(tx).owner)


def test_approve_publishes_with_one_decision_and_one_event(tx, pending):
    admin = factories.user(tx, "admin")
    services.approve(tx, admin, pending.id, pending.revision)
    assert pending.status == "approved" and pending.approved_at is not None
    decisions = tx.scalars(select(ModerationDecision)).all()
    assert [(d.decision, d.moderator_id, d.revision) for d in decisions] == [("approved", admin.id, 1)]
    types = tx.scalars(select(OutboxEvent.type).where(OutboxEvent.key == str(pending.id)).order_by(OutboxEvent.id))
    assert list(types) == ["listing.submitted", "listing.approved"]


def test_a_decided_listing_cannot_be_decided_again(tx, pending):
    admin = factories.user(tx, "admin")
    services.reject(tx, admin, pending.id, 1, "Foto buram, mohon diganti")
    assert pending.status == "rejected" and pending.rejection_reason == "Foto buram, mohon diganti"
    with pytest.raises(Conflict) as raised:
        services.approve(tx, admin, pending.id, 1)
    assert raised.value.code == "not_pending"
    assert len(tx.scalars(select(ModerationDecision)).all()) == 1


def test_unknown_listing_is_not_found(tx):
    with pytest.raises(NotFound):
        services.approve(tx, factories.user(tx, "admin"), 987654, 1)
