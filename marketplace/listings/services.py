"""Listing use cases: create, edit, withdraw, resubmit, add and delete photos, and who may see what.

Each use case changes rows and records its outbox events (``events.outbox.record``) in the caller's
transaction; the entry point commits them together (ARCHITECTURE.md §8).

Review rule (ARCHITECTURE.md §4): an edit of title, description, price or photos of
an *approved* listing sends it back to ``pending_review``; any edit of a *rejected* listing resubmits it
(the seller is fixing what the moderator asked for). A withdrawn listing stays withdrawn until resubmitted.
Variants (:mod:`marketplace.listings.variants`): a new, removed or re-priced variant or changed options
count as a price change (``"variants"``); a variant's stock, SKU or photo alone do not.

Revision: every change of what a buyer sees (``REVISED_FIELDS``: the text, price, category, weight,
how it is made and its photos) raises ``Listing.revision`` by one, in whatever status. A moderator's
decision names the revision it was taken on and is refused if the listing has moved on since
(:mod:`marketplace.moderation.services`), so an edit made while the moderator was looking is never
published unseen. Stock is left out: it is inventory, not a claim to review, and checkout changes it
all the time. Every edit holds the listing's row lock (``FOR UPDATE``; on SQLite writers are serial),
so a decision's conditional update either runs before the edit or sees its new revision.

Access: only ``approved`` listings are public. A seller editing someone else's listing gets 403 when the
listing is public anyway and 404 otherwise, so nobody learns that a hidden listing exists.

Photos are decoded and re-encoded before the write transaction (by the entry point, in the bounded pool of
:mod:`marketplace.media.pool`), so no transaction — on SQLite, no write lock — is held while they are.
Their files are written by the one photo store (:mod:`marketplace.media.photos`): before the commit,
deleted again if the transaction does not commit, and a photo's files deleted only once its removal is
committed, so a failure leaves at most an orphaned file, never a row pointing at nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from events.outbox import record
from marketplace.accounts.models import User
from marketplace.db import utcnow
from marketplace.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.listings.models import MAX_IMAGES_PER_LISTING, Listing, ListingImage, ListingStatus
from marketplace.listings import variants as listing_variants
from marketplace.listings.schemas import SET_PER_VARIANT_MESSAGE, made_to_order_error
from marketplace.media import photos
from marketplace.media.images import ProcessedImage
from marketplace.media.storage import MediaStorage
from marketplace.shops.models import Shop
from marketplace.shops.services import get_shop_for_owner

APPROVED = ListingStatus.APPROVED.value
PENDING = ListingStatus.PENDING_REVIEW.value
REJECTED = ListingStatus.REJECTED.value
WITHDRAWN = ListingStatus.WITHDRAWN.value
#: A custom offer's listing (``marketplace.messaging.offers``): it lives in its conversation, never
#: edited, resubmitted or withdrawn as a listing (a resubmitted offer would become public).
PRIVATE = ListingStatus.PRIVATE.value
CUSTOM_OFFER = "This is a custom offer: it is managed in its conversation."
#: Changes that a moderator must see again before an approved listing is public.
REVIEWED_FIELDS = frozenset({"title", "description", "price_idr", "images", listing_variants.REVIEWED})
#: Changes of what a buyer sees: each one makes a new revision, which a moderator must see before deciding.
REVISED_FIELDS = REVIEWED_FIELDS | {"category", "weight_grams", "fulfilment", "processing_days"}


# --- reading ---------------------------------------------------------------------------------------


def _load(session: Session, listing_id: int, *, for_update: bool = False) -> Listing | None:
    stmt = select(Listing).where(Listing.id == listing_id).options(selectinload(Listing.images),
                                                                   selectinload(Listing.variants))
    if for_update:
        # Locked re-read: refresh a copy already in the session (loaded before the lock, e.g. by
        # add_image's first check), or its revision and status could be those before a concurrent edit.
        stmt = stmt.with_for_update(of=Listing).execution_options(populate_existing=True)
    return session.scalar(stmt)


def is_owner(listing: Listing, user: User | None) -> bool:
    return user is not None and listing.shop.owner_id == user.id


def get_for_viewer(session: Session, listing_id: int, viewer: User | None) -> Listing:
    """Approved listings for anyone; any status for its owner and for admins; otherwise 404."""
    listing = _load(session, listing_id)
    if listing is None:
        raise NotFound("Listing not found.")
    if viewer is not None and viewer.is_admin:
        return listing
    if (listing.status == APPROVED and listing.shop.suspended_at is None) or is_owner(listing, viewer):
        return listing
    raise NotFound("Listing not found.")


def get_owned(session: Session, user: User, listing_id: int, *, for_update: bool = False) -> Listing:
    """The caller's own listing; someone else's is 403 if public and 404 if not (no leak)."""
    listing = _load(session, listing_id, for_update=for_update)
    if listing is None:
        raise NotFound("Listing not found.")
    if not is_owner(listing, user):
        if listing.status == APPROVED:
            raise Forbidden("Only the shop's owner can change this listing.")
        raise NotFound("Listing not found.")
    if listing.status == PRIVATE:
        raise Conflict(CUSTOM_OFFER, code="custom_offer")
    return listing


def list_for_seller(session: Session, user_id: int) -> list[Listing]:
    """The seller's listings, newest first, any status (with rejection reasons), photos preloaded."""
    stmt = (
        select(Listing)
        .join(Shop, Shop.id == Listing.shop_id)
        .where(Shop.owner_id == user_id, Listing.status != PRIVATE)
        .options(selectinload(Listing.images), selectinload(Listing.variants))
        .order_by(Listing.created_at.desc(), Listing.id.desc())
    )
    return list(session.scalars(stmt))


