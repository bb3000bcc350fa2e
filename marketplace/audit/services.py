"""Record and read the audit log of admin actions.

Every admin use case calls :func:`record_admin_action` itself, in its own transaction, after its change:
the log line and the change commit together or not at all, so the log never claims what did not
happen and nothing an admin did is missing from it. ``before``/``after`` are small dicts of the
fields the action changed (JSON-safe values only: datetimes become ISO strings).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from marketplace.accounts.models import User
from marketplace.audit.models import AdminAction
from marketplace.db import utcnow

#: What the command line is called in the log (it has no user of its own).
CLI_ACTOR = "cli"

#: Every action the code records (a test reads each ``record_admin_action`` call and checks it is here),
#: with what the audit-log page calls it (a message id, translated on the page).
ACTION_LABELS: dict[str, str] = {
    "listing.approve": "Listing approved", "listing.reject": "Listing rejected",
    "listing.withdraw": "Listing taken down", "listing.reports_dismiss": "Listing reports dismissed",
    "order.refund": "Order refunded", "refund.manual": "Manual bank refund recorded",
    "payout.retry": "Payout retried",
    "sentra.create": "Sentra created", "sentra.update": "Sentra changed", "shop.assign_sentra": "Shop's sentra set",
    "shop.suspend": "Shop suspended", "shop.reinstate": "Shop reinstated",
    "review.hide": "Review hidden", "review.reports_dismiss": "Review reports dismissed",
    "conversation.read": "Reported conversation read", "conversation.report_dismiss": "Conversation report dismissed",
    "programme_event.create": "Programme event created", "programme_event.update": "Programme event changed",
    "programme_event.cancel": "Programme event cancelled",
    "admin.create": "Admin created", "account.close": "Account closed",
    "dispute.resolve": "Dispute decided",
}
ACTIONS = tuple(ACTION_LABELS)
TARGET_LABELS: dict[str, str] = {
    "listing": "Listing", "order": "Order", "payout": "Payout", "sentra": "Sentra", "shop": "Shop", "user": "User",
    "review": "Review", "conversation": "Conversation", "programme_event": "Programme event",
    "dispute": "Dispute",
}
TARGET_TYPES = tuple(TARGET_LABELS)


def _json_safe(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def record_admin_action(session: Session, actor: User | None, action: str, target_type: str, target_id: int,
                        before: dict[str, Any] | None, after: dict[str, Any] | None) -> AdminAction:
    """Add one audit line in the caller's transaction; ``actor`` None means the command line."""
    row = AdminAction(
        actor_id=actor.id if actor is not None else None,
        actor_label=actor.email if actor is not None else CLI_ACTOR,
        action=action, target_type=target_type, target_id=target_id,
        before=_json_safe(before), after=_json_safe(after), created_at=utcnow(),
    )
    session.add(row)
    return row


@dataclass(frozen=True)
class AuditFilter:
    actor_id: int | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_query(cls, data: dict[str, Any]) -> "AuditFilter":
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__})


def _filtered(stmt: Select[Any], where: AuditFilter) -> Select[Any]:
    if where.actor_id is not None:
        stmt = stmt.where(AdminAction.actor_id == where.actor_id)
    if where.action:
        stmt = stmt.where(AdminAction.action == where.action)
    if where.target_type:
        stmt = stmt.where(AdminAction.target_type == where.target_type)
    if where.target_id is not None:
        stmt = stmt.where(AdminAction.target_id == where.target_id)
    # The period is in calendar days, inclusive at both ends; days are UTC (the log's own clock).
    if where.date_from is not None:
        stmt = stmt.where(AdminAction.created_at >= datetime.combine(where.date_from, time.min, tzinfo=timezone.utc))
    if where.date_to is not None:
        end = datetime.combine(where.date_to + timedelta(days=1), time.min, tzinfo=timezone.utc)
        stmt = stmt.where(AdminAction.created_at < end)
    return stmt


def entries(session: Session, where: AuditFilter, *, page: int = 1,
            per_page: int = 50) -> tuple[list[AdminAction], int]:
    """One page of the log, newest first, and how many lines match."""
    total = session.scalar(_filtered(select(func.count(AdminAction.id)), where)) or 0
    rows = session.scalars(
        _filtered(select(AdminAction), where).options(selectinload(AdminAction.actor))
        .order_by(AdminAction.created_at.desc(), AdminAction.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return list(rows), total


CSV_COLUMNS = ("id", "created_at", "actor_id", "actor", "action", "target_type", "target_id", "before", "after")


def as_csv(rows: Iterable[AdminAction]) -> str:
    """The lines as CSV (``before``/``after`` as JSON text), for an auditor's spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([row.id, row.created_at.isoformat(), row.actor_id or "", row.actor_label, row.action,
                         row.target_type, row.target_id, json.dumps(row.before, ensure_ascii=False, sort_keys=True),
                         json.dumps(row.after, ensure_ascii=False, sort_keys=True)])
    return out.getvalue()
