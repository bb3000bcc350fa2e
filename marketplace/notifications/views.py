"""Notification pages: each user's e-mail and WhatsApp settings, and the admins' view of the mail queue
and of the WhatsApp messages (``/admin/whatsapp``, linked from ``/admin/mail``).

``/admin/mail`` lists what was queued, sent, skipped (and why) or failed (and the last error), newest
first; on the embedded run, where ``SMTP_URL`` is unset and mail is written to ``var/mail``, each
message's ``.eml`` file can be opened from there, so a newcomer sees exactly what would be sent.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from marketplace.accounts import services as accounts
from marketplace.accounts.models import User
from marketplace.web.auth import login_required, require_user
from marketplace.db import utcnow
from marketplace.web.transaction import get_session
from marketplace.web.forms import load_form
from marketplace.web.i18n import gettext as _
from marketplace.notifications import schemas, services
from marketplace.notifications.kinds import optional_kinds
from marketplace.notifications.forms import PreferencesForm
from marketplace.notifications.mailer import FileMailer
from marketplace.notifications.models import Channel, Notification
from marketplace.notifications.whatsapp import SandboxWhatsApp
from marketplace.web.deps import deps

bp = Blueprint("notifications_pages", __name__)


@bp.route(services.SETTINGS_PATH, methods=["GET", "POST"])
@login_required()
def preferences() -> Any:
    """Choose the e-mail language and which optional messages to get (transactional ones always go)."""
    user = require_user()
    session = get_session()
    offered = optional_kinds(user.role)
    current = services.preferences_of(session, user)
    form = PreferencesForm(offered, data=None if request.method == "POST" else
                           {"language": current["language"], "wanted": current["wanted"],
                            "phone": current["phone"] or "", "whatsapp": current["whatsapp"]})
    values, status = load_form(form, schemas.SettingsPageIn())
    if values is not None:
        accounts.update_profile(session, user, phone=values.get("phone"))
        services.update_preferences(session, user, language=values["language"], wanted=values.get("wanted", []),
                                     whatsapp=values.get("whatsapp", False), now=utcnow())
        flash(_("Your notification settings are saved."), "info")
        return redirect(url_for("notifications_pages.preferences"))
    return render_template("notifications/preferences.html", form=form, offered=offered,
                           bounced_email=current["bounced_email"], whatsapp_on=current["whatsapp"],
                           number_failed=current["whatsapp_number_failed"]), status


@bp.route(services.SETTINGS_PATH + "/whatsapp/stop", methods=["POST"])
@login_required()
def stop_whatsapp() -> Any:
    """One tap: no more WhatsApp messages (what is still queued is skipped too); e-mail carries on."""
    user = require_user()
    session = get_session()
    current = services.preferences_of(session, user)
    services.update_preferences(session, user, language=current["language"], wanted=current["wanted"],
                                whatsapp=False, now=utcnow())
    flash(_("WhatsApp messages are stopped."), "info")
    return redirect(url_for("notifications_pages.preferences"))


def _file_mailer() -> FileMailer | None:
    """The embedded mailer the worker writes with (the same settings), or None when mail goes by SMTP."""
    settings = deps().settings
    return None if settings.smtp_url else FileMailer(settings.mail_directory(), settings.mail_from)


@bp.route("/admin/mail")
@login_required("admin")
def admin_mail() -> Any:
    """The mail queue, newest first: status, recipient, subject, attempts, and why a message did not go."""
    files = _file_mailer()
    rows = services.recent(get_session())
    written = {row.id for row in rows if files is not None and files.path_for(row.message_id).is_file()}
    return render_template("notifications/admin_mail.html", rows=rows, written=written,
                           mail_dir=str(files.directory) if files else None)


def _sandbox() -> SandboxWhatsApp | None:
    """The WhatsApp sandbox the worker writes with (the same settings), or None for another provider."""
    settings = deps().settings
    return SandboxWhatsApp(settings.whatsapp_directory()) if settings.whatsapp_provider == "sandbox" else None


@bp.route("/admin/whatsapp")
@login_required("admin")
def admin_whatsapp() -> Any:
    """The WhatsApp messages, newest first: to whom (the user, not the number), the text, the queue's
    status and why one did not go, and the delivery status WhatsApp's webhook reported."""
    sandbox = _sandbox()
    rows = services.recent(get_session(), channel=Channel.WHATSAPP.value)
    written = {row.id for row in rows if sandbox is not None and sandbox.path_for(row.message_id).is_file()}
    users = {u.id: u for u in get_session().scalars(select(User).where(User.id.in_({r.recipient_id for r in rows})))}
    return render_template("notifications/admin_whatsapp.html", rows=rows, written=written, users=users,
                           provider=deps().settings.whatsapp_provider,
                           whatsapp_dir=str(sandbox.directory) if sandbox else None)


@bp.route("/admin/mail/<int:notification_id>")
@login_required("admin")
def admin_message(notification_id: int) -> Any:
    """One message as it is (or would be) sent: headers, the plain text, and its ``.eml`` if written."""
    row = get_session().get(Notification, notification_id)
    if row is None:
        abort(404)
    files = _file_mailer()
    has_file = files is not None and files.path_for(row.message_id).is_file()
    return render_template("notifications/admin_message.html", row=row, has_file=has_file)


@bp.route("/admin/mail/<int:notification_id>.eml")
@login_required("admin")
def admin_message_file(notification_id: int) -> Any:
    """The ``.eml`` file the embedded mailer wrote (opens in a mail program)."""
    row = get_session().get(Notification, notification_id)
    files = _file_mailer()
    if row is None or files is None or not files.path_for(row.message_id).is_file():
        abort(404)
    return Response(files.path_for(row.message_id).read_bytes(), mimetype="message/rfc822",
                    headers={"Content-Disposition": f'attachment; filename="notification-{row.id}.eml"'})
