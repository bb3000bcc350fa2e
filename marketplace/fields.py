"""Marshmallow fields shared by the API schemas and the event schemas."""

from __future__ import annotations

import numbers
from typing import Any

from marshmallow import fields


class StrictInteger(fields.Integer):
    """An integer that must arrive as a JSON integer: ``"150000"``, ``150000.0`` and ``true`` are refused.

    Money and quantities are never coerced: a client that sends them as text or floats has a bug it
    should see, and rupiah must not pass through a float on the way in.
    """

    def __init__(self, **kwargs: Any):
        super().__init__(strict=True, **kwargs)

    def _validated(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


class TrimmedString(fields.String):
    """A string with surrounding whitespace removed before length checks."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()
