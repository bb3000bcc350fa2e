"""The shipping rate table: data in a JSON file, validated once per process.

Why a file and not code or a table: rates change with the courier contract, not with a release, and
an operator can point ``SHIPPING_RATES_FILE`` at a new table without touching the database. The
package ships ``rates.json`` as the default.

The file is checked completely (every zone present, no unknown zone, integer rupiah ≥ 0, currency
IDR) the first time its path is asked for, and the result is cached by path: the shipping blueprint
asks at start-up (``api.py``), so a bad file stops the app with :class:`RateTableError` naming the
file and the fault, instead of answering 500 to every quote. The messages here are for operators,
so they are plain English and not translated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from marketplace.config import Settings
from marketplace.fields import StrictInteger

#: The zones, nearest first (``services.zone_for`` decides which one applies).
ZONES: tuple[str, ...] = ("same_city", "same_province", "rest_of_java", "outside_java")
PACKAGE_FILE = Path(__file__).with_name("rates.json")
MAX_RATE_IDR = 10_000_000  # a kilogram costing more than this is a typo in the file, not a tariff


class RateTableError(Exception):
    """The rate table cannot be used (missing, not JSON, or not valid); a configuration error."""


@dataclass(frozen=True)
class ZoneRate:
    first_kg_idr: int
    additional_kg_idr: int


@dataclass(frozen=True)
class RateTable:
    version: int
    currency: str
    zones: Mapping[str, ZoneRate]
    source: str

    def for_zone(self, zone: str) -> ZoneRate:
        return self.zones[zone]


class _ZoneRateSchema(Schema):
    class Meta:
        unknown = RAISE

    first_kg_idr = StrictInteger(required=True, validate=validate.Range(min=0, max=MAX_RATE_IDR))
    additional_kg_idr = StrictInteger(required=True, validate=validate.Range(min=0, max=MAX_RATE_IDR))


class RateTableSchema(Schema):
    """The rate file: ``{"version": 1, "currency": "IDR", "zones": {<zone>: {first_kg_idr, additional_kg_idr}}}``."""

    class Meta:
        unknown = RAISE

    version = StrictInteger(required=True, validate=validate.Range(min=1))
    currency = fields.String(required=True, validate=validate.Equal("IDR"))
    note = fields.String()
    zones = fields.Dict(keys=fields.String(), values=fields.Nested(_ZoneRateSchema), required=True)

    @validates_schema
    def _every_zone(self, data: dict[str, Any], **_kw: Any) -> None:
        given = set(data.get("zones", {}))
        missing = [z for z in ZONES if z not in given]
        unknown = sorted(given - set(ZONES))
        problems = []
        if missing:
            problems.append(f"missing zones: {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown zones: {', '.join(unknown)} (known: {', '.join(ZONES)})")
        if problems:
            raise ValidationError("; ".join(problems), field_name="zones")


def parse_rates(raw: Any, source: str = "<memory>") -> RateTable:
    """A validated :class:`RateTable` from the decoded JSON ``raw``; :class:`RateTableError` otherwise."""
    try:
        data = RateTableSchema().load(raw)
    except ValidationError as err:
        raise RateTableError(f"shipping rate table {source} is not valid: {err.normalized_messages()}") from err
    zones = {zone: ZoneRate(**data["zones"][zone]) for zone in ZONES}
    return RateTable(version=data["version"], currency=data["currency"], zones=MappingProxyType(zones), source=source)


@lru_cache(maxsize=8)
def _load(path: str) -> RateTable:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise RateTableError(f"shipping rate table {path} cannot be read: {err}") from err
    try:
        raw = json.loads(text)
    except ValueError as err:
        raise RateTableError(f"shipping rate table {path} is not JSON: {err}") from err
    return parse_rates(raw, source=path)


def load_rates(path: str | None = None) -> RateTable:
    """The rate table at ``path`` (``Settings.shipping_rates_file``), else the package's ``rates.json``.

    Read and validated once per process and path; a failure is not cached, so a fixed file is
    picked up by the next attempt.
    """
    return _load(str(Path(path).resolve()) if path else str(PACKAGE_FILE))


def rates_for(settings: Settings) -> RateTable:
    """The rate table the settings name (``settings.shipping_rates_file``; empty: the package file)."""
    return load_rates(settings.shipping_rates_file or None)
