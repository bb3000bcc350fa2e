"""Chat pages: the inbox, one conversation as a chat (bubbles, newest at the bottom, a composer), "Tanya
penjual" from a listing or shop, the artisan's offer form, block and report, and the admins' audited
reading of reported conversations.

Progressive: every form is a plain POST that redirects back (it works without script); with script,
``static/messaging.js`` polls :func:`poll` (JSON with the new bubbles rendered here, autoescaped) and
marks them read with a POST. GETs never write: reading is marked by that POST, or by replying.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from markupsafe import Markup, escape

from marketplace.accounts.models import Role
from marketplace.db import end_reads, utcnow
from marketplace.errors import DomainError, Unauthorized
from marketplace.media import photos as media_photos
from marketplace.messaging import forms, offers, schemas, services
from marketplace.messaging.api import limit_new_conversations, limit_new_messages
from marketplace.messaging.models import MAX_PHOTOS
from marketplace.shops.models import Shop
from marketplace.web.auth import current_user, login_required, require_user
from marketplace.web.deps import deps
from marketplace.web.forms import CsrfOnly, act_then_redirect, load_form, show_errors
from marketplace.web.i18n import gettext as _
from marketplace.web.transaction import discard, get_session

bp = Blueprint("messaging_pages", __name__)

ADMIN, ARTISAN = Role.ADMIN.value, Role.ARTISAN.value
TOO_MANY_PHOTOS = "At most 3 photos per message."


def linkify(text: str) -> Markup:
    """Message text for a page: escaped, line breaks kept, and only ``http(s)://`` addresses made links
    (``rel="nofollow ugc noopener"``): a ``javascript:`` or ``data:`` address stays plain text."""


    out, last = [], 0
    for match in re.finditer(r"https?://[^\s<>\"']+", text):
        out.append(escape(text[last:match.start()]))
        url = match.group(0).rstrip(".,;:!?)")
        out.append(Markup('<a href="{0}" rel="nofollow ugc noopener" target="_blank">{0}</a>').format(url))
        out.append(escape(match.group(0)[len(url):]))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out).replace("\n", Markup("<br>"))


@bp.app_template_filter("chat_text")
def _chat_text(text: str) -> Markup:
    return linkify(text or "")


@bp.app_context_processor
def _inject_unread() -> dict[str, Any]:
    def count() -> int | None:
        try:
            user = current_user()
        except Unauthorized:
            user = None
        return services.unread_total(get_session(), user) if user is not None else None

    return {"message_unread_count": count}


def _photos_of(form: forms.MessageForm) -> list[Any]:
    return [f for f in (form.photos.data or []) if getattr(f, "filename", "")]


@bp.route("/messages")
@login_required()
def inbox() -> Any:
    """The caller's conversations, newest first, with unread counts."""
    return render_template("messaging/inbox.html", items=services.list_for(get_session(), require_user()))


def _chat_page(conversation: Any, side: str, form: Any = None, offer_form: Any = None, report_form: Any = None,
               status: int = 200) -> Any:
    session = get_session()
    items = services.messages(session, conversation, after_id=0)
    return render_template(
        "messaging/chat.html", conversation=conversation, side=side, items=items,
        form=form or forms.MessageForm(), offer_form=offer_form or forms.OfferForm(formdata=None),
        report_form=report_form or forms.ReportForm(formdata=None), button=CsrfOnly(),
        other=services.other_party(conversation, side), me=require_user(), now=utcnow(),
        last_id=items[-1].id if items else 0, max_photos=MAX_PHOTOS), status


@bp.route("/messages/<int:conversation_id>", methods=["GET"])
@login_required()
def chat(conversation_id: int) -> Any:
    """One conversation as a chat; 404 to anyone but its two parties."""
    conversation, side = services.get_for_party(get_session(), conversation_id, require_user())
    return _chat_page(conversation, side)


