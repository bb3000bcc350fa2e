"""Notification preferences: the one input rule, for the settings page and the API alike."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from marketplace.fields import INVALID_CHOICE, REQUIRED
from marketplace.notifications.kinds import KINDS, LANGUAGES

OPTIONAL_KINDS = tuple(sorted(k.name for k in KINDS.values() if not k.transactional))


class PreferencesIn(Schema):
    """The recipient's language and the optional messages they want (the rest of their role's
    optional messages are switched off; transactional ones cannot be)."""

    class Meta:
        unknown = RAISE

    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES, error=INVALID_CHOICE),
                             error_messages={"required": REQUIRED, "null": REQUIRED})
    wanted = fields.List(fields.String(validate=validate.OneOf(OPTIONAL_KINDS, error=INVALID_CHOICE)),
                         validate=validate.Length(max=len(OPTIONAL_KINDS)),
                         error_messages={"null": REQUIRED})


class PreferencesOut(Schema):
    language = fields.String()
    wanted = fields.List(fields.String())
    offered = fields.List(fields.String())
    bounced_email = fields.String(allow_none=True)
