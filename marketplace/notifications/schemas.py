"""Notification preferences: the one input rule, for the settings page and the API alike."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from marketplace.accounts.schemas import PhoneNumber
from marketplace.fields import INVALID_CHOICE, REQUIRED
from marketplace.notifications.kinds import KINDS, LANGUAGES

#: Opting in to WhatsApp without a number to send to.
WHATSAPP_NEEDS_PHONE = "Add your phone number to get WhatsApp messages."

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
    #: Order steps by WhatsApp too (needs the account's phone number, ``PATCH /api/v1/me``).
    whatsapp = fields.Boolean(error_messages={"null": REQUIRED, "invalid": "Not a valid boolean."})


class SettingsPageIn(PreferencesIn):
    """The settings page: the preferences and, on the same form, the phone number WhatsApp needs."""

    phone = PhoneNumber(allow_none=True)

    @validates_schema
    def _phone_for_whatsapp(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("whatsapp") and not data.get("phone"):
            raise ValidationError(WHATSAPP_NEEDS_PHONE, field_name="whatsapp")


class PreferencesOut(Schema):
    language = fields.String()
    wanted = fields.List(fields.String())
    offered = fields.List(fields.String())
    bounced_email = fields.String(allow_none=True)
    whatsapp = fields.Boolean()
    #: The caller's own number (this answers only the caller).
    phone = fields.String(allow_none=True)
    #: WhatsApp refused this number for good: nothing goes to it until it is changed.
    whatsapp_number_failed = fields.Boolean()