def require_shop(session: Session, user: User) -> Shop:
    """The artisan's shop; without one a listing cannot be created (409 ``no_shop``: open a shop first)."""
    shop = get_shop_for_owner(session, user.id)
    if shop is None:
        raise Conflict("Open your shop before adding products.", code="no_shop")
    return shop


# --- events ------------------------------------------------------------------------------------------


def _record_submitted(session: Session, listing: Listing) -> None:
    record(session, "listing.submitted", key=listing.id, data={
        "listing_id": listing.id, "shop_id": listing.shop_id, "title": listing.title,
        "price_idr": listing.price_idr, "category": listing.category,
    })


def _record_updated(session: Session, listing: Listing, changed: list[str]) -> None:
    record(session, "listing.updated", key=listing.id, data={
        "listing_id": listing.id, "shop_id": listing.shop_id, "changed_fields": changed, "status": listing.status,
    })


def _submit(listing: Listing) -> None:
    listing.status = PENDING
    listing.submitted_at = utcnow()
    listing.rejection_reason = None


def _after_change(session: Session, listing: Listing, changed: set[str]) -> None:
    """Apply the review rule to a changed listing and record its events (no commit)."""
    if not changed:
        return
    resubmit = (listing.status == APPROVED and changed & REVIEWED_FIELDS) or listing.status == REJECTED
    if resubmit:
        _submit(listing)
    if changed & REVISED_FIELDS:
        listing.revision += 1
    listing.updated_at = utcnow()
    session.flush()
    _record_updated(session, listing, sorted(changed))
    if resubmit:
        _record_submitted(session, listing)


def _check_merged(listing: Listing) -> None:
    """The made-to-order rule on the listing as a PATCH leaves it (the schema saw only the sent fields)."""
    message = made_to_order_error(listing.fulfilment, listing.processing_days)
    if message:
        raise ValidationFailed(message, fields={"processing_days": [message]})


# --- use cases ---------------------------------------------------------------------------------------


def create_listing(session: Session, user: User, values: dict[str, Any]) -> Listing:
    """Create a listing in the artisan's shop and submit it for review (``listing.submitted``).

    ``values`` are a loaded :class:`~marketplace.listings.schemas.ListingIn` (its rules are not checked again).
    """
    shop = require_shop(session, user)
    values = dict(values)
    specs = values.pop("variants", None) or []
    listing = Listing(shop_id=shop.id, **values)
    if specs:  # price and stock come from the variants (the schema refused them beside variants)
        listing.price_idr, listing.stock = 1, 0
        listing_variants.replace(listing, specs)
    _submit(listing)
    session.add(listing)
    session.flush()
    _record_submitted(session, listing)
    return listing


