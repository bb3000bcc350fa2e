"""``message.sent`` → the other party hears of it (e-mail, and WhatsApp when they opted in), at most once
per conversation per :data:`QUIET` while they have not read it.

The recipient's side of the conversation keeps when they were last told (``*_notified_at``); reading
the conversation clears it (``services.mark_read``), so the next message after a read is told at once.
A message already read when the event arrives is not told. The mail names the sender and links to the
chat, never the text: mail bodies are visible to admins, a conversation only after a report.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.config import Settings
from marketplace.messaging.models import Conversation
from marketplace.notifications import services as notifications

QUIET = timedelta(minutes=15)
KIND = "message_received"


def message_sent(session: Session, settings: Settings, event: dict[str, Any], now: datetime) -> None:
    data = event["data"]
    conversation = session.get(Conversation, data["conversation_id"], with_for_update=True)
    recipient = session.get(User, data["recipient_id"])
    sender = session.get(User, data["sender_id"])
    if conversation is None or recipient is None or sender is None:
        return  # deleted since (an account erased): nobody to tell
    to_user = recipient.id == conversation.user_id
    read_id = conversation.user_read_id if to_user else conversation.shop_read_id
    if read_id >= data["message_id"]:
        return
    told = conversation.user_notified_at if to_user else conversation.shop_notified_at
    if told is not None and now - told < QUIET:
        return
    sender_name = conversation.shop.name if to_user else sender.name
    url = f"{settings.public_base_url.rstrip('/')}/messages/{conversation.id}"
    notifications.queue(session, settings, event_id=str(event["id"]), event_type=event["type"], kind=KIND,
                        recipient=recipient, context={"sender_name": sender_name, "conversation_url": url}, now=now)
    if to_user:
        conversation.user_notified_at = now
    else:
        conversation.shop_notified_at = now
