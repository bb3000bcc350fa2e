"""Messaging JSON API (ARCHITECTURE.md §5): a user's conversations with shops, their messages, read
markers, block and report, the artisan's custom offers and the buyer's accepting them, and the admins'
audited reading of reported conversations. Thin: a schema parses, one service acts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import current_app, request
from flask import session as web_session
from flask_limiter.util import get_remote_address
from flask_smorest import Blueprint

from marketplace.accounts import services as accounts
from marketplace.accounts.models import Role
from marketplace.db import end_reads, utcnow
from marketplace.media import photos as media_photos
from marketplace.messaging import offers, schemas, services
from marketplace.messaging.models import MAX_PHOTOS
from marketplace.web.apidoc import error_responses
from marketplace.web.auth import api_auth, require_user
from marketplace.web.deps import deps
from marketplace.web.extensions import limiter
from marketplace.web.transaction import get_db, get_session

bp = Blueprint("messaging_api", __name__, url_prefix="/api/v1", description="Messaging and custom offers")

BUYER, ARTISAN, ADMIN = Role.BUYER.value, Role.ARTISAN.value, Role.ADMIN.value


# --- per-user limits on new conversations and messages (Flask-Limiter, its shared storage); the chat
# pages use the same two counters (``scope``), so API and pages together allow the number, not twice it.


def _per_user() -> str:
    """The caller's account (one counter per user, from any token or device); the address for a request
    without a valid login (it is refused with 401 after the check anyway).

    Looked up on a short reader session of its own, never the request's: on SQLite the request's writer
    session holds the write lock from its start, and the counter is written first, on its own connection."""
    bearer = request.headers.get("Authorization", "").partition(" ")
    sid = web_session.get("sid")
    with get_db().new_session() as reader:
        if request.path.startswith("/api/"):
            found: Any = accounts.user_for_token(reader, bearer[2].strip()) if bearer[0].lower() == "bearer" else None
        elif isinstance(sid, str):
            settings = deps().settings
            found = accounts.user_for_session(reader, sid, idle=timedelta(hours=settings.session_idle_hours),
                                              lifetime=timedelta(days=settings.session_max_days))
        else:
            found = None
        user_id = found[0].id if found else None
    return f"user:{user_id}" if user_id is not None else get_remote_address()


def _conversation_limit() -> str:
    return current_app.config["CONVERSATION_RATE_LIMIT"]


def _message_limit() -> str:
    return current_app.config["MESSAGE_RATE_LIMIT"]


def limit_new_conversations(**kwargs: Any) -> Callable[[Any], Any]:
    return limiter.shared_limit(_conversation_limit, scope="conversation_new", key_func=_per_user, **kwargs)


def limit_new_messages(**kwargs: Any) -> Callable[[Any], Any]:
    return limiter.shared_limit(_message_limit, scope="message_new", key_func=_per_user, **kwargs)


def _party(conversation_id: int) -> tuple[Any, str]:
    return services.get_for_party(get_session(), conversation_id, require_user())


def _thread(conversation: Any, side: str, after: int = 0) -> dict[str, Any]:
    items = services.messages(get_session(), conversation, after_id=after)
    return schemas.message_list(conversation, items, services.unread_for(conversation, side, items))


@bp.route("/conversations", methods=["GET"])
@api_auth()
@bp.response(200, schemas.ConversationList)
def list_conversations() -> Any:
    """The caller's conversations (as a buyer and as a shop), newest activity first, each with ``unread``."""
    session, user = get_session(), require_user()
    return {"items": services.list_for(session, user), "unread": services.unread_total(session, user)}


@bp.route("/conversations", methods=["POST"])
@bp.doc(**error_responses(404, 409, 429))
@limit_new_conversations()
@api_auth()
@bp.arguments(schemas.ConversationIn)
@bp.response(201, schemas.ConversationOut)
def start_conversation(body: dict[str, Any]) -> Any:
    """Ask a shop something (optionally about one of its products or one of your orders from it); an
    existing conversation about the same thing is reused. Your own shop: 422 ``cannot_message_yourself``."""
    return services.start(get_session(), require_user(), now=utcnow(), **body)


@bp.route("/conversations/<int:conversation_id>/messages", methods=["GET"])
@bp.doc(**error_responses(404))
@api_auth()
@bp.arguments(schemas.MessagesAfterIn, location="query")
@bp.response(200, schemas.ChatMessageList)
def list_messages(query: dict[str, Any], conversation_id: int) -> Any:
    """Messages oldest first (``after``: only newer ones, for polling); 404 to anyone but the two parties."""
    conversation, side = _party(conversation_id)
    return _thread(conversation, side, query["after"])


@bp.route("/conversations/<int:conversation_id>/messages", methods=["POST"])
@bp.doc(**error_responses(404, 409, 429))
@limit_new_messages()
@api_auth()
@bp.arguments(schemas.ChatMessageIn)
@bp.response(201, schemas.ChatMessageOut)
def send_message(body: dict[str, Any], conversation_id: int) -> Any:
    """Send a text message; 409 ``conversation_blocked`` once a party blocked the other."""
    conversation, _side = _party(conversation_id)
    return services.send(get_session(), conversation, require_user(), text=body["text"], now=utcnow())


