"""Audit log query and output schemas (the API and the admin page share the query)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from marketplace.audit.services import ACTIONS, TARGET_TYPES
from marketplace.db import MAX_ID
from marketplace.fields import QuerySchema


class AuditQuery(QuerySchema):
    actor_id = fields.Integer(strict=False, validate=validate.Range(min=1, max=MAX_ID))
    action = fields.String(validate=validate.OneOf(ACTIONS))
    target_type = fields.String(validate=validate.OneOf(TARGET_TYPES))
    target_id = fields.Integer(strict=False, validate=validate.Range(min=1, max=MAX_ID))
    date_from = fields.Date(data_key="from", metadata={"description": "first day (UTC), inclusive"})
    date_to = fields.Date(data_key="to", metadata={"description": "last day (UTC), inclusive"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))

    @validates_schema
    def _period(self, data: dict[str, Any], **_kw: Any) -> None:
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError("Must not be after the end of the period.", field_name="from")


class AuditEntryOut(Schema):
    id = fields.Integer()
    actor_id = fields.Integer(allow_none=True)
    actor = fields.String(attribute="actor_label", metadata={"description": "the admin's e-mail, or 'cli'"})
    action = fields.String()
    target_type = fields.String()
    target_id = fields.Integer()
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    created_at = fields.DateTime()


class AuditLogOut(Schema):
    items = fields.List(fields.Nested(AuditEntryOut))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
