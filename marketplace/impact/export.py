"""The impact tables as CSV, one file per table, with the same figures (and names) as the JSON answer.

A share is written as the JSON has it (a fraction 0..1, empty for none) so a spreadsheet and a client
read the same numbers; the totals row of the groups table has the group ``(total)``.
"""

from __future__ import annotations

import csv
import io
from typing import Any

GROUP_COLUMNS = (
    "group", "group_id", "city", "active_artisans", "new_artisans", "approved_listings", "orders", "gmv_idr",
    "artisan_earnings_idr", "outside_city_orders", "outside_city_share", "outside_city_gmv_share",
    "outside_province_orders", "outside_province_share", "outside_province_gmv_share", "buyer_cities", "buyers",
    "repeat_buyer_rate", "median_hours_to_moderation", "median_hours_to_shipping",
)
MONTH_COLUMNS = ("month", "orders", "gmv_idr", "outside_city_gmv_idr")
PROVINCE_COLUMNS = ("province", "orders", "gmv_idr", "buyers")
SUBSIDY_COLUMNS = ("month", "owed_idr")
BOOTH_COLUMNS = ("event_id", "title", "kind", "city", "starts_at", "sales", "units", "shops", "gmv_idr")
TOTAL = "(total)"


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _write(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return out.getvalue()


def to_csv(report: dict[str, Any], table: str) -> str:
    """``table``: ``items`` (the groups, then the totals row), ``months``, ``provinces`` or ``subsidy`` (the
    programme subsidy owed per WIB month: what programme vouchers cost)."""
    if table == "booth":  # sold at each festival or market
        return _write(BOOTH_COLUMNS, report["booth_sales"])
    if table == "subsidy":
        return _write(SUBSIDY_COLUMNS, report["programme_subsidy"])
    if table == "months":
        return _write(MONTH_COLUMNS, report["months"])
    if table == "provinces":
        return _write(PROVINCE_COLUMNS, report["buyer_provinces"])
    rows = list(report["items"])
    if report["totals"] is not None:
        rows.append({**report["totals"], "group": TOTAL})
    return _write(GROUP_COLUMNS, rows)


def filename(report: dict[str, Any], table: str) -> str:
    return f"impact-{report['group_by']}-{table}.csv"
