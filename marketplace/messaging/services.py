"""Conversation use cases: start (or reuse), send, read, block, report, and the admin's audited read.

Only the two parties see a conversation: the user who started it and the shop's artisan. To anyone
else (admins too, until a party reports it) it does not exist: 404, the same answer as an unknown id.
An admin opens a reported conversation with a POST that writes the audit line in the same transaction
(a GET never writes). Services never commit; each send adds ``message.sent`` to the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from events.outbox import record
from marketplace.accounts.models import User
from marketplace.audit.services import record_admin_action
from marketplace.errors import Conflict, NotFound, ValidationFailed
from marketplace.listings.models import Listing, ListingStatus
from marketplace.messaging.models import Conversation, Message
from marketplace.orders.models import Order, SellerOrder
from marketplace.shops.models import Shop

USER, SHOP = "user", "shop"
LIST_LIMIT = 100
PAGE_LIMIT = 200
SELF_MESSAGE = "You cannot send a message to your own shop."
NOT_FOUND = "This conversation does not exist."
BLOCKED = "This conversation is blocked: no new messages can be sent."
EMPTY = "Write a message or add a photo."


class ConversationBlocked(Conflict):
    """This conversation is blocked: no new messages can be sent."""

    code = "conversation_blocked"


def my_shop_id(session: Session, user: User) -> int | None:
    return session.scalar(select(Shop.id).where(Shop.owner_id == user.id))


def side_of(conversation: Conversation, user: User) -> str | None:
    """``user`` or ``shop`` for a party, None for anyone else."""
    if conversation.user_id == user.id:
        return USER
    if conversation.shop.owner_id == user.id:
        return SHOP
    return None


def get_for_party(session: Session, conversation_id: int, user: User) -> tuple[Conversation, str]:
    """The conversation and the caller's side; 404 for anyone who is not a party (no hint it exists)."""
    conversation = session.get(Conversation, conversation_id)
    side = side_of(conversation, user) if conversation is not None else None
    if conversation is None or side is None:
        raise NotFound(NOT_FOUND)
    return conversation, side


def other_party(conversation: Conversation, side: str) -> User:
    return conversation.shop.owner if side == USER else conversation.user


def _subject(session: Session, user: User, shop: Shop, listing_id: int | None,
             seller_order_id: int | None) -> tuple[str, int | None, int | None]:
    if seller_order_id is not None:
        part = session.get(SellerOrder, seller_order_id)
        order = session.get(Order, part.order_id) if part is not None else None
        if part is None or order is None or order.buyer_id != user.id or part.shop_id != shop.id:
            raise ValidationFailed(fields={"seller_order_id": ["There is no such order of yours from this shop."]})
        return f"order:{part.id}", None, part.id
    if listing_id is not None:
        listing = session.get(Listing, listing_id)
        if listing is None or listing.shop_id != shop.id or listing.status != ListingStatus.APPROVED.value:
            raise ValidationFailed(fields={"listing_id": ["This shop has no such product."]})
        return f"listing:{listing.id}", listing.id, None
    return "shop", None, None


def start(session: Session, user: User, *, shop_id: int, text: str = "", photos: list[dict[str, str]] | None = None,
          listing_id: int | None = None, seller_order_id: int | None = None, now: datetime) -> Conversation:
    """The caller's conversation with ``shop_id`` about the shop, a listing or one of their seller orders
    (an existing one about the same thing is reused), with a first message when ``text``/``photos``."""
    shop = session.get(Shop, shop_id)
    if shop is None or shop.suspended_at is not None:
        raise NotFound("Shop not found.", fields={"shop_id": ["There is no such shop."]})
    if shop.owner_id == user.id:
        raise ValidationFailed(SELF_MESSAGE, code="cannot_message_yourself", fields={"shop_id": [SELF_MESSAGE]})
    subject, listing_ref, order_ref = _subject(session, user, shop, listing_id, seller_order_id)
    conversation = _find(session, user.id, shop.id, subject)
    if conversation is None:
        conversation = Conversation(user_id=user.id, shop_id=shop.id, subject=subject, listing_id=listing_ref,
                                    seller_order_id=order_ref, created_at=now, last_message_at=now)
        try:
            with session.begin_nested():
                session.add(conversation)
        except IntegrityError:  # a concurrent start about the same thing won
            conversation = _find(session, user.id, shop.id, subject)
            assert conversation is not None
    if text or photos:
        send(session, conversation, user, text=text, photos=photos or [], now=now)
    return conversation


