"""Programme event pages: the upcoming events (by city or sentra), one event's page (seats left, the
register / cancel button, the shops taking part and their products, its JSON-LD), the ``.ics`` file,
and "Acara saya" (the user's registrations with their check-in QR codes). The admins' pages are
``admin.views``. Thin: a schema parses, one service acts, the page renders."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from marketplace.accounts.models import Role
from marketplace.catalog import schemas as catalog_schemas, services as catalog
from marketplace.db import MAX_ID, utcnow
from marketplace.errors import DomainError
from marketplace.media.qr import qr_data_uri
from marketplace.programme import forms, participation, registrations, schemas, services
from marketplace.programme.ics import calendar_of
from marketplace.programme.models import SHOP_KINDS
from marketplace.sentra.models import Sentra
from marketplace.shops import places
from marketplace.shops.services import get_shop_for_owner
from marketplace.web.auth import current_user, login_required, require_user
from marketplace.web.deps import deps
from marketplace.web.forms import CsrfOnly, flash_refusal, load_form
from marketplace.web.i18n import gettext as _
from marketplace.web.transaction import discard, get_session

bp = Blueprint("programme_pages", __name__)

ARTISAN = Role.ARTISAN.value


@bp.route("/events")
def index() -> Any:
    """Upcoming events, soonest first, optionally of one city (``?city=``) or sentra (``?sentra=<id>``)."""
    session = get_session()
    city = places.canonical_city(request.args.get("city"))
    raw_sentra = request.args.get("sentra", "")
    sentra = None
    if raw_sentra.isascii() and raw_sentra.isdigit() and 0 < int(raw_sentra) <= MAX_ID:
        sentra = session.get(Sentra, int(raw_sentra))
    items = services.list_events(session, now=utcnow(), city=city, sentra_id=sentra.id if sentra else None)
    return render_template("programme/index.html", items=items, city=city, sentra=sentra, cities=places.CITIES)


def _products(shops: list[Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for shop in shops[:12]:
        result = catalog.search(get_session(), catalog.SearchParams(per_page=4, shop_id=shop.id))
        out += catalog_schemas.ListingCard(many=True).dump(result.items)
    return out


@bp.route("/events/<int:event_id>")
def show(event_id: int) -> Any:
    """One event: when and where (WIB), seats left, register or cancel, its shops and their products."""
    session = get_session()
    view = services.view(session, services.get_event(session, event_id))
    user = current_user()
    mine = registrations.of_user_for_event(session, user, event_id)
    position = registrations.waitlist_position(session, mine) if mine is not None else None
    shop = get_shop_for_owner(session, user.id) if user is not None and user.role == ARTISAN else None
    shop_status = participation.status_of(session, event_id, shop.id) if shop is not None else None
    sentra = session.get(Sentra, view.sentra_id) if view.sentra_id else None
    now = utcnow()
    return render_template(
        "programme/show.html", event=view, sentra=sentra, mine=mine, position=position,
        products=_products(view.shops) if view.kind in SHOP_KINDS else [],
        window_open=view.registration_opens_at <= now < view.registration_closes_at,
        upcoming=view.registration_opens_at > now, shop=shop, shop_status=shop_status,
        button=CsrfOnly(formdata=None), apply_form=forms.ApplyForm(formdata=None))


@bp.route("/events/<int:event_id>.ics")
def ics(event_id: int) -> Response:
    """The event as an iCalendar file (RFC 5545) to add it to a phone's calendar."""
    event = services.get_event(get_session(), event_id)
    return Response(calendar_of(event, deps().settings.public_base_url), mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="acara-{event.id}.ics"'})


@bp.route("/events/<int:event_id>/register", methods=["POST"])
@login_required()
def register(event_id: int) -> Any:
    """Register (or join the waiting list); the answer is a message on the event page."""
    target = url_for(".show", event_id=event_id)
    if not CsrfOnly().validate_on_submit():
        discard()
        return redirect(target)
    try:
        registration = registrations.register(get_session(), require_user(), event_id, now=utcnow())
    except DomainError as err:
        flash_refusal(err)
        return redirect(target)
    if registration.status == registrations.REGISTERED:
        flash(_("You are registered. Show your code at the door: it is on My events."), "info")
    else:
        flash(_("The event is full: you are on the waiting list. We will tell you if a seat frees up."), "info")
    return redirect(target)


@bp.route("/events/<int:event_id>/cancel-registration", methods=["POST"])
@login_required()
def cancel_registration(event_id: int) -> Any:
    """Cancel one's own registration; the seat goes to the first on the waiting list."""
    target = request.form.get("next") == "mine" and url_for(".mine") or url_for(".show", event_id=event_id)
    if not CsrfOnly().validate_on_submit():
        discard()
        return redirect(target)
    try:
        registrations.cancel(get_session(), require_user(), event_id, now=utcnow())
    except DomainError as err:
        flash_refusal(err)
    else:
        flash(_("Your registration is cancelled."), "info")
    return redirect(target)


@bp.route("/events/<int:event_id>/apply", methods=["POST"])
@login_required(ARTISAN)
def apply(event_id: int) -> Any:
    """An artisan's shop applies to take part in a festival or market."""
    target = url_for(".show", event_id=event_id) + "#shops"
    form = forms.ApplyForm()
    values, _status = load_form(form, schemas.ProgrammeApplyIn())
    if values is None:
        discard()
        flash(_("Tell us in at most 500 characters."), "error")
        return redirect(target)
    session = get_session()
    shop = get_shop_for_owner(session, require_user(ARTISAN).id)
    if shop is None:
        flash(_("Open your shop first."), "error")
        return redirect(target)
    try:
        participation.apply(session, shop, event_id, values["note"], now=utcnow())
    except DomainError as err:
        flash_refusal(err)
    else:
        flash(_("Your shop has applied: an admin will look at it."), "info")
    return redirect(target)


@bp.route("/account/events")
@login_required()
def mine() -> Any:
    """"Acara saya": the user's registrations, each with its code and QR for the door."""
    items = registrations.of_user(get_session(), require_user())
    return render_template("programme/mine.html", items=items, button=CsrfOnly(formdata=None),
                           qr={r.id: qr_data_uri(r.code, scale=6) for r in items})


def sentra_events(sentra_id: int) -> list[Any]:
    """For the sentra page's calendar-style list."""
    return services.list_events(get_session(), now=utcnow(), sentra_id=sentra_id, limit=20)


def kelurahan_events(city: str, kelurahan: str) -> list[Any]:
    """For the kelurahan page's calendar-style list."""
    return services.events_of_kelurahan(get_session(), city, kelurahan, now=utcnow())

