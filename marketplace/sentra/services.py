"""Sentra use cases: admins create and edit sentra, put shops in them; anyone reads them.

Every admin change lands in the audit log in its own transaction. A shop can only be in a sentra of
its own kelurahan (checked here, under the shop's row lock, against the stored place).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.audit.services import record_admin_action
from marketplace.db import utcnow
from marketplace.errors import Conflict, NotFound, ValidationFailed
from marketplace.media.images import ProcessedImage
from marketplace.media import photos
from marketplace.media.storage import MediaStorage
from marketplace.sentra.models import Sentra
from marketplace.shops.models import Shop
from marketplace.shops.services import slugify

NAME_TAKEN = "This kelurahan already has a sentra of that name."
OTHER_KELURAHAN = "This sentra is in another kelurahan than the shop."
_EDITABLE = ("name", "focus", "story")


def _state(sentra: Sentra) -> dict[str, Any]:
    return {"name": sentra.name, "city": sentra.city, "kelurahan": sentra.kelurahan, "focus": sentra.focus,
            "story": sentra.story, "photo_key": sentra.photo_key}


def _unique_slug(session: Session, name: str, kelurahan: str) -> str:
    """``sentra-batik-cipayung``: the name, with the kelurahan added when the name does not say it."""
    base = slugify(name) if slugify(kelurahan) in slugify(name) else slugify(f"{name} {kelurahan}")
    taken = set(session.scalars(select(Sentra.slug).where(Sentra.slug.like(f"{base}%"))))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _name_taken(session: Session, kelurahan: str, name: str, exclude_id: int | None = None) -> bool:
    stmt = select(Sentra.id).where(Sentra.kelurahan == kelurahan, func.lower(Sentra.name) == name.lower())
    if exclude_id is not None:
        stmt = stmt.where(Sentra.id != exclude_id)
    return session.scalar(stmt) is not None


def create_sentra(session: Session, admin: User, values: dict[str, Any]) -> Sentra:
    """A new sentra from a loaded :class:`~marketplace.sentra.schemas.SentraIn`; 409 if the name is taken there."""
    if _name_taken(session, values["kelurahan"], values["name"]):
        raise Conflict(NAME_TAKEN, code="sentra_exists", fields={"name": [NAME_TAKEN]})
    now = utcnow()
    sentra = Sentra(**values, slug=_unique_slug(session, values["name"], values["kelurahan"]),
                    created_at=now, updated_at=now)
    try:
        with session.begin_nested():
            session.add(sentra)
    except IntegrityError:  # the same name created concurrently
        raise Conflict(NAME_TAKEN, code="sentra_exists", fields={"name": [NAME_TAKEN]}) from None
    record_admin_action(session, admin, "sentra.create", "sentra", sentra.id, None, _state(sentra))
    return sentra


def _lock(session: Session, sentra_id: int) -> Sentra:
    sentra = session.scalar(select(Sentra).where(Sentra.id == sentra_id).with_for_update())
    if sentra is None:
        raise NotFound("Sentra not found.")
    return sentra


def update_sentra(session: Session, admin: User, sentra_id: int, values: dict[str, Any]) -> Sentra:
    """Change name, focus or story (a loaded :class:`~marketplace.sentra.schemas.SentraPatch`)."""
    sentra = _lock(session, sentra_id)
    if "name" in values and _name_taken(session, sentra.kelurahan, values["name"], exclude_id=sentra.id):
        raise Conflict(NAME_TAKEN, code="sentra_exists", fields={"name": [NAME_TAKEN]})
    before = _state(sentra)
    for key in _EDITABLE:
        if key in values:
            setattr(sentra, key, values[key])
    sentra.updated_at = utcnow()
    session.flush()
    record_admin_action(session, admin, "sentra.update", "sentra", sentra.id, before, _state(sentra))
    return sentra


def set_photo(session: Session, storage: MediaStorage, admin: User, sentra_id: int,
              processed: ProcessedImage) -> Sentra:
    """Store a processed photo (decoded before this, in the bounded image pool) as the sentra's photo.

    The new files are deleted if the transaction does not commit; the old ones once it has."""
    sentra = _lock(session, sentra_id)
    stored = photos.store(session, storage, f"sentra/{sentra.id}", processed)
    old = [sentra.photo_key, sentra.photo_thumb_key]
    before = _state(sentra)
    sentra.photo_key, sentra.photo_thumb_key, sentra.updated_at = stored.key, stored.thumb_key, utcnow()
    photos.delete_when_committed(session, storage, old)
    record_admin_action(session, admin, "sentra.update", "sentra", sentra.id, before, _state(sentra))
    return sentra


def assign_shop(session: Session, admin: User, shop_id: int, sentra_id: int | None) -> Shop:
    """Put a shop in a sentra of its own kelurahan (or in none); 422 for a sentra elsewhere."""
    shop = session.scalar(select(Shop).where(Shop.id == shop_id).with_for_update())
    if shop is None:
        raise NotFound("Shop not found.")
    if sentra_id is not None:
        sentra = session.get(Sentra, sentra_id)
        if sentra is None:
            raise ValidationFailed(fields={"sentra_id": ["No such sentra."]})
        if (sentra.city, sentra.kelurahan) != (shop.city, shop.kelurahan):
            raise ValidationFailed(OTHER_KELURAHAN, fields={"sentra_id": [OTHER_KELURAHAN]})
    before = {"sentra_id": shop.sentra_id}
    shop.sentra_id = sentra_id
    session.flush()
    record_admin_action(session, admin, "shop.assign_sentra", "shop", shop.id, before, {"sentra_id": sentra_id})
    return shop


def get_sentra(session: Session, sentra_id: int) -> Sentra:
    sentra = session.get(Sentra, sentra_id)
    if sentra is None:
        raise NotFound("Sentra not found.")
    return sentra


def candidate_shops(session: Session, sentra: Sentra) -> list[Shop]:
    """Every shop of the sentra's kelurahan (suspended ones too: membership outlives a suspension), by
    name: the shops an admin may put in it."""
    return list(session.scalars(select(Shop).where(Shop.city == sentra.city, Shop.kelurahan == sentra.kelurahan)
                                .order_by(Shop.name, Shop.id)))


def set_members(session: Session, admin: User, sentra_id: int, shop_ids: set[int]) -> tuple[int, int]:
    """Make ``shop_ids`` the sentra's shops: each added or removed shop is one audited
    :func:`assign_shop` (a shop of another kelurahan is a 422, nothing changed). ``(added, removed)``."""
    sentra = get_sentra(session, sentra_id)
    candidates = {shop.id: shop for shop in candidate_shops(session, sentra)}
    if shop_ids - set(candidates):
        raise ValidationFailed(OTHER_KELURAHAN, fields={"shop_ids": [OTHER_KELURAHAN]})
    added = removed = 0
    for shop_id, shop in candidates.items():
        if shop_id in shop_ids and shop.sentra_id != sentra.id:
            assign_shop(session, admin, shop_id, sentra.id)
            added += 1
        elif shop_id not in shop_ids and shop.sentra_id == sentra.id:
            assign_shop(session, admin, shop_id, None)
            removed += 1
    return added, removed


@dataclass(frozen=True)
class SentraView:
    """A sentra with how many (not suspended) shops it has, as lists and pages show it."""

    sentra: Sentra
    shop_count: int

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sentra, name)


def _counts(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(Shop.sentra_id, func.count(Shop.id))
        .where(Shop.sentra_id.is_not(None), Shop.suspended_at.is_(None))
        .group_by(Shop.sentra_id)
    ).all()
    return {sid: n for sid, n in rows}


def list_sentra(session: Session, *, city: str | None = None, kelurahan: str | None = None) -> list[SentraView]:
    stmt = select(Sentra).order_by(Sentra.city, Sentra.kelurahan, Sentra.name)
    if city:
        stmt = stmt.where(Sentra.city == city)
    if kelurahan:
        stmt = stmt.where(Sentra.kelurahan == kelurahan)
    counts = _counts(session)
    return [SentraView(s, counts.get(s.id, 0)) for s in session.scalars(stmt)]


def get_by_slug(session: Session, slug: str) -> SentraView:
    sentra = session.scalar(select(Sentra).where(Sentra.slug == slug[:140]))
    if sentra is None:
        raise NotFound("Sentra not found.")
    return SentraView(sentra, _counts(session).get(sentra.id, 0))


def shops_of(session: Session, sentra_id: int) -> list[Shop]:
    """The sentra's artisans (suspended shops left out), by name."""
    return list(session.scalars(select(Shop).where(Shop.sentra_id == sentra_id, Shop.suspended_at.is_(None))
                                .order_by(Shop.name)))


def shops_in_kelurahan(session: Session, city: str, kelurahan: str) -> list[Shop]:
    return list(session.scalars(select(Shop).where(Shop.city == city, Shop.kelurahan == kelurahan,
                                                   Shop.suspended_at.is_(None)).order_by(Shop.name)))
