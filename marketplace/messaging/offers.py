"""Custom offers: in a conversation, the shop's artisan offers its buyer something made for them.

The offer is a listing with status ``private`` (so search, feeds, promotion, share kits and sitemaps,
which all read ``approved`` only, never show it) plus a ``custom_offers`` row naming its one buyer and
its expiry (:data:`OFFER_DAYS`). Accepting puts it in that buyer's cart; from there it goes through the
normal checkout (which reserves ``approved`` and ``private`` stock alike), payment, fulfilment and
payout. The cart refuses it once expired (:func:`is_open`), so an expired offer cannot be bought.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from events.outbox import record
from marketplace.accounts.models import Role, User
from marketplace.cart.models import CartItem
from marketplace.db import utcnow
from marketplace.errors import Forbidden, NotFound, ValidationFailed
from marketplace.listings.models import Listing, ListingImage, ListingStatus
from marketplace.media import photos
from marketplace.media.images import ProcessedImage
from marketplace.media.storage import MediaStorage
from marketplace.messaging import services
from marketplace.messaging.models import OFFER_DAYS, Conversation, CustomOffer, OfferStatus

PRIVATE = ListingStatus.PRIVATE.value
DEFAULT_WEIGHT_GRAMS = 1000
NOT_YOURS = "This offer was made to someone else."
EXPIRED = "This offer has expired."
BUYERS_ONLY = "Offers can only be made to a buyer."


class OfferExpired(ValidationFailed):
    """This offer has expired."""

    code = "offer_expired"


def is_open(listing: Listing, now: datetime | None = None) -> bool:
    """Whether a ``private`` listing's offer may still be bought (the cart asks for each such line)."""
    session = object_session(listing)
    if session is None:
        return False
    expires_at = session.scalar(select(CustomOffer.expires_at).where(CustomOffer.listing_id == listing.id))
    return expires_at is not None and (now or utcnow()) < expires_at


def offered_to(session: Session, listing_id: int, viewer: User | None) -> CustomOffer:
    """The offer whose private listing ``listing_id`` is, for the buyer it was made to; for anyone else
    (and for a listing that is no offer) 404, as for any listing they may not see."""
    offer = session.scalar(select(CustomOffer).where(CustomOffer.listing_id == listing_id))
    if offer is None or viewer is None or offer.buyer_id != viewer.id:
        raise NotFound("Listing not found.")
    return offer


def send_offer(session: Session, storage: MediaStorage, conversation: Conversation, artisan: User,
               data: dict[str, Any], processed: ProcessedImage | None, now: datetime) -> CustomOffer:
    """The shop's artisan offers the conversation's buyer a private listing (``data`` passed ``CustomOfferIn``)."""
    side = services.side_of(conversation, artisan)
    if side is None:
        raise NotFound(services.NOT_FOUND)
    if side != services.SHOP:
        raise Forbidden("Only the shop's artisan can send an offer.", code="not_the_shop")
    if conversation.blocked_by_id is not None:
        raise services.ConversationBlocked(services.BLOCKED)
    if conversation.user.role != Role.BUYER.value:
        raise ValidationFailed(BUYERS_ONLY, code="buyers_only")
    about = conversation.listing
    listing = Listing(
        shop_id=conversation.shop_id, title=data["title"], description=data.get("description", ""),
        category=about.category if about is not None else "lainnya", price_idr=data["price_idr"],
        stock=data["quantity"], weight_grams=data.get("weight_grams") or (
            about.weight_grams if about is not None else DEFAULT_WEIGHT_GRAMS),
        fulfilment="made_to_order", processing_days=data["processing_days"], status=PRIVATE,
        created_at=now, updated_at=now)
    session.add(listing)
    session.flush()
    if processed is not None:
        stored = photos.store(session, storage, f"listings/{listing.id}", processed)
        session.add(ListingImage(listing_id=listing.id, position=0, key=stored.key, thumb_key=stored.thumb_key,
                                 content_type=processed.full.content_type, width=processed.full.width,
                                 height=processed.full.height))
    offer = CustomOffer(conversation_id=conversation.id, listing_id=listing.id, buyer_id=conversation.user_id,
                        status=OfferStatus.OPEN.value, quantity=data["quantity"], created_at=now, expires_at=now + timedelta(days=OFFER_DAYS))
    session.add(offer)
    session.flush()
    record(session, "offer.sent", key=conversation.id, data={
        "offer_id": offer.id, "conversation_id": conversation.id, "listing_id": listing.id,
        "buyer_id": offer.buyer_id, "price_idr": listing.price_idr})
    services.send(session, conversation, artisan, text="", now=now, offer_id=offer.id)
    return offer


def accept(session: Session, buyer: User, offer_id: int, now: datetime) -> CustomOffer:
    """The offer's buyer takes it: its whole quantity goes into their cart at the offered price.

    Someone else's offer: 404 to a stranger, 403 ``not_your_offer`` to the artisan who made it; an
    expired one: 422 ``offer_expired``; one already bought (no stock left): 409 via the cart's rules."""
    offer = session.get(CustomOffer, offer_id)
    if offer is None:
        raise NotFound("Offer not found.")
    if offer.buyer_id != buyer.id:
        if services.side_of(offer.conversation, buyer) is None:
            raise NotFound("Offer not found.")
        raise Forbidden(NOT_YOURS, code="not_your_offer")
    if now >= offer.expires_at:
        raise OfferExpired(EXPIRED)
    listing = offer.listing
    if listing.stock <= 0:
        raise ValidationFailed("This offer has already been bought.", code="offer_sold")
    item = session.scalar(select(CartItem).where(CartItem.user_id == buyer.id, CartItem.listing_id == listing.id))
    if item is None:
        session.add(CartItem(user_id=buyer.id, listing_id=listing.id, variant_id=0, quantity=listing.stock,
                             seen_price_idr=listing.price_idr, added_at=now, updated_at=now))
    else:
        item.quantity, item.seen_price_idr = listing.stock, listing.price_idr
    if offer.status != OfferStatus.ACCEPTED.value:
        offer.status, offer.accepted_at = OfferStatus.ACCEPTED.value, now
        record(session, "offer.accepted", key=offer.conversation_id, data={
            "offer_id": offer.id, "conversation_id": offer.conversation_id, "listing_id": listing.id,
            "buyer_id": buyer.id})
    session.flush()
    return offer
