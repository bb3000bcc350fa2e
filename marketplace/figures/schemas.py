"""Programme figures input and output: the city and period (WIB days, as the impact figures take them),
``format=csv``; every figure of a row, each null when the row is suppressed."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from marketplace.impact.schemas import FORMAT_MESSAGE, ImpactQuery
from marketplace.shops.places import CITIES

CITY_MESSAGE = "Choose Tangerang Selatan or Bekasi."


class ProgrammeFiguresQuery(ImpactQuery):
    """``city`` (one of the programme's cities; empty: both), ``from``, ``to`` (WIB days, inclusive),
    ``format=csv``."""

    class Meta:
        exclude = ("group_by", "table")

    city = fields.String(validate=validate.OneOf(CITIES, error=CITY_MESSAGE))
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv"), error=FORMAT_MESSAGE))


class ProgrammeFunnelOut(Schema):
    suppressed = fields.Boolean()
    trained = fields.Integer(allow_none=True, metadata={"description": "attended a training or workshop"})
    opened_shop = fields.Integer(allow_none=True)
    first_listing = fields.Integer(allow_none=True, metadata={"description": "a listing approved"})
    first_sale = fields.Integer(allow_none=True)
    days_training_to_shop = fields.Float(allow_none=True, metadata={"description": "median days"})
    days_shop_to_listing = fields.Float(allow_none=True, metadata={"description": "median days"})
    days_listing_to_sale = fields.Float(allow_none=True, metadata={"description": "median days"})


class ProgrammeFigureRowOut(Schema):
    level = fields.String(metadata={"description": "city, kelurahan, sentra or total"})
    city = fields.String(allow_none=True)
    kelurahan = fields.String(allow_none=True)
    sentra = fields.String(allow_none=True)
    sentra_id = fields.Integer(allow_none=True)
    suppressed = fields.Boolean(metadata={"description": "fewer than 5 artisans: no number shown"})
    artisans = fields.Integer(allow_none=True)
    active_artisans = fields.Integer(allow_none=True)
    young_active_artisans = fields.Integer(allow_none=True, metadata={"description": "born 1997-2012 (Gen Z)"})
    new_shops = fields.Integer(allow_none=True)
    listings = fields.Integer(allow_none=True, metadata={"description": "approved in the period"})
    orders = fields.Integer(allow_none=True)
    gmv_idr = fields.Integer(allow_none=True)
    outside_city_orders = fields.Integer(allow_none=True)
    outside_province_orders = fields.Integer(allow_none=True)
    outside_city_share = fields.Float(allow_none=True)
    outside_province_share = fields.Float(allow_none=True)
    booth_orders = fields.Integer(allow_none=True, metadata={"description": "null until booth sales exist"})
    booth_gmv_idr = fields.Integer(allow_none=True)
    events_held = fields.Integer(allow_none=True)
    attendees = fields.Integer(allow_none=True)
    funnel = fields.Nested(ProgrammeFunnelOut)


class ProgrammeFiguresOut(Schema):
    from_ = fields.DateTime(data_key="from", metadata={"description": "start of the period (included)"})
    to = fields.DateTime(metadata={"description": "end of the period (excluded)"})
    city = fields.String(allow_none=True)
    min_group_size = fields.Integer()
    suppressed_below = fields.Integer(allow_none=True, metadata={"description": "null: nothing suppressed (admins)"})
    booth_sales_counted = fields.Boolean()
    totals = fields.Nested(ProgrammeFigureRowOut)
    cities = fields.List(fields.Nested(ProgrammeFigureRowOut))
    kelurahan = fields.List(fields.Nested(ProgrammeFigureRowOut))
    sentra = fields.List(fields.Nested(ProgrammeFigureRowOut))


def csv_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Every row (total, cities, kelurahan, sentra) flat, the funnel's figures as ``funnel_*`` columns."""
    rows = [report["totals"], *report["cities"], *report["kelurahan"], *report["sentra"]]
    return [{**{k: v for k, v in r.items() if k != "funnel"},
             **{f"funnel_{k}": v for k, v in r["funnel"].items()}} for r in rows]
