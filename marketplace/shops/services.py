"""Shop use cases: open a shop, edit it, look it up.

An artisan has exactly one shop (``shops.owner_id`` is unique). The input rules (lengths, the
canonical city and kelurahan) are :mod:`marketplace.shops.schemas`'; the use cases take loaded values.
The one rule checked here is the place of a PATCH that changes only the city or only the kelurahan:
it needs the stored other half, and it is checked with the schemas' own rule
(:func:`marketplace.shops.places.clean_place`).

Pages that combine a shop with its listings (the seller dashboard, the public shop page) are composed
by the entry points (``shops/views.py``) from read-only queries, so this module imports no other
feature's services.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role, User
from marketplace.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.listings.models import Listing, ListingStatus
from marketplace.shops import places
from marketplace.shops.models import Shop

MAX_SLUG_LENGTH = 120
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def slugify(text: str) -> str:
    """ASCII, lower-case, hyphenated: ``"Batik Ciputat Ibu Sari!"`` → ``"batik-ciputat-ibu-sari"``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:MAX_SLUG_LENGTH].rstrip("-") or "toko"


def _unique_slug(session: Session, name: str) -> str:
    base = slugify(name)
    taken = set(session.scalars(select(Shop.slug).where(Shop.slug.like(f"{base}%"))))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def create_shop(
    session: Session,
    owner: User,
    *,
    name: str,
    city: str,
    kelurahan: str,
    description: str = "",
    **pickup: Any,
) -> Shop:
    """Open the artisan's one shop (409 if they already have one) from a loaded :class:`~marketplace.shops.schemas.ShopIn`."""
    if owner.role != Role.ARTISAN.value:
        raise Forbidden("Only artisans can open a shop.")
    if get_shop_for_owner(session, owner.id) is not None:
        raise Conflict("You already have a shop.", code="shop_exists")
    values = {"name": name, "description": description, **pickup}
    shop = Shop(owner_id=owner.id, slug=_unique_slug(session, values["name"]), city=city, kelurahan=kelurahan, **values)
    try:
        with session.begin_nested():  # a savepoint: a lost race undoes only this insert
            session.add(shop)
    except IntegrityError:
        # Lost a race: either this owner opened a shop meanwhile, or another shop took the slug.
        if get_shop_for_owner(session, owner.id) is not None:
            raise Conflict("You already have a shop.", code="shop_exists") from None
        shop = Shop(
            owner_id=owner.id,
            slug=f"{slugify(values['name'])[:MAX_SLUG_LENGTH - 7]}-{secrets.token_hex(3)}",
            city=city,
            kelurahan=kelurahan,
            **values,
        )
        session.add(shop)
        session.flush()
    return shop


def update_shop(session: Session, shop: Shop, changes: dict[str, Any]) -> Shop:
    """Edit name, description or place (a loaded :class:`~marketplace.shops.schemas.ShopPatch`).

    The slug stays: links already shared keep working. A new city or kelurahan must fit the stored other half.
    """
    values = dict(changes)
    if "city" in values or "kelurahan" in values:
        try:
            values["city"], values["kelurahan"] = places.clean_place(
                values.get("city", shop.city), values.get("kelurahan", shop.kelurahan)
            )
        except places.PlaceError as err:
            raise ValidationFailed(err.message, fields={err.field: [err.message]}) from None
    moved = "kelurahan" in values and values["kelurahan"] != shop.kelurahan
    for field, value in values.items():
        setattr(shop, field, value)
    if moved:  # a sentra belongs to one kelurahan: a shop that moves away leaves it
        shop.sentra_id = None
    session.flush()
    return shop


def get_shop_for_owner(session: Session, user_id: int) -> Shop | None:
    return session.scalar(select(Shop).where(Shop.owner_id == user_id))


def require_shop_for_owner(session: Session, user_id: int) -> Shop:
    shop = get_shop_for_owner(session, user_id)
    if shop is None:
        raise NotFound("You have not opened a shop yet.", code="no_shop")
    return shop


def get_shop(session: Session, shop_id: int) -> Shop:
    """A shop as the public sees it: a suspended one is not found."""
    shop = session.get(Shop, shop_id)
    if shop is None or shop.suspended_at is not None:
        raise NotFound("Shop not found.")
    return shop


def get_shop_by_slug(session: Session, slug: str) -> Shop:
    if not _SLUG.fullmatch(slug):  # slugs are ours: anything else cannot exist (and may not even be valid SQL text)
        raise NotFound("Shop not found.")
    shop = session.scalar(select(Shop).where(Shop.slug == slug))
    if shop is None or shop.suspended_at is not None:
        raise NotFound("Shop not found.")
    return shop


def approved_listing_count(session: Session, shop_id: int) -> int:
    return session.scalar(
        select(func.count(Listing.id)).where(Listing.shop_id == shop_id, Listing.status == ListingStatus.APPROVED.value)
    ) or 0
