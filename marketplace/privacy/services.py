"""What we hold about a user, and closing their account (ARCHITECTURE.md §9; Indonesia's personal-data
law, UU PDP 2022, gives both rights).

**Export** is everything tied to the person: profile, notification settings, sessions and tokens (when,
never their secrets), orders with their addresses, the shop and its listings and payout account
(the account number masked), reports filed, messages sent to them. What others hold about a trade
with them (the shop's copy of an order) is the same order, listed once.

**Closing** erases the personal fields and keeps what the books and other people need: orders, the
ledger and payouts stay, with the buyer anonymised (name, e-mail, the address's recipient, phone and
street; the city and province stay, as the programme's "sold outside the city" figure counts them)
and the text and photos of the messages they wrote (the other party's side of a conversation stays).
It is refused, with the reason, while something of theirs is still open: an order not yet delivered or
cancelled, a shop's order to ship, a payout not yet paid, a dispute (theirs or their shop's) not resolved. An admin's account is closed by another admin
(deactivation), not by itself. The audit log records the closing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from marketplace.figures.models import ArtisanCraft, ArtisanProfile
from marketplace.figures.profile import profile_of
from marketplace.follows.models import Favourite, FollowUpdate, ShopFollow
from marketplace.reviews.models import Review, ReviewReport
from marketplace.accounts.models import ApiToken, Role, User, UserSession
from marketplace.accounts.services import verify_password
from marketplace.audit.services import record_admin_action
from marketplace.cart.models import CartItem
from marketplace.disputes import services as disputes
from marketplace.errors import Conflict, ValidationFailed
from marketplace.listings.models import Listing
from marketplace.media.photos import delete_when_committed
from marketplace.media.storage import MediaStorage
from marketplace.messaging import services as messaging
from marketplace.moderation.models import ListingReport
from marketplace.notifications.models import Notification, NotificationOptOut, NotificationPreference
from marketplace.orders.models import Order, OrderStatus, SellerOrder, SellerOrderStatus
from marketplace.payouts.models import Payout, PayoutAccount, PayoutStatus
from marketplace.programme import registrations
from marketplace.shops.models import Shop

ERASED_NAME = "Pengguna terhapus"
ERASED = ""
#: A closed shop is hidden like a suspended one, with this reason.
CLOSED_SHOP_REASON = "Akun perajin ditutup atas permintaan pemiliknya."

_OPEN_SELLER_ORDERS = (SellerOrderStatus.AWAITING_SHIPMENT.value, SellerOrderStatus.SHIPPED.value)
_SETTLED_PAYOUTS = (PayoutStatus.PAID.value, PayoutStatus.CANCELLED.value)


class AccountInUse(Conflict):
    """Something of the user's is still open; the message says what, and it can be closed after."""

    code = "account_in_use"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _mask(number: str | None) -> str | None:
    return None if not number else "•" * max(0, len(number) - 4) + number[-4:]


# --- export ------------------------------------------------------------------------------------------