@bp.route("/conversations/<int:conversation_id>/photos", methods=["POST"])
@bp.doc(**error_responses(404, 409, 413, 415, 429, 503))
@limit_new_messages()
@api_auth()
@bp.arguments(schemas.ChatPhotoIn, location="files")
@bp.response(201, schemas.ChatMessageOut)
def send_photo(files: dict[str, Any], conversation_id: int) -> Any:
    """Send a photo (multipart field ``file``; JPEG, PNG or WebP) as a message of its own."""
    session, user = get_session(), require_user()
    conversation, _side = _party(conversation_id)
    if conversation.blocked_by_id is not None:
        raise services.ConversationBlocked(services.BLOCKED)
    end_reads(session)  # decode outside any transaction
    processed = deps().image_processor.process(files["file"].read())
    conversation, _side = _party(conversation_id)
    stored = media_photos.store(session, deps().media_storage, f"messages/{conversation.id}", processed)
    return services.send(session, conversation, user, text="", now=utcnow(),
                         photos=[{"key": stored.key, "thumb_key": stored.thumb_key}][:MAX_PHOTOS])


@bp.route("/conversations/<int:conversation_id>/read", methods=["POST"])
@bp.doc(**error_responses(404))
@api_auth()
@bp.response(200, schemas.ChatMessageList)
def mark_read(conversation_id: int) -> Any:
    """Everything in the conversation is read by the caller (their unread count drops to 0)."""
    conversation, side = _party(conversation_id)
    services.mark_read(get_session(), conversation, side)
    return _thread(conversation, side)


@bp.route("/conversations/<int:conversation_id>/block", methods=["POST"])
@bp.doc(**error_responses(404))
@api_auth()
@bp.response(200, schemas.ConversationOut)
def block(conversation_id: int) -> Any:
    """No new messages in this conversation from either side; the old ones stay."""
    conversation, _side = _party(conversation_id)
    services.block(get_session(), conversation, require_user(), utcnow())
    return conversation


@bp.route("/conversations/<int:conversation_id>/unblock", methods=["POST"])
@bp.doc(**error_responses(404, 409))
@api_auth()
@bp.response(200, schemas.ConversationOut)
def unblock(conversation_id: int) -> Any:
    """Lift your own block (409 ``not_blocker`` for the other party)."""
    conversation, _side = _party(conversation_id)
    services.unblock(get_session(), conversation, require_user())
    return conversation


@bp.route("/conversations/<int:conversation_id>/reports", methods=["POST"])
@bp.doc(**error_responses(404))
@api_auth()
@bp.arguments(schemas.ConversationReportIn)
@bp.response(201, schemas.ConversationOut)
def report(body: dict[str, Any], conversation_id: int) -> Any:
    """Ask the admins to look at this conversation (from then on an admin may read it, audited)."""
    conversation, _side = _party(conversation_id)
    services.report(get_session(), conversation, require_user(), body["reason"], utcnow())
    return conversation


@bp.route("/conversations/<int:conversation_id>/offers", methods=["POST"])
@bp.doc(**error_responses(403, 404, 409, 429))
@limit_new_messages()
@api_auth(ARTISAN)
@bp.arguments(schemas.CustomOfferIn)
@bp.response(201, schemas.CustomOfferOut)
def send_offer(body: dict[str, Any], conversation_id: int) -> Any:
    """The shop's artisan offers the buyer a private listing (only they see and buy it; 7 days)."""
    conversation, _side = _party(conversation_id)
    return offers.send_offer(get_session(), deps().media_storage, conversation, require_user(), body, None, utcnow())


@bp.route("/offers/<int:offer_id>/accept", methods=["POST"])
@bp.doc(**error_responses(403, 404))
@api_auth(BUYER)
@bp.response(200, schemas.CustomOfferOut)
def accept_offer(offer_id: int) -> Any:
    """Put the offer in your cart (then check out as usual). Someone else's: 404 (403 to its artisan);
    expired: 422 ``offer_expired``."""
    return offers.accept(get_session(), require_user(), offer_id, utcnow())


@bp.route("/admin/conversations", methods=["GET"])
@api_auth(ADMIN)
@bp.response(200, schemas.ReportedConversationList)
def reported_conversations() -> Any:
    """Reported conversations, oldest report first: who and why, not what was said."""
    return {"items": services.reported(get_session())}


@bp.route("/admin/conversations/<int:conversation_id>/dismiss", methods=["POST"])
@bp.doc(**error_responses(404))
@api_auth(ADMIN)
@bp.response(200, schemas.ReportDismissedOut)
def dismiss_report(conversation_id: int) -> Any:
    """Close a report with nothing to act on (audit-logged): the conversation leaves the queue and is
    private again; 404 when it is not reported."""
    services.dismiss_report(get_session(), require_user(ADMIN), conversation_id)
    return {"status": "dismissed"}


@bp.route("/admin/conversations/<int:conversation_id>/open", methods=["POST"])
@bp.doc(**error_responses(404))
@api_auth(ADMIN)
@bp.response(200, schemas.ChatMessageList)
def open_reported(conversation_id: int) -> Any:
    """Read a reported conversation (recorded in the audit log each time); unreported ones are 404."""
    conversation, items = services.open_as_admin(get_session(), require_user(ADMIN), conversation_id)
    return schemas.message_list(conversation, items, 0)