def _find(session: Session, user_id: int, shop_id: int, subject: str) -> Conversation | None:
    return session.scalar(select(Conversation).where(
        Conversation.user_id == user_id, Conversation.shop_id == shop_id, Conversation.subject == subject))


def send(session: Session, conversation: Conversation, sender: User, *, text: str,
         photos: list[dict[str, str]] | None = None, now: datetime, offer_id: int | None = None) -> Message:
    """A new message from party ``sender``; 409 ``conversation_blocked`` once either side blocked."""
    side = side_of(conversation, sender)
    if side is None:
        raise NotFound(NOT_FOUND)
    if conversation.blocked_by_id is not None:
        raise ConversationBlocked(BLOCKED)
    if not text and not photos and offer_id is None:
        raise ValidationFailed(EMPTY, fields={"text": [EMPTY]})
    message = Message(conversation_id=conversation.id, sender_id=sender.id, text=text, photos=list(photos or []),
                      offer_id=offer_id, created_at=now)
    session.add(message)
    session.flush()
    conversation.last_message_at = now
    if side == USER:
        conversation.user_read_id = message.id
    else:
        conversation.shop_read_id = message.id
    recipient = other_party(conversation, side)
    record(session, "message.sent", key=conversation.id, data={
        "conversation_id": conversation.id, "message_id": message.id, "sender_id": sender.id,
        "recipient_id": recipient.id})
    return message


def messages(session: Session, conversation: Conversation, *, after_id: int = 0) -> list[Message]:
    """Oldest first (a chat reads downwards): the last :data:`PAGE_LIMIT`, or those after ``after_id``."""
    stmt = (select(Message).where(Message.conversation_id == conversation.id, Message.id > after_id)
            .options(joinedload(Message.offer)).order_by(Message.id.desc()).limit(PAGE_LIMIT))
    return list(reversed(session.scalars(stmt).unique().all()))


def mark_read(session: Session, conversation: Conversation, side: str) -> int:
    """Everything up to the newest message is read by ``side`` (the marker never goes back); the next
    new message may be notified again at once."""
    newest = session.scalar(select(func.max(Message.id)).where(Message.conversation_id == conversation.id)) or 0
    if side == USER:
        conversation.user_read_id = max(conversation.user_read_id, newest)
        conversation.user_notified_at = None
    else:
        conversation.shop_read_id = max(conversation.shop_read_id, newest)
        conversation.shop_notified_at = None
    return newest


def _mine(session: Session, user: User) -> Any:
    shop_id = my_shop_id(session, user)
    return or_(Conversation.user_id == user.id, Conversation.shop_id == shop_id) if shop_id else (
        Conversation.user_id == user.id)


def _unread_counts(session: Session, user: User) -> Any:
    read_id = case((Conversation.user_id == user.id, Conversation.user_read_id), else_=Conversation.shop_read_id)
    return (select(Message.conversation_id, func.count(Message.id).label("unread"))
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(_mine(session, user), Message.id > read_id,
                   or_(Message.sender_id.is_(None), Message.sender_id != user.id))
            .group_by(Message.conversation_id))


def unread_total(session: Session, user: User) -> int:
    """The header's badge: unread messages over all the caller's conversations."""
    counts = _unread_counts(session, user).subquery()
    return int(session.scalar(select(func.coalesce(func.sum(counts.c.unread), 0))) or 0)


@dataclass(frozen=True)
class Summary:
    conversation: Conversation
    side: str
    unread: int
    last: Message | None

    @property
    def other_name(self) -> str:
        return self.conversation.shop.name if self.side == USER else self.conversation.user.name


def list_for(session: Session, user: User) -> list[Summary]:
    """The caller's conversations, newest activity first, each with its unread count and last message."""
    conversations = list(session.scalars(
        select(Conversation).where(_mine(session, user))
        .options(joinedload(Conversation.shop), joinedload(Conversation.user), joinedload(Conversation.listing))
        .order_by(Conversation.last_message_at.desc(), Conversation.id.desc()).limit(LIST_LIMIT)).unique())
    ids = [c.id for c in conversations]
    unread = {cid: n for cid, n in session.execute(_unread_counts(session, user))} if ids else {}
    last_ids = select(func.max(Message.id)).where(Message.conversation_id.in_(ids)).group_by(Message.conversation_id)
    lasts = {m.conversation_id: m for m in session.scalars(select(Message).where(Message.id.in_(last_ids)))} if ids else {}
    return [Summary(c, side_of(c, user) or USER, int(unread.get(c.id, 0)), lasts.get(c.id)) for c in conversations]