def export_for(session: Session, user: User, orders_out: Any) -> dict[str, Any]:
    """Everything we hold about ``user`` as plain JSON values. ``orders_out`` dumps a list of orders
    (the API's own order schema, so the export shows an order as the user's order page does)."""
    preference = session.get(NotificationPreference, user.id)
    shop = session.scalar(select(Shop).where(Shop.owner_id == user.id))
    orders = list(session.scalars(select(Order).where(Order.buyer_id == user.id).order_by(Order.id)))
    return {
        "user": {"id": user.id, "email": user.email, "name": user.name, "role": user.role,
                 "created_at": _iso(user.created_at), "active": user.is_active, "phone": user.phone},
        "programme_profile": profile_of(session, user.id),
        "notification_settings": {
            "language": preference.language if preference else None,
            "bounced_email": preference.bounced_email if preference else None,
            "whatsapp": bool(preference and preference.whatsapp),
            "whatsapp_failed_phone": preference.whatsapp_failed_phone if preference else None,
            "opted_out_of": sorted(session.scalars(
                select(NotificationOptOut.kind).where(NotificationOptOut.user_id == user.id)))},
        "sessions": [{"created_at": _iso(s.created_at), "last_seen_at": _iso(s.last_seen_at),
                      "ended_at": _iso(s.revoked_at)}
                     for s in session.scalars(select(UserSession).where(UserSession.user_id == user.id)
                                              .order_by(UserSession.created_at))],
        "api_tokens": [{"created_at": _iso(t.created_at), "expires_at": _iso(t.expires_at),
                        "last_used_at": _iso(t.last_used_at), "revoked_at": _iso(t.revoked_at)}
                       for t in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                                .order_by(ApiToken.id))],
        "cart": [{"listing_id": c.listing_id, "variant_id": c.variant_id or None, "quantity": c.quantity}
                 for c in session.scalars(select(CartItem).where(CartItem.user_id == user.id))],
        "orders": orders_out(orders),
        "shop": _shop_export(session, shop) if shop is not None else None,
        "listing_reports": [{"listing_id": r.listing_id, "reason": r.reason, "created_at": _iso(r.created_at),
                             "resolution": r.resolution}
                            for r in session.scalars(select(ListingReport).where(ListingReport.reporter_id == user.id)
                                                     .order_by(ListingReport.id))],
        "conversations": messaging.export_for(session, user),
        "event_registrations": registrations.export_of(session, user),
        **_reviews_and_follows(session, user),
        "messages_sent_to_you": [{"kind": n.kind, "channel": n.channel, "subject": n.subject, "email": n.email,
                                  "text": n.body_text if n.channel == "whatsapp" else None, "status": n.status,
                                  "created_at": _iso(n.created_at), "sent_at": _iso(n.sent_at)}
                                 for n in session.scalars(select(Notification).where(Notification.recipient_id == user.id)
                                                          .order_by(Notification.id))],
    }


def _reviews_and_follows(session: Session, user: User) -> dict[str, Any]:
    """The user's reviews (with the shop's reply and whether an admin hid one), reports of reviews,
    hearted listings and followed shops (``marketplace.reviews``, ``marketplace.follows``)."""
    return {
        "reviews": [{"id": r.id, "listing_id": r.listing_id, "order_item_id": r.order_item_id, "rating": r.rating,
                     "text": r.text, "created_at": _iso(r.created_at), "reply": r.reply_text,
                     "hidden": r.hidden_at is not None, "photos": len(r.photos)}
                    for r in session.scalars(select(Review).where(Review.buyer_id == user.id).order_by(Review.id))],
        "review_reports": [{"review_id": r.review_id, "reason": r.reason, "created_at": _iso(r.created_at)}
                           for r in session.scalars(select(ReviewReport).where(ReviewReport.reporter_id == user.id)
                                                    .order_by(ReviewReport.id))],
        "favourites": list(session.scalars(select(Favourite.listing_id).where(Favourite.user_id == user.id)
                                           .order_by(Favourite.created_at))),
        "following": list(session.scalars(select(ShopFollow.shop_id).where(ShopFollow.user_id == user.id)
                                          .order_by(ShopFollow.created_at))),
    }


def _shop_export(session: Session, shop: Shop) -> dict[str, Any]:
    account = session.scalar(select(PayoutAccount).where(PayoutAccount.shop_id == shop.id))
    return {
        "id": shop.id, "name": shop.name, "slug": shop.slug, "description": shop.description,
        "city": shop.city, "kelurahan": shop.kelurahan, "created_at": _iso(shop.created_at),
        "listings": [{"id": li.id, "title": li.title, "description": li.description, "status": li.status,
                      "price_idr": li.price_idr, "stock": li.stock, "created_at": _iso(li.created_at)}
                     for li in session.scalars(select(Listing).where(Listing.shop_id == shop.id).order_by(Listing.id))],
        "payout_account": None if account is None else {
            "provider": account.provider, "status": account.status, "channel_code": account.channel_code,
            "account_number": _mask(account.account_number), "account_holder_name": account.account_holder_name},
        "payouts": [{"id": p.id, "amount_idr": p.amount_idr, "status": p.status, "paid_at": _iso(p.paid_at)}
                    for p in session.scalars(select(Payout).where(Payout.shop_id == shop.id).order_by(Payout.id))],
    }


# --- closing -----------------------------------------------------------------------------------------

