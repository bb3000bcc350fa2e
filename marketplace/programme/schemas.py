"""Programme event input rules (the one definition, for the API and the admins' pages) and output.

Times without an offset are read as WIB (the programme's time zone: an admin types "09.00" meaning
Tangerang Selatan's morning); with an offset they are taken as given. The rules that join fields (an
end before the start, a registration window outside the event, a capacity below the seats already
taken) are the service's (``services._check``), so a PATCH is checked against the stored values too.
"""

from __future__ import annotations

from datetime import timezone
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates

from marketplace.db import MAX_ID
from marketplace.fields import (
    INVALID_CHOICE,
    REQUIRED,
    OneLine,
    PatchSchema,
    QueryNumber,
    QuerySchema,
    TrimmedString,
    UploadedFile,
    WholeNumber,
)
from marketplace.formatting import TIMEZONE
from marketplace.media.storage import public_url
from marketplace.programme.models import EventKind, ParticipationStatus, RegistrationStatus
from marketplace.shops import places

KINDS = [k.value for k in EventKind]
MAX_CAPACITY = 100_000
CAPACITY_MESSAGE = "From 1 to 100.000 seats."
DATE_MESSAGE = "Enter a date and time."
CODE_MESSAGE = "Enter the code of the registration (letters and digits)."


def _date(required: bool = True, **kw: Any) -> fields.AwareDateTime:
    return fields.AwareDateTime(required=required, default_timezone=TIMEZONE, **kw,
                                error_messages={"required": REQUIRED, "null": REQUIRED, "invalid": DATE_MESSAGE})


class ProgrammeEventIn(Schema):
    """``POST /api/v1/admin/events`` and the admins' event form. A sentra's event takes the sentra's
    city (``city`` may then be left out); a city's event names the city."""

    kind = fields.String(required=True, validate=validate.OneOf(KINDS, error=INVALID_CHOICE))
    title = OneLine(required=True, validate=validate.Length(min=3, max=140))
    description = TrimmedString(load_default="", validate=validate.Length(max=5000))
    venue = OneLine(required=True, validate=validate.Length(min=3, max=200))
    city = OneLine(allow_none=True, load_default=None, metadata=places.CITY_DOC)
    sentra_id = WholeNumber(allow_none=True, load_default=None, validate=validate.Range(min=1, max=MAX_ID))
    starts_at = _date()
    ends_at = _date()
    capacity = WholeNumber(required=True, validate=validate.Range(min=1, max=MAX_CAPACITY, error=CAPACITY_MESSAGE))
    registration_opens_at = _date()
    registration_closes_at = _date()

    @validates("city")
    def _city(self, value: str | None, **_kw: Any) -> None:
        if value and places.canonical_city(value) is None:
            raise ValidationError(places.CITY_MESSAGE)

    @post_load
    def _canonical_city(self, data: dict[str, Any], **_kw: Any) -> dict[str, Any]:
        for key in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
            if data.get(key) is not None:
                data[key] = data[key].astimezone(timezone.utc)
        if data.get("city"):
            data["city"] = places.canonical_city(data["city"])
        elif "city" in data:
            data["city"] = None
        return data


class ProgrammeEventPatch(ProgrammeEventIn, PatchSchema):
    """``PATCH /api/v1/admin/events/<id>``: any field."""


class ProgrammeCancelIn(Schema):
    reason = TrimmedString(required=True, validate=validate.Length(min=3, max=500))


class ProgrammeEventQuery(QuerySchema):
    """``GET /api/v1/events``: upcoming (not yet ended) events by default."""

    city = OneLine(load_default=None, metadata=places.CITY_DOC)
    sentra_id = QueryNumber(load_default=None, validate=validate.Range(min=1, max=MAX_ID))
    kind = fields.String(load_default=None, validate=validate.OneOf(KINDS, error=INVALID_CHOICE))
    from_ = _date(required=False, data_key="from", load_default=None)
    to = _date(required=False, load_default=None)

    @validates("city")
    def _city(self, value: str | None, **_kw: Any) -> None:
        if value and places.canonical_city(value) is None:
            raise ValidationError(places.CITY_MESSAGE)


class ProgrammeShopIn(Schema):
    """``POST /api/v1/admin/events/<id>/shops``: add (or accept) a shop."""

    shop_id = WholeNumber(required=True, validate=validate.Range(min=1, max=MAX_ID))


class ProgrammeApplyIn(Schema):
    """``POST /api/v1/events/<id>/shop-applications``: the artisan's shop applies."""

    note = TrimmedString(load_default="", validate=validate.Length(max=500))


class ProgrammeCheckInIn(Schema):
    code = OneLine(required=True, validate=validate.Regexp(r"^[A-Za-z0-9-]{4,16}$", error=CODE_MESSAGE))


class ProgrammePhotoUploadIn(Schema):
    file = UploadedFile(required=True)


def _url(key: str | None) -> str | None:
    return public_url(key) if key else None


class ProgrammeShopOut(Schema):
    id = fields.Integer()
    name = fields.String()
    slug = fields.String()
    kelurahan = fields.String()
    status = fields.String(metadata={"enum": [s.value for s in ParticipationStatus]})


class ProgrammeEventOut(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"enum": KINDS})
    status = fields.String(metadata={"enum": ["scheduled", "cancelled"]})
    title = fields.String()
    description = fields.String()
    venue = fields.String()
    city = fields.String()
    sentra_id = fields.Integer(allow_none=True)
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    capacity = fields.Integer()
    seats_left = fields.Integer()
    waitlisted = fields.Integer(metadata={"description": "people on the waiting list"})
    registration_opens_at = fields.DateTime()
    registration_closes_at = fields.DateTime()
    cancel_reason = fields.String(allow_none=True)
    photo_url = fields.Function(lambda e: _url(e.photo_key), metadata={"type": "string", "nullable": True})
    shops = fields.List(fields.Nested(ProgrammeShopOut), metadata={
        "description": "festivals and markets: the shops taking part (accepted; admins also see applications)"})


class ProgrammeEventList(Schema):
    items = fields.List(fields.Nested(ProgrammeEventOut))


class ProgrammeRegistrationOut(Schema):
    id = fields.Integer()
    event_id = fields.Integer()
    status = fields.String(metadata={"enum": [s.value for s in RegistrationStatus]})
    code = fields.String()
    waitlist_position = fields.Integer(allow_none=True, metadata={"description": "1 = next in line; null unless waitlisted"})
    event = fields.Nested(ProgrammeEventOut, allow_none=True)


class ProgrammeRegistrationList(Schema):
    items = fields.List(fields.Nested(ProgrammeRegistrationOut))


class ProgrammeCheckInOut(Schema):
    status = fields.String(metadata={"enum": ["attended"]})
    registration_id = fields.Integer()
    name = fields.String(metadata={"description": "the registered person's name, for the admin at the door"})
