"""Programme events JSON API (ARCHITECTURE.md §5): the public list and page, registration for a
logged-in user, "Acara saya", and the admins' create, edit, cancel, photo, shops and check-in. Thin: a
schema parses, one service acts."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from marketplace.accounts.models import Role
from marketplace.db import end_reads, utcnow
from marketplace.programme import participation, registrations, schemas, services
from marketplace.shops.services import require_shop_for_owner
from marketplace.web.apidoc import error_responses
from marketplace.web.auth import api_auth, require_user
from marketplace.web.deps import deps
from marketplace.web.transaction import get_session

bp = Blueprint("programme_api", __name__, url_prefix="/api/v1", description="Programme events")

ADMIN, ARTISAN = Role.ADMIN.value, Role.ARTISAN.value


def _registration_out(registration: Any) -> dict[str, Any]:
    session = get_session()
    mine = registrations.describe(session, registration)
    return {"id": registration.id, "event_id": registration.event_id, "status": registration.status,
            "code": registration.code, "waitlist_position": mine.waitlist_position, "event": mine.event}


@bp.route("/events", methods=["GET"])
@bp.arguments(schemas.ProgrammeEventQuery, location="query")
@bp.response(200, schemas.ProgrammeEventList)
def public_list(query: dict[str, Any]) -> Any:
    """Programme events not yet ended, soonest first, with ``seats_left``; by ``city``, ``sentra_id``,
    ``kind``, ``from`` and ``to``."""
    from marketplace.shops import places

    city = places.canonical_city(query["city"]) if query.get("city") else None
    return {"items": services.list_events(get_session(), now=utcnow(), city=city, sentra_id=query.get("sentra_id"),
                                          kind=query.get("kind"), from_=query.get("from_"), to=query.get("to"))}


@bp.route("/events/<int:event_id>", methods=["GET"])
@bp.doc(**error_responses(404))
@bp.response(200, schemas.ProgrammeEventOut)
def public_get(event_id: int) -> Any:
    """One event with ``seats_left`` and, for a festival or market, the shops taking part."""
    session = get_session()
    return services.view(session, services.get_event(session, event_id))


@bp.route("/events/<int:event_id>/registrations", methods=["POST"])
@bp.doc(**error_responses(404, 409, 422))
@api_auth()
@bp.response(201, schemas.ProgrammeRegistrationOut)
def register(event_id: int) -> Any:
    """Register the caller: ``registered`` while seats last, else ``waitlisted``; 409
    ``already_registered`` or ``event_cancelled``; 422 ``registration_closed`` outside the window."""
    registration = registrations.register(get_session(), require_user(), event_id, now=utcnow())
    return _registration_out(registration)


@bp.route("/events/<int:event_id>/registrations/me", methods=["DELETE"])
@bp.doc(**error_responses(404, 409))
@api_auth()
@bp.response(200, schemas.ProgrammeRegistrationOut)
def cancel_registration(event_id: int) -> Any:
    """Cancel the caller's registration; their seat goes to the first on the waiting list."""
    registration = registrations.cancel(get_session(), require_user(), event_id, now=utcnow())
    return _registration_out(registration)


@bp.route("/me/registrations", methods=["GET"])
@api_auth()
@bp.response(200, schemas.ProgrammeRegistrationList)
def my_registrations() -> Any:
    """The caller's registrations (not cancelled) with their codes, soonest event first."""
    return {"items": [{"id": r.id, "event_id": r.event_id, "status": r.status, "code": r.code,
                       "waitlist_position": r.waitlist_position, "event": r.event}
                      for r in registrations.of_user(get_session(), require_user())]}


@bp.route("/events/<int:event_id>/shop-applications", methods=["POST"])
@bp.doc(**error_responses(404, 409, 422))
@api_auth(ARTISAN)
@bp.arguments(schemas.ProgrammeApplyIn)
@bp.response(201, schemas.ProgrammeShopOut)
def apply(body: dict[str, Any], event_id: int) -> Any:
    """The caller's shop applies to take part in a festival or market (an admin accepts)."""
    session = get_session()
    shop = require_shop_for_owner(session, require_user(ARTISAN).id)
    row = participation.apply(session, shop, event_id, body["note"], now=utcnow())
    return participation.ParticipantView(shop, row.status)


