"""Input and output schemas of the promotion reach (share kit, figures), shared by the API and the pages."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from marshmallow import Schema, ValidationError, fields, validates_schema

from marketplace.db import utcnow
from marketplace.fields import Day, QuerySchema

DEFAULT_PERIOD_DAYS = 30
MAX_PERIOD_DAYS = 366
EARLIEST = date(2020, 1, 1)
#: The years the document allows (the end is checked against today, 422).
_YEARS = (EARLIEST.year, 2100)


class FiguresQuery(QuerySchema):
    """``?from=&to=`` (UTC days, both included); default: the last 30 days. At most a year, not before
    2020, not after tomorrow (the figures are counters per day: an absurd period is a mistake)."""

    since = Day(data_key="from", years=_YEARS, metadata={"description": "first day (YYYY-MM-DD), included"})
    until = Day(data_key="to", years=_YEARS, metadata={
        "description": "last day (YYYY-MM-DD), included; not after tomorrow, not before `from`, "
                       "at most a year after it (422)"})

    @validates_schema
    def _check(self, data: dict[str, Any], **_kw: Any) -> None:
        today = utcnow().date()
        until, since = data.get("until"), data.get("since")
        if until is not None and until > today + timedelta(days=1):
            raise ValidationError("The period cannot end in the future.", field_name="to")
        if since is not None and since < EARLIEST:
            raise ValidationError("The period cannot start before 2020.", field_name="from")
        if since is not None and until is not None:
            if since > until:
                raise ValidationError("The period must start before it ends.", field_name="from")
            if (until - since).days + 1 > MAX_PERIOD_DAYS:
                raise ValidationError("The period can be at most a year.", field_name="to")


def period(query: dict[str, Any]) -> tuple[date, date]:
    """The (since, until) a validated query asks for, defaults filled in."""
    until = query.get("until") or utcnow().date()
    since = query.get("since") or max(EARLIEST, until - timedelta(days=DEFAULT_PERIOD_DAYS - 1))
    if since > until:  # only ``from`` was given, after today
        until = since
    return since, until


class FigureOut(Schema):
    channel = fields.String(required=True, metadata={"description": "utm_source or referrer site; direct: none"})
    visits = fields.Integer(required=True)
    orders = fields.Integer(required=True)
    gmv_idr = fields.Integer(required=True)


class FiguresOut(Schema):
    since = fields.Date(data_key="from", required=True)
    until = fields.Date(data_key="to", required=True)
    window_days = fields.Integer(required=True, metadata={"description": "the attribution window"})
    items = fields.List(fields.Nested(FigureOut), required=True)


class ShareKitOut(Schema):
    square_url = fields.String(required=True, metadata={"description": "1080×1080 JPEG"})
    story_url = fields.String(required=True, metadata={"description": "1080×1920 JPEG"})
    caption = fields.String(required=True, metadata={"description": "ready to paste (Instagram's limits)"})