def reasons_to_wait(session: Session, user: User) -> list[str]:
    """Why the account cannot be closed yet (empty: it can)."""
    reasons: list[str] = []
    if user.role == Role.ADMIN.value:
        reasons.append("An admin account is closed by another admin.")
    open_orders = session.scalar(
        select(Order.id).join(SellerOrder, SellerOrder.order_id == Order.id)
        .where(Order.buyer_id == user.id,
               (Order.status == OrderStatus.PENDING_PAYMENT.value)
               | ((Order.status == OrderStatus.PAID.value) & SellerOrder.status.in_(_OPEN_SELLER_ORDERS)))
        .limit(1))
    if open_orders is not None:
        reasons.append("You have an order that is not delivered or cancelled yet.")
    if disputes.has_open(session, user):
        reasons.append("You have a dispute that is still open.")
    shop = session.scalar(select(Shop).where(Shop.owner_id == user.id))
    if shop is not None:
        if session.scalar(select(SellerOrder.id).where(SellerOrder.shop_id == shop.id,
                                                      SellerOrder.status.in_(_OPEN_SELLER_ORDERS)).limit(1)):
            reasons.append("Your shop has orders to ship or on their way.")
        if session.scalar(select(Payout.id).where(Payout.shop_id == shop.id,
                                                 Payout.status.not_in(_SETTLED_PAYOUTS)).limit(1)):
            reasons.append("Your shop has payouts not paid yet.")
    return reasons


def close_account(session: Session, user: User, now: datetime, storage: MediaStorage | None = None) -> None:
    """Erase ``user``'s personal fields and end every way in (see the module doc); 409
    ``account_in_use`` with the reasons while something is open. Nothing is deleted that the books,
    a shop or another person needs."""
    reasons = reasons_to_wait(session, user)
    if reasons:
        raise AccountInUse(" ".join(reasons))
    before = {"role": user.role, "active": user.is_active}  # no e-mail: the log keeps no personal data
    user.email = f"deleted-{user.id}@deleted.invalid"
    user.name = ERASED_NAME
    user.password_hash = "!closed"  # matches no password: no login, no reset (the e-mail is gone)
    user.is_active = False
    user.cart_voucher_id = None
    user.phone = None
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    session.execute(delete(CartItem).where(CartItem.user_id == user.id))
    for model in (ArtisanProfile, ArtisanCraft):  # the birth year is personal data (§9); crafts go with it
        session.execute(delete(model).where(model.user_id == user.id))
    for model in (Favourite, ShopFollow, FollowUpdate):  # their reviews stay, shown under no name (``Pembeli``)
        session.execute(delete(model).where(model.user_id == user.id))
    session.execute(delete(NotificationOptOut).where(NotificationOptOut.user_id == user.id))
    session.execute(delete(NotificationPreference).where(NotificationPreference.user_id == user.id))
    session.execute(update(Notification).where(Notification.recipient_id == user.id)
                    .values(email=None, subject=ERASED, body_text=ERASED, body_html=ERASED, unsubscribe_url=None,
                            parameters=None))
    registrations.cancel_upcoming_of(session, user, now=now)  # their seats go to the next in line
    erased_photos = messaging.erase_sent_by(session, user)  # messages are personal data (§9)
    if storage is not None:
        delete_when_committed(session, storage, erased_photos)
    session.execute(update(Order).where(Order.buyer_id == user.id)
                    .values(recipient=ERASED_NAME, phone=ERASED, line1=ERASED))
    shop = session.scalar(select(Shop).where(Shop.owner_id == user.id))
    if shop is not None:  # hidden like a suspended shop; its name stays on the orders it sold
        shop.suspended_at = shop.suspended_at or now
        shop.suspension_reason = CLOSED_SHOP_REASON
        session.execute(update(PayoutAccount).where(PayoutAccount.shop_id == shop.id)
                        .values(account_number=None, account_holder_name=None))
    record_admin_action(session, user, "account.close", "user", user.id, before, {"active": False})
    session.flush()


def close_own_account(session: Session, user: User, password: str, now: datetime,
                      storage: MediaStorage | None = None) -> None:
    """The user closes their own account, proving it with the password (422 on ``password`` if wrong)."""
    if not verify_password(user.password_hash, password):
        raise ValidationFailed("The password is wrong.", fields={"password": ["The password is wrong."]})
    close_account(session, user, now, storage)
