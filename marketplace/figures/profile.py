"""The artisan's programme profile: birth year (private, ARCHITECTURE §9) and the crafts they practise.

The birth year is shown to nobody (the account page shows the user their own, nothing else does), never
put in an event or a log, and read by the figures only inside aggregates. Validation lives in
:class:`BirthYear` so ``PATCH /api/v1/me`` and the page form refuse the same years.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from marshmallow import ValidationError, fields
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from marketplace.db import utcnow
from marketplace.figures.models import EARLIEST_BIRTH_YEAR, ArtisanCraft, ArtisanProfile
from marketplace.listings.models import CATEGORIES

BIRTH_YEAR_MESSAGE = "Enter a birth year between 1940 and this year."
CRAFT_MESSAGE = "Choose crafts from the catalogue's categories."


def this_year() -> int:
    return datetime.now(timezone.utc).year


class BirthYear(fields.Integer):
    """A year from 1940 to this year (checked at load time, so the year turns over by itself); null removes it."""

    def __init__(self, **kwargs: Any) -> None:
        # The document states the range as of when it is built (the code checks it at load time).
        kwargs["metadata"] = {"minimum": EARLIEST_BIRTH_YEAR, "maximum": this_year(), **kwargs.get("metadata", {})}
        super().__init__(strict=True, allow_none=True, error_messages={"invalid": BIRTH_YEAR_MESSAGE}, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int | None:
        if isinstance(value, bool):
            raise ValidationError(BIRTH_YEAR_MESSAGE)
        year = super()._deserialize(value, attr, data, **kwargs)
        if year is not None and not EARLIEST_BIRTH_YEAR <= year <= this_year():
            raise ValidationError(BIRTH_YEAR_MESSAGE)
        return year


class Crafts(fields.List):
    """Craft categories (each one of ``CATEGORIES``), duplicates dropped, in the catalogue's order."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(fields.String(metadata={"enum": list(CATEGORIES)}), **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[str]:
        items = super()._deserialize(value, attr, data, **kwargs)
        if any(i not in CATEGORIES for i in items):
            raise ValidationError(CRAFT_MESSAGE)
        return [c for c in CATEGORIES if c in items]


def profile_of(session: Session, user_id: int) -> dict[str, Any]:
    """The user's own profile (for their account page and their data export only)."""
    row = session.get(ArtisanProfile, user_id)
    crafts = set(session.scalars(select(ArtisanCraft.category).where(ArtisanCraft.user_id == user_id)))
    return {"birth_year": row.birth_year if row else None, "crafts": [c for c in CATEGORIES if c in crafts]}


_UNSET: Any = object()


def set_profile(session: Session, user_id: int, *, birth_year: Any = _UNSET, crafts: Any = _UNSET) -> None:
    """Change the birth year (None removes it) and/or replace the crafts; values already validated."""
    if birth_year is not _UNSET:
        row = session.get(ArtisanProfile, user_id)
        if row is None:
            row = ArtisanProfile(user_id=user_id)
            session.add(row)
        row.birth_year, row.updated_at = birth_year, utcnow()
    if crafts is not _UNSET:
        session.execute(delete(ArtisanCraft).where(ArtisanCraft.user_id == user_id))
        session.add_all([ArtisanCraft(user_id=user_id, category=c) for c in crafts])
    session.flush()