def update_listing(session: Session, user: User, listing_id: int, changes: dict[str, Any]) -> Listing:
    """Change some fields (a loaded :class:`~marketplace.listings.schemas.ListingPatch`); only real
    changes count, and they follow the review rule. Made-to-order is checked on the merged listing."""
    listing = get_owned(session, user, listing_id, for_update=True)
    was_public_with_stock = listing.status == APPROVED and listing.stock > 0
    changes = dict(changes)
    specs = changes.pop("variants", None)
    if listing.has_variants and specs is None:
        per_variant = {name: [SET_PER_VARIANT_MESSAGE] for name in ("price_idr", "stock") if name in changes}
        if per_variant:
            raise ValidationFailed(SET_PER_VARIANT_MESSAGE, fields=per_variant)
    changed = {name for name, value in changes.items() if getattr(listing, name) != value}
    for name in changed:
        setattr(listing, name, changes[name])
    if specs is not None:
        changed |= listing_variants.replace(listing, specs)
    _check_merged(listing)
    _after_change(session, listing, changed)
    if was_public_with_stock and listing.stock == 0:
        record(session, "listing.sold_out", key=listing.id, data={"listing_id": listing.id, "shop_id": listing.shop_id})
    return listing


def withdraw_listing(session: Session, user: User, listing_id: int) -> Listing:
    """Take a listing off the market (and out of the review queue); 409 if already withdrawn."""
    listing = get_owned(session, user, listing_id, for_update=True)
    if listing.status == WITHDRAWN:
        raise Conflict("The listing is already withdrawn.", code="already_withdrawn")
    listing.status = WITHDRAWN
    listing.updated_at = utcnow()
    session.flush()
    _record_updated(session, listing, ["status"])
    return listing


def resubmit_listing(session: Session, user: User, listing_id: int) -> Listing:
    """Send a withdrawn or rejected listing back to review; 409 if it is pending or approved."""
    listing = get_owned(session, user, listing_id, for_update=True)
    if listing.status in (PENDING, APPROVED):
        raise Conflict("The listing is already submitted.", code="already_submitted")
    _submit(listing)
    listing.updated_at = utcnow()
    session.flush()
    _record_updated(session, listing, ["status"])
    _record_submitted(session, listing)
    return listing


def check_room_for_image(session: Session, user: User, listing_id: int) -> None:
    """Before the (slow) decoding of a photo: the caller owns the listing and it has room for one more.

    So nobody makes us decode for a listing that is not theirs, or that is already full; the entry
    point then ends this read-only transaction (``db.end_reads``) and decodes outside it.
    """
    _check_room(session, get_owned(session, user, listing_id))


def add_image(
    session: Session, storage: MediaStorage, user: User, listing_id: int, processed: ProcessedImage
) -> ListingImage:
    """Store a processed photo (:mod:`marketplace.media.images`) and its thumbnail; add the row and events.

    The photo is decoded *before* this use case (see ``check_room_for_image``), so the write
    transaction only stores files and rows. Access and room are checked here again under the listing's
    row lock, so the cap of ``MAX_IMAGES_PER_LISTING`` holds even when two uploads race. The stored
    files are deleted again if the transaction does not commit.
    """
    listing = get_owned(session, user, listing_id, for_update=True)
    _check_room(session, listing)
    stored = photos.store(session, storage, f"listings/{listing.id}", processed)
    position = session.scalar(
        select(func.coalesce(func.max(ListingImage.position), -1)).where(ListingImage.listing_id == listing.id)
    )
    image = ListingImage(
        position=(position if position is not None else -1) + 1, key=stored.key,
        thumb_key=stored.thumb_key, content_type=processed.full.content_type,
        width=processed.full.width, height=processed.full.height,
    )
    listing.images.append(image)  # through the relationship, so the loaded listing shows its new photo
    _after_change(session, listing, {"images"})
    return image


def _check_room(session: Session, listing: Listing) -> None:
    count = session.scalar(select(func.count(ListingImage.id)).where(ListingImage.listing_id == listing.id)) or 0
    if count >= MAX_IMAGES_PER_LISTING:
        message = f"A listing can have at most {MAX_IMAGES_PER_LISTING} photos."
        raise Conflict(message, code="too_many_images", fields={"file": [message]})


def delete_image(session: Session, storage: MediaStorage, user: User, listing_id: int, image_id: int) -> None:
    """Remove a photo: the row (and events) now, its files once that is committed."""
    listing = get_owned(session, user, listing_id, for_update=True)
    image = next((img for img in listing.images if img.id == image_id), None)
    if image is None:
        raise NotFound("Photo not found.")
    keys = [image.key, image.thumb_key]
    listing.images.remove(image)
    _after_change(session, listing, {"images"})
    photos.delete_when_committed(session, storage, keys)