@bp.route("/messages/<int:conversation_id>", methods=["POST"])
@limit_new_messages()
@login_required()
def send(conversation_id: int) -> Any:
    """Send the composer's text and up to 3 photos, then back to the chat (its newest message)."""
    session, user = get_session(), require_user()
    conversation, side = services.get_for_party(session, conversation_id, user)
    form = forms.MessageForm()
    values, status = load_form(form, schemas.ChatPageIn())
    uploads = _photos_of(form)
    if values is not None and len(uploads) > MAX_PHOTOS:
        form.photos.errors = [_(TOO_MANY_PHOTOS)]
        values, status = None, 422
    if values is not None:
        try:
            end_reads(session)
            processed = [deps().image_processor.process(f.read()) for f in uploads]
            conversation, side = services.get_for_party(session, conversation_id, user)
            stored = [media_photos.store(session, deps().media_storage, f"messages/{conversation.id}", p)
                      for p in processed]
            services.send(session, conversation, user, text=values["text"], now=utcnow(),
                          photos=[{"key": s.key, "thumb_key": s.thumb_key} for s in stored])
        except DomainError as err:
            status = show_errors(form, err)
        else:
            return redirect(url_for(".chat", conversation_id=conversation_id) + "#latest")
    return _chat_page(conversation, side, form=form, status=status)


@bp.route("/messages/<int:conversation_id>/poll")
@login_required()
def poll(conversation_id: int) -> Any:
    """JSON for the chat's script: the messages after ``after`` as rendered bubbles (reads only)."""
    session, user = get_session(), require_user()
    conversation, side = services.get_for_party(session, conversation_id, user)
    after = request.args.get("after", "0")
    if not after.isdigit() or len(after) > 12:
        abort(400)
    items = services.messages(session, conversation, after_id=int(after))
    html = [render_template("messaging/_bubble.html", m=m, me=user, side=side, now=utcnow()) for m in items]
    return jsonify({"items": [{"id": m.id, "html": h} for m, h in zip(items, html)],
                    "last_id": items[-1].id if items else int(after),
                    "blocked": conversation.blocked_by_id is not None})


@bp.route("/messages/<int:conversation_id>/read", methods=["POST"])
@login_required()
def read(conversation_id: int) -> Any:
    """Mark the conversation read (the chat's script calls this; 204)."""
    session, user = get_session(), require_user()
    if not CsrfOnly().validate_on_submit():
        discard()
        abort(400)
    conversation, side = services.get_for_party(session, conversation_id, user)
    services.mark_read(session, conversation, side)
    return "", 204


@bp.route("/messages/<int:conversation_id>/<any(block, unblock):action>", methods=["POST"])
@login_required()
def block(conversation_id: int, action: str) -> Any:
    """Block (no new messages either way; old ones stay) or lift your own block."""
    session, user = get_session(), require_user()
    conversation, _side = services.get_for_party(session, conversation_id, user)
    if not CsrfOnly().validate_on_submit():
        discard()
        return redirect(url_for(".chat", conversation_id=conversation_id))
    act = (lambda: services.block(session, conversation, user, utcnow())) if action == "block" else (
        lambda: services.unblock(session, conversation, user))
    return act_then_redirect(act, url_for(".chat", conversation_id=conversation_id))


@bp.route("/messages/<int:conversation_id>/report", methods=["POST"])
@login_required()
def report(conversation_id: int) -> Any:
    """Report the conversation to the admins (with a reason)."""
    session, user = get_session(), require_user()
    conversation, side = services.get_for_party(session, conversation_id, user)
    form = forms.ReportForm()
    values, status = load_form(form, schemas.ConversationReportIn())
    if values is None:
        return _chat_page(conversation, side, report_form=form, status=status or 422)
    services.report(session, conversation, user, values["reason"], utcnow())
    flash(_("Thank you. The Pasar Kreatif team will look at this conversation."), "info")
    return redirect(url_for(".chat", conversation_id=conversation_id))


