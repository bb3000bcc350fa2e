"""Shop use cases: open a shop, edit it, look it up.

An artisan has exactly one shop (``shops.owner_id`` is unique); the shop's place is validated against
:mod:`marketplace.shops.places` here, not in the schemas, so the API and the pages reject the same
inputs with the same field-named messages.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role, User
from marketplace.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.listings.models import Listing, ListingStatus
from marketplace.shops import places
from marketplace.shops.models import Shop

EDITABLE_FIELDS = ("name", "description", "city", "kelurahan", "sentra")
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


def _clean_place(city: Any, kelurahan: Any) -> tuple[str, str]:
    """Canonical (city, kelurahan) or a 422 naming the offending field."""
    canonical_city = places.canonical_city(city if isinstance(city, str) else None)
    if canonical_city is None:
        raise ValidationFailed(
            "The city is not part of the programme.",
            fields={"city": ["Choose Tangerang Selatan or Bekasi."]},
        )
    canonical_kel = places.canonical_kelurahan(canonical_city, kelurahan if isinstance(kelurahan, str) else None)
    if canonical_kel is None:
        raise ValidationFailed(
            "The kelurahan is not in this city.",
            fields={"kelurahan": ["This kelurahan is not in the chosen city."]},
        )
    return canonical_city, canonical_kel


def _clean_text(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    for field, value in out.items():
        # PostgreSQL text cannot hold NUL; refuse it here rather than fail in the driver (a 500).
        if isinstance(value, str) and "\x00" in value:
            raise ValidationFailed("The text contains invalid characters.", fields={field: ["Invalid characters."]})
    if "name" in out:
        out["name"] = " ".join(str(out["name"]).split())
        if not out["name"]:
            raise ValidationFailed("The shop needs a name.", fields={"name": ["This field is required."]})
    if "description" in out:
        out["description"] = (out["description"] or "").strip()
    if "sentra" in out:
        out["sentra"] = " ".join((out["sentra"] or "").split()) or None
    return out


def create_shop(
    session: Session,
    owner: User,
    *,
    name: str,
    city: str,
    kelurahan: str,
    description: str = "",
    sentra: str | None = None,
) -> Shop:
    """Open the artisan's one shop (409 if they already have one)."""
    if owner.role != Role.ARTISAN.value:
        raise Forbidden("Only artisans can open a shop.")
    if get_shop_for_owner(session, owner.id) is not None:
        raise Conflict("You already have a shop.", code="shop_exists")
    values = _clean_text({"name": name, "description": description, "sentra": sentra})
    city, kelurahan = _clean_place(city, kelurahan)
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
    """Edit name, description, place or sentra. The slug stays: links already shared keep working."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed("Unknown fields.", fields={f: ["Unknown field."] for f in sorted(unknown)})
    values = _clean_text(changes)
    if "city" in values or "kelurahan" in values:
        values["city"], values["kelurahan"] = _clean_place(
            values.get("city", shop.city), values.get("kelurahan", shop.kelurahan)
        )
    for field, value in values.items():
        setattr(shop, field, value)
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
    shop = session.get(Shop, shop_id)
    if shop is None:
        raise NotFound("Shop not found.")
    return shop


def get_shop_by_slug(session: Session, slug: str) -> Shop:
    if not _SLUG.fullmatch(slug):  # slugs are ours: anything else cannot exist (and may not even be valid SQL text)
        raise NotFound("Shop not found.")
    shop = session.scalar(select(Shop).where(Shop.slug == slug))
    if shop is None:
        raise NotFound("Shop not found.")
    return shop


def approved_listing_count(session: Session, shop_id: int) -> int:
    return session.scalar(
        select(func.count(Listing.id)).where(Listing.shop_id == shop_id, Listing.status == ListingStatus.APPROVED.value)
    ) or 0


def shop_with_count(session: Session, shop: Shop) -> dict[str, Any]:
    """The shop as the API shows it, with its number of public listings."""
    return {
        "id": shop.id,
        "name": shop.name,
        "slug": shop.slug,
        "description": shop.description,
        "city": shop.city,
        "kelurahan": shop.kelurahan,
        "kecamatan": places.kecamatan_of(shop.city, shop.kelurahan),
        "sentra": shop.sentra,
        "owner_id": shop.owner_id,
        "created_at": shop.created_at,
        "approved_listings_count": approved_listing_count(session, shop.id),
    }


def seller_dashboard(session: Session, user_id: int, *, media_url: Callable[[str], str]) -> dict[str, Any] | None:
    """The artisan's shop and all their listings (any status, as the listings feature's
    ``_seller_listings.html`` partial shows them); None before they open a shop."""
    from marketplace.listings.services import list_for_seller

    shop = get_shop_for_owner(session, user_id)
    if shop is None:
        return None
    return {
        "shop": shop,
        "seller_listings": list_for_seller(session, user_id),
        "approved_count": approved_listing_count(session, shop.id),
        "media_url": media_url,
    }


def shop_page(session: Session, slug: str, *, page: int, media_url: Callable[[str], str]) -> dict[str, Any]:
    """A shop and one page of its approved listings (the catalogue search, narrowed to the shop)."""
    from marketplace.catalog.services import SearchParams, search

    shop = get_shop_by_slug(session, slug)
    result = search(session, SearchParams(shop_id=shop.id, sort="newest", page=page), media_url=media_url)
    return {"shop": shop, "result": result, "kecamatan": places.kecamatan_of(shop.city, shop.kelurahan)}