def block(session: Session, conversation: Conversation, user: User, now: datetime) -> None:
    """No new messages from either side; the old ones stay. Blocking twice changes nothing."""
    if conversation.blocked_by_id is None:
        conversation.blocked_by_id, conversation.blocked_at = user.id, now


def unblock(session: Session, conversation: Conversation, user: User) -> None:
    """Only the party who blocked may lift it (409 otherwise)."""
    if conversation.blocked_by_id is None:
        return
    if conversation.blocked_by_id != user.id:
        raise Conflict("Only the one who blocked this conversation can unblock it.", code="not_blocker")
    conversation.blocked_by_id = conversation.blocked_at = None


def report(session: Session, conversation: Conversation, user: User, reason: str, now: datetime) -> None:
    """A party asks the admins to look: from now on an admin may open it (each time audited)."""
    conversation.reported_at, conversation.reported_by_id, conversation.report_reason = now, user.id, reason


def reported(session: Session) -> list[Conversation]:
    """The admins' queue: reported conversations, oldest report first (no content: opening is audited)."""
    return list(session.scalars(select(Conversation).where(Conversation.reported_at.is_not(None))
                                .options(joinedload(Conversation.shop), joinedload(Conversation.user))
                                .order_by(Conversation.reported_at, Conversation.id)).unique())


def open_as_admin(session: Session, admin: User, conversation_id: int) -> tuple[Conversation, list[Message]]:
    """A reported conversation's messages for an admin, with the audit line; unreported ones are 404."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or conversation.reported_at is None:
        raise NotFound(NOT_FOUND)
    record_admin_action(session, admin, "conversation.read", "conversation", conversation.id, None,
                        {"reported_at": conversation.reported_at, "reported_by_id": conversation.reported_by_id})
    return conversation, messages(session, conversation)


def dismiss_report(session: Session, admin: User, conversation_id: int) -> Conversation:
    """The admin found nothing to act on: the report is closed (audit-logged with who reported and why),
    the conversation leaves the queue and is private again (404 to admins until a new report)."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or conversation.reported_at is None:
        raise NotFound(NOT_FOUND)
    record_admin_action(session, admin, "conversation.report_dismiss", "conversation", conversation.id,
                        {"reported_at": conversation.reported_at, "reported_by_id": conversation.reported_by_id,
                         "reason": conversation.report_reason}, {"reported_at": None})
    conversation.reported_at = conversation.reported_by_id = conversation.report_reason = None
    session.flush()
    return conversation


def unread_for(conversation: Conversation, side: str, items: list[Message]) -> int:
    read_id = conversation.user_read_id if side == USER else conversation.shop_read_id
    mine = conversation.user_id if side == USER else conversation.shop.owner_id
    return sum(1 for m in items if m.id > read_id and m.sender_id != mine)




def export_for(session: Session, user: User) -> list[dict[str, Any]]:
    """The user's conversations (as a buyer and as a shop) with the messages they wrote (``/me/export``)."""
    out = []
    for conversation in session.scalars(select(Conversation).where(_mine(session, user)).order_by(Conversation.id)):
        written = session.scalars(select(Message).where(Message.conversation_id == conversation.id,
                                                        Message.sender_id == user.id).order_by(Message.id))
        out.append({"id": conversation.id, "shop_id": conversation.shop_id, "subject": conversation.subject,
                    "created_at": conversation.created_at.isoformat(),
                    "messages": [{"text": m.text, "photos": len(m.photos or []), "offer_id": m.offer_id,
                                  "created_at": m.created_at.isoformat()} for m in written]})
    return out


def erase_sent_by(session: Session, user: User) -> list[str]:
    """Erase the text and photos of every message ``user`` wrote (their account is closing, §9): the other
    party's side of the conversation stays, theirs reads "message deleted". Returns the photo files the
    caller deletes once that is committed."""
    keys = [key for photos in session.scalars(select(Message.photos).where(Message.sender_id == user.id,
                                                                           Message.photos.is_not(None)))
            for p in (photos or []) for key in (p.get("key"), p.get("thumb_key"))]
    session.execute(update(Message).where(Message.sender_id == user.id).values(text="", photos=[]))
    return keys
