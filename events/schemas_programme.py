"""Schemas of the ``programme`` topic (ARCHITECTURE.md §3): programme events and their registrations.

Ids only, never a name or an e-mail (§9): the notifications worker reads who to tell from the
database. The key is the programme event's id. Kept beside ``events.schemas`` (which merges them into
its ``SCHEMAS``) so that module stays within the house's 400 lines.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from events.schema_base import EventData as _Data
from events.schema_base import id_field as _id
from marketplace.fields import StrictInteger


class ProgrammeEventPublishedV1(_Data):
    programme_event_id = _id()
    kind = fields.String(required=True, validate=validate.OneOf(["workshop", "training", "festival", "market"]))
    city = fields.String(required=True, validate=validate.Length(min=1, max=80))
    sentra_id = StrictInteger(required=True, allow_none=True, validate=validate.Range(min=1))
    starts_at = fields.String(required=True, validate=validate.Length(min=10, max=40))


class ProgrammeEventCancelledV1(_Data):
    programme_event_id = _id()


class ProgrammeEventRescheduledV1(_Data):
    """The time or the place of a scheduled event changed: ``changed`` names which."""

    programme_event_id = _id()
    changed = fields.List(fields.String(validate=validate.OneOf(["starts_at", "ends_at", "venue"])),
                          required=True, validate=validate.Length(min=1, max=3))


class RegistrationV1(_Data):
    programme_event_id = _id()
    registration_id = _id()
    status = fields.String(required=True, validate=validate.OneOf(["registered", "waitlisted", "attended", "cancelled"]))


PROGRAMME_SCHEMAS: dict[tuple[str, int], type[Schema]] = {
    ("programme_event.published", 1): ProgrammeEventPublishedV1,
    ("programme_event.cancelled", 1): ProgrammeEventCancelledV1,
    ("programme_event.rescheduled", 1): ProgrammeEventRescheduledV1,
    ("registration.created", 1): RegistrationV1,
    ("registration.cancelled", 1): RegistrationV1,
    ("registration.promoted", 1): RegistrationV1,
    ("attendance.recorded", 1): RegistrationV1,
}
