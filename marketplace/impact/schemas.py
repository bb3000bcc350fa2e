"""Impact input and output: the period and grouping (one set of rules for the API and the dashboard page),
and every figure the API returns.

A period is given as WIB calendar days, ``from`` and ``to`` both included (``to`` defaults to today,
``from`` to a year before ``to``); :func:`period_of` turns it into the half-open UTC range the services
take. A period longer than :data:`MAX_DAYS` is refused: nobody reads five years of figures at once, and
the limit keeps one request's work bounded.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from marketplace.fields import Day, QuerySchema
from marketplace.impact.counted import GROUPINGS, Period

WIB = ZoneInfo("Asia/Jakarta")
MAX_DAYS = 5 * 366
TABLES = ("items", "months", "provinces", "subsidy", "booth")

GROUPING_MESSAGE = "Group by kelurahan, city or sentra."
DATE_MESSAGE = "Enter a date as YYYY-MM-DD."
ORDER_MESSAGE = "The end of the period must not be before its start."
LENGTH_MESSAGE = "Choose a period of at most five years."
FORMAT_MESSAGE = "Choose json or csv."
TABLE_MESSAGE = "Choose items, months, provinces, subsidy or booth."

_DATE_ERRORS = {"invalid": DATE_MESSAGE, "format": DATE_MESSAGE}
#: Days the marketplace can have figures for (also keeps the date arithmetic far from its limits).
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
RANGE_MESSAGE = "Choose a date between 2000 and 2100."
_IN_RANGE = validate.Range(EARLIEST, LATEST, error=RANGE_MESSAGE)
_YEARS = (EARLIEST.year, LATEST.year)


def today_wib() -> date:
    return datetime.now(WIB).date()


class ImpactQuery(QuerySchema):
    """``group_by``, ``from``, ``to`` (WIB days, inclusive); ``format=csv`` and ``table`` for the CSV export."""

    group_by = fields.String(load_default="kelurahan", validate=validate.OneOf(GROUPINGS, error=GROUPING_MESSAGE))
    from_ = Day(data_key="from", years=_YEARS, error_messages=_DATE_ERRORS, validate=_IN_RANGE,
                metadata={"description": "first day (WIB)"})
    to = Day(years=_YEARS, error_messages=_DATE_ERRORS, validate=_IN_RANGE,
             metadata={"description": "last day (WIB), included; not before `from`, at most five years after it (422)"})
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv"), error=FORMAT_MESSAGE))
    table = fields.String(load_default="items", validate=validate.OneOf(TABLES, error=TABLE_MESSAGE),
                          metadata={"description": "which table the CSV holds"})

    @validates_schema
    def _period(self, data: dict[str, Any], **_kw: Any) -> None:
        if any(data.get(name) and not EARLIEST <= data[name] <= LATEST for name in ("from_", "to")):
            return  # already refused by the field
        first, last = bounds(data)
        if last < first:
            raise ValidationError(ORDER_MESSAGE, field_name="to")
        if (last - first).days + 1 > MAX_DAYS:
            raise ValidationError(LENGTH_MESSAGE, field_name="from")


def bounds(data: dict[str, Any]) -> tuple[date, date]:
    """The period's first and last WIB day, with the defaults filled in."""
    last = data.get("to") or today_wib()
    first = data.get("from_") or (data.get("to") or today_wib()) - timedelta(days=364)
    return first, last


def period_of(data: dict[str, Any]) -> Period:
    first, last = bounds(data)
    start = datetime.combine(first, time(), WIB).astimezone(ZoneInfo("UTC"))
    end = datetime.combine(last + timedelta(days=1), time(), WIB).astimezone(ZoneInfo("UTC"))
    return Period(start, end)


class GroupFiguresOut(Schema):
    group = fields.String(allow_none=True, metadata={"description": "kelurahan, city or sentra name (null: no sentra)"})
    group_id = fields.Integer(allow_none=True, metadata={"description": "the sentra's id (sentra grouping only)"})
    city = fields.String(allow_none=True, metadata={"description": "the kelurahan's city (kelurahan grouping)"})
    active_artisans = fields.Integer()
    new_artisans = fields.Integer()
    approved_listings = fields.Integer()
    orders = fields.Integer(metadata={"description": "counted seller orders (paid in the period, not refunded in full)"})
    gmv_idr = fields.Integer(metadata={"description": "paid less confirmed refunds"})
    artisan_earnings_idr = fields.Integer()
    outside_city_orders = fields.Integer()
    outside_city_share = fields.Float(allow_none=True)
    outside_city_gmv_share = fields.Float(allow_none=True)
    outside_province_orders = fields.Integer()
    outside_province_share = fields.Float(allow_none=True)
    outside_province_gmv_share = fields.Float(allow_none=True)
    buyer_cities = fields.Integer()
    buyers = fields.Integer()
    repeat_buyer_rate = fields.Float(allow_none=True)
    median_hours_to_moderation = fields.Float(allow_none=True)
    median_hours_to_shipping = fields.Float(allow_none=True)


class MonthOut(Schema):
    month = fields.String(metadata={"description": "YYYY-MM (WIB)"})
    orders = fields.Integer()
    gmv_idr = fields.Integer()
    outside_city_gmv_idr = fields.Integer()


class ProvinceOut(Schema):
    province = fields.String()
    orders = fields.Integer()
    gmv_idr = fields.Integer()
    buyers = fields.Integer()


class SubsidyOut(Schema):
    month = fields.String(metadata={"description": "YYYY-MM (WIB)"})
    owed_idr = fields.Integer()


class BoothSalesOut(Schema):
    """Booth sales at one programme event (``marketplace.programme.booth.figures``)."""

    event_id = fields.Integer()
    title = fields.String()
    kind = fields.String()
    city = fields.String()
    starts_at = fields.DateTime()
    sales = fields.Integer(metadata={"description": "booth sales paid in the period, not refunded"})
    units = fields.Integer()
    shops = fields.Integer()
    gmv_idr = fields.Integer()


class ImpactOut(Schema):
    group_by = fields.String()
    from_ = fields.DateTime(data_key="from", metadata={"description": "start of the period (included)"})
    to = fields.DateTime(metadata={"description": "end of the period (excluded)"})
    items = fields.List(fields.Nested(GroupFiguresOut))
    totals = fields.Nested(GroupFiguresOut, allow_none=True, metadata={"description": "the whole marketplace"})
    months = fields.List(fields.Nested(MonthOut))
    buyer_provinces = fields.List(fields.Nested(ProvinceOut))
    programme_subsidy = fields.List(fields.Nested(SubsidyOut), metadata={
        "description": "what programme vouchers cost per WIB month of the period: what the city owes"})
    booth_sales = fields.List(fields.Nested(BoothSalesOut), metadata={
        "description": "sold at each festival or market (booth sales paid by QRIS in the period)"})