# --- admins ------------------------------------------------------------------------------------------


@bp.route("/admin/events", methods=["POST"])
@bp.doc(**error_responses(422))
@api_auth(ADMIN)
@bp.arguments(schemas.ProgrammeEventIn)
@bp.response(201, schemas.ProgrammeEventOut)
def create(body: dict[str, Any]) -> Any:
    """A new event of a sentra (``sentra_id``) or a city; times without an offset are WIB. 422 naming
    the field: an end before the start, a registration window that closes after the end."""
    session = get_session()
    return services.view(session, services.create_event(session, require_user(ADMIN), body, now=utcnow()))


@bp.route("/admin/events/<int:event_id>", methods=["PATCH"])
@bp.doc(**error_responses(404, 409, 422))
@api_auth(ADMIN)
@bp.arguments(schemas.ProgrammeEventPatch)
@bp.response(200, schemas.ProgrammeEventOut)
def update(body: dict[str, Any], event_id: int) -> Any:
    """Change an event; more seats promote the waiting list; fewer than the seats taken is 422."""
    session = get_session()
    event = services.update_event(session, require_user(ADMIN), event_id, body, now=utcnow())
    return services.view(session, event, all_shops=True)


@bp.route("/admin/events/<int:event_id>/cancel", methods=["POST"])
@bp.doc(**error_responses(404, 409))
@api_auth(ADMIN)
@bp.arguments(schemas.ProgrammeCancelIn)
@bp.response(200, schemas.ProgrammeEventOut)
def cancel(body: dict[str, Any], event_id: int) -> Any:
    """Cancel the event with a reason; everyone registered or waiting is told."""
    session = get_session()
    event = services.cancel_event(session, require_user(ADMIN), event_id, body["reason"], now=utcnow())
    return services.view(session, event, all_shops=True)


@bp.route("/admin/events/<int:event_id>/photo", methods=["POST"])
@bp.doc(**error_responses(404, 413, 415, 503))
@api_auth(ADMIN)
@bp.arguments(schemas.ProgrammePhotoUploadIn, location="files")
@bp.response(201, schemas.ProgrammeEventOut)
def upload_photo(files: dict[str, Any], event_id: int) -> Any:
    """Set the event's photo (multipart ``file``: JPEG, PNG or WebP), processed in the bounded image pool."""
    session = get_session()
    require_user(ADMIN)
    services.get_event(session, event_id)
    end_reads(session)  # decode outside any transaction
    processed = deps().image_processor.process(files["file"].read())
    return services.view(session, services.set_photo(session, deps().media_storage, event_id, processed))


@bp.route("/admin/events/<int:event_id>/shops", methods=["POST"])
@bp.doc(**error_responses(404, 409, 422))
@api_auth(ADMIN)
@bp.arguments(schemas.ProgrammeShopIn)
@bp.response(200, schemas.ProgrammeEventOut)
def add_shop(body: dict[str, Any], event_id: int) -> Any:
    """Add a shop to a festival or market, or accept its application."""
    session = get_session()
    participation.add_shop(session, require_user(ADMIN), event_id, body["shop_id"], now=utcnow())
    return services.view(session, services.get_event(session, event_id), all_shops=True)


@bp.route("/admin/events/<int:event_id>/check-in", methods=["POST"])
@bp.doc(**error_responses(404, 409))
@api_auth(ADMIN)
@bp.arguments(schemas.ProgrammeCheckInIn)
@bp.response(200, schemas.ProgrammeCheckInOut)
def check_in(body: dict[str, Any], event_id: int) -> Any:
    """Check a registration in by its code: 200 ``attended``; 404 unknown code; 409 already checked in
    (``already_checked_in``) or not holding a seat (``not_registered``)."""
    from marketplace.accounts.models import User

    session = get_session()
    registration = registrations.check_in(session, event_id, body["code"], now=utcnow())
    user = session.get(User, registration.user_id)
    return {"status": registration.status, "registration_id": registration.id, "name": user.name if user else ""}