@bp.route("/messages/<int:conversation_id>/offers", methods=["POST"])
@limit_new_messages()
@login_required(ARTISAN)
def send_offer(conversation_id: int) -> Any:
    """The shop's artisan sends the buyer a custom offer (with an optional photo)."""
    session, user = get_session(), require_user()
    conversation, side = services.get_for_party(session, conversation_id, user)
    form = forms.OfferForm()
    values, status = load_form(form, schemas.CustomOfferIn())
    if values is not None:
        try:
            upload = form.photo.data if getattr(form.photo.data, "filename", "") else None
            processed = None
            if upload is not None:
                end_reads(session)
                processed = deps().image_processor.process(upload.read())
                conversation, side = services.get_for_party(session, conversation_id, user)
            offers.send_offer(session, deps().media_storage, conversation, user, values, processed, utcnow())
        except DomainError as err:
            status = show_errors(form, err)
        else:
            flash(_("Your offer was sent."), "info")
            return redirect(url_for(".chat", conversation_id=conversation_id) + "#latest")
    return _chat_page(conversation, side, offer_form=form, status=status)


@bp.route("/offers/<int:offer_id>/accept", methods=["POST"])
@login_required(Role.BUYER.value)
def accept_offer(offer_id: int) -> Any:
    """Put the offer in the cart and go there (or back to the chat with the reason it cannot be)."""
    session, user = get_session(), require_user()
    if not CsrfOnly().validate_on_submit():
        discard()
        abort(400)
    try:
        offers.accept(session, user, offer_id, utcnow())
    except DomainError as err:
        discard()
        flash(_(err.message), "error")
        return redirect(request.referrer or url_for(".inbox"))
    flash(_("The offer is in your cart."), "info")
    return redirect(url_for("cart_pages.cart"))


@bp.route("/shops/<int:shop_id>/ask", methods=["GET", "POST"])
@limit_new_conversations(methods=["POST"])
@login_required()
def ask(shop_id: int) -> Any:
    """"Tanya penjual": write to a shop, optionally about one of its products (``?listing_id=``)."""
    session, user = get_session(), require_user()
    shop = session.get(Shop, shop_id)
    if shop is None or shop.suspended_at is not None:
        abort(404)
    listing_id = request.args.get("listing_id", type=int)
    order_id = request.args.get("seller_order_id", type=int)
    form = forms.StartForm()
    values, status = load_form(form, schemas.ChatPageIn())
    if values is not None and not values["text"]:
        form.text.errors = [_(services.EMPTY)]
        values, status = None, 422
    if values is not None:
        try:
            conversation = services.start(session, user, shop_id=shop.id, listing_id=listing_id,
                                          seller_order_id=order_id, text=values["text"], now=utcnow())
        except DomainError as err:
            status = show_errors(form, err)
        else:
            return redirect(url_for(".chat", conversation_id=conversation.id) + "#latest")
    listing = session.get(offers.Listing, listing_id) if listing_id else None
    return render_template("messaging/ask.html", shop=shop, form=form, listing=listing,
                           own_shop=shop.owner_id == user.id), status


@bp.route("/admin/conversations")
@login_required(ADMIN)
def reported() -> Any:
    """Reported conversations, oldest report first (who and why; opening one is audited)."""
    return render_template("messaging/admin.html", items=services.reported(get_session()), button=CsrfOnly())


@bp.route("/admin/conversations/<int:conversation_id>/dismiss", methods=["POST"])
@login_required(ADMIN)
def admin_dismiss(conversation_id: int) -> Any:
    """Close a report with nothing to act on (audit-logged); back to the queue."""
    if CsrfOnly().validate_on_submit():
        services.dismiss_report(get_session(), require_user(ADMIN), conversation_id)
        flash(_("Report dismissed: the conversation is private again."), "info")
    else:
        discard()
    return redirect(url_for(".reported"))


@bp.route("/admin/conversations/<int:conversation_id>", methods=["POST"])
@login_required(ADMIN)
def admin_open(conversation_id: int) -> Any:
    """Read a reported conversation: a POST, because each reading is written to the audit log."""
    if not CsrfOnly().validate_on_submit():
        discard()
        return redirect(url_for(".reported"))
    conversation, items = services.open_as_admin(get_session(), require_user(ADMIN), conversation_id)
    return render_template("messaging/admin_read.html", conversation=conversation, items=items, now=utcnow(),
                           me=require_user(), side=None)



