"""Demo data for issue #24: a listing sold in sizes, a programme voucher and a shop voucher.

Kept beside :mod:`marketplace.local.seed` (which calls :func:`seed_offers` after the catalogue) so the
demo shows the size pickers ("habis", "tinggal 1", a price per size) and a code to type on the cart
page. Everything goes through the real use cases (the listing schema and services, moderation, the
voucher services), like the rest of the demo. Idempotent by name: the shirt by its title in its shop,
each voucher by its code; what is there already is left alone (an admin's later edits are kept).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.config import Settings

#: The demo artisan whose shop sells the shirt in sizes and gives the shop voucher (Batik Tulis Bu Sari).
VARIANT_ARTISAN = "sari"
VARIANT_TITLE = "Kemeja Batik Tulis Parang Lengan Panjang"
#: ukuran → (price, stock): M is sold out ("habis"), L has one left, XL costs more (more cloth).
SIZES: tuple[tuple[str, int, int], ...] = (
    ("S", 325_000, 4), ("M", 325_000, 0), ("L", 345_000, 1), ("XL", 365_000, 3))
VARIANT_LISTING: dict[str, Any] = {
    "title": VARIANT_TITLE,
    "description": "Kemeja batik tulis motif parang, katun primisima, lengan panjang dengan furing. "
                   "Pilih ukuran: S (lingkar dada 100 cm), M (104 cm), L (108 cm), XL (114 cm).",
    "category": "fashion",
    "weight_grams": 350,
    "fulfilment": "ready_to_ship",
    "processing_days": 0,
    "variants": [{"options": {"ukuran": size}, "price_idr": price, "stock": stock, "sku": f"KBP-{size}"}
                 for size, price, stock in SIZES],
}

#: The programme's voucher (funded by the programme, any shop): 10 % off, at most Rp 50.000.
PROGRAMME_CODE = "PEKANKREATIF"
PROGRAMME_VOUCHER: dict[str, Any] = {
    "code": PROGRAMME_CODE, "kind": "percent", "value": 10, "min_subtotal_idr": 100_000,
    "max_discount_idr": 50_000, "max_uses": 10_000,
}
#: Bu Sari's own voucher (the shop pays it): Rp 20.000 off from Rp 300.000 in her shop.
SHOP_CODE = "BATIKSARI"
SHOP_VOUCHER: dict[str, Any] = {
    "code": SHOP_CODE, "kind": "amount", "value": 20_000, "min_subtotal_idr": 300_000, "max_uses": 500, "per_buyer": 1,
}
#: How long the demo's vouchers stay valid from the first seeding.
VALID_FOR = timedelta(days=365)


def _shirt(session: Session, storage: Any, settings: Settings, artisan: Any, admin: Any) -> bool:
    """The shirt in four sizes, with photos, approved by the demo admin; False when it is there already."""
    from marketplace.listings import schemas
    from marketplace.listings import services as listings
    from marketplace.listings.models import Listing
    from marketplace.local.demo_photos import product_photo
    from marketplace.media.images import process_upload
    from marketplace.moderation import services as moderation

    shop = listings.require_shop(session, artisan)
    if session.scalar(select(Listing.id).where(Listing.shop_id == shop.id, Listing.title == VARIANT_TITLE)):
        return False
    listing = listings.create_listing(session, artisan, schemas.ListingIn().load(VARIANT_LISTING))
    for variant in range(2):
        photo = process_upload(product_photo(VARIANT_TITLE, "fashion", variant), max_bytes=settings.max_image_bytes)
        listings.add_image(session, storage, artisan, listing.id, photo)
    moderation.approve(session, admin, listing.id, listing.revision)
    return True


def _voucher(session: Session, actor: Any, body: dict[str, Any], shop_id: int | None) -> bool:
    """One voucher through its schema and service, valid from a day ago for :data:`VALID_FOR`; False
    when its code exists (whoever made it)."""
    from marketplace.db import utcnow
    from marketplace.vouchers import schemas
    from marketplace.vouchers import services as vouchers

    if vouchers.find(session, body["code"]) is not None:
        return False
    now = utcnow()
    window = {"starts_at": (now - timedelta(days=1)).isoformat(), "ends_at": (now + VALID_FOR).isoformat()}
    schema = schemas.VoucherIn() if shop_id is not None else schemas.ProgrammeVoucherIn()
    vouchers.create(session, actor, schema.load({**body, **window}), shop_id=shop_id, now=now)
    return True


def seed_offers(session: Session, storage: Any, settings: Settings, admin: Any, artisan_email: str) -> dict[str, int]:
    """Add what is missing of the shirt and the two vouchers, one transaction each (this is called by
    the entry point's seeding, which owns the session); ``artisan_email`` is the demo login of
    :data:`VARIANT_ARTISAN`. Returns how many listings and vouchers it made."""
    from marketplace.accounts.models import User
    from marketplace.shops import services as shops

    created = {"listings": 0, "vouchers": 0}
    artisan = session.scalar(select(User).where(User.email == artisan_email))
    if artisan is None:  # the catalogue's seeding makes her first; nothing to hang the offers on otherwise
        return created
    created["listings"] += _shirt(session, storage, settings, artisan, admin)
    session.commit()
    created["vouchers"] += _voucher(session, admin, PROGRAMME_VOUCHER, None)
    session.commit()
    shop = shops.get_shop_for_owner(session, artisan.id)
    created["vouchers"] += _voucher(session, artisan, SHOP_VOUCHER, shop.id)
    session.commit()
    return created
