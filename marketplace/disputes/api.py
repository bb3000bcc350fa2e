"""Disputes JSON API (ARCHITECTURE.md §5): the buyer opens one and adds photos; the buyer, the shop's
artisan and admins read it; the artisan answers or refunds; admins list and decide. Thin: a schema
parses, one service acts."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from marketplace.accounts.models import Role
from marketplace.db import end_reads, utcnow
from marketplace.disputes import schemas, services
from marketplace.listings.schemas import ImageUploadIn
from marketplace.web.apidoc import error_responses
from marketplace.web.auth import api_auth, require_user
from marketplace.web.deps import deps
from marketplace.web.transaction import get_session

bp = Blueprint("disputes_api", __name__, url_prefix="/api/v1", description="Disputes")

ADMIN, ARTISAN, BUYER = Role.ADMIN.value, Role.ARTISAN.value, Role.BUYER.value


def _flagged(disputes: list[Any]) -> list[Any]:
    """Each dispute marked ``escalated`` when it waited past ``DISPUTE_RESPONSE_DAYS`` unanswered."""
    now, days = utcnow(), deps().settings.dispute_response_days
    for dispute in disputes:
        dispute.escalated = services.is_escalated(dispute, now, days)
    return disputes


@bp.route("/seller-orders/<int:seller_order_id>/disputes", methods=["POST"])
@bp.doc(**error_responses(403, 409))
@api_auth()
@bp.arguments(schemas.DisputeIn)
@bp.response(201, schemas.DisputeOut)
def open_dispute(body: dict[str, Any], seller_order_id: int) -> Any:
    """The buyer opens a dispute about a seller order: within ``DISPUTE_WINDOW_DAYS`` of delivery, or
    (``not_received``) from ``NOT_RECEIVED_DAYS`` after shipping. 403 ``not_the_buyer``; 422
    ``dispute_window_closed`` / ``dispute_too_early``; 409 ``dispute_open``. Its payout is held meanwhile."""
    settings = deps().settings
    return services.open_dispute(get_session(), require_user(), seller_order_id, body, now=utcnow(),
                                 window_days=settings.dispute_window_days,
                                 not_received_days=settings.not_received_days)


@bp.route("/disputes/<int:dispute_id>/photos", methods=["POST"])
@bp.doc(**error_responses(404, 409))
@api_auth()
@bp.arguments(ImageUploadIn, location="files")
@bp.response(201, schemas.DisputePhotoOut)
def add_photo(files: dict[str, Any], dispute_id: int) -> Any:
    """Add a JPEG, PNG or WebP photo to your open dispute (multipart ``file``); at most 5."""
    session, user = get_session(), require_user()
    services.check_room_for_photo(session, user, dispute_id)
    end_reads(session)  # decode outside any transaction
    processed = deps().image_processor.process(files["file"].read())
    return services.add_photo(session, deps().media_storage, user, dispute_id, processed)


@bp.route("/disputes/<int:dispute_id>", methods=["GET"])
@bp.doc(**error_responses(404))
@api_auth()
@bp.response(200, schemas.DisputeOut)
def get_dispute(dispute_id: int) -> Any:
    """A dispute, for its buyer, the shop's artisan and admins (404 for anyone else)."""
    return _flagged([services.visible_to(get_session(), require_user(), dispute_id)])[0]


@bp.route("/disputes/<int:dispute_id>/escalate", methods=["POST"])
@bp.doc(**error_responses(404, 409))
@api_auth()
@bp.response(200, schemas.DisputeOut)
def escalate(dispute_id: int) -> Any:
    """The buyer or the shop's artisan asks an admin to decide now (409 ``already_escalated``)."""
    return _flagged([services.escalate(get_session(), require_user(), dispute_id, now=utcnow())])[0]


@bp.route("/seller/disputes/<int:dispute_id>/respond", methods=["POST"])
@bp.doc(**error_responses(404, 409))
@api_auth(ARTISAN)
@bp.arguments(schemas.DisputeRespondIn)
@bp.response(200, schemas.DisputeOut)
def respond(body: dict[str, Any], dispute_id: int) -> Any:
    """The shop's answer to an open dispute (once: 409 ``already_responded``)."""
    return services.respond(get_session(), require_user(ARTISAN), dispute_id, body["text"], now=utcnow())


@bp.route("/seller/disputes/<int:dispute_id>/refund", methods=["POST"])
@bp.doc(**error_responses(404, 409))
@api_auth(ARTISAN)
@bp.arguments(schemas.DisputeRefundIn)
@bp.response(200, schemas.DisputeOut)
def refund(body: dict[str, Any], dispute_id: int) -> Any:
    """The artisan refunds all or part of what the buyer paid for the seller order (through the gateway);
    the dispute is resolved. 409 ``refund_exceeds_payment`` beyond what was paid."""
    return services.refund_by_artisan(get_session(), require_user(ARTISAN), dispute_id, body["amount_idr"],
                                      now=utcnow())


@bp.route("/admin/disputes", methods=["GET"])
@api_auth(ADMIN)
@bp.arguments(schemas.DisputeQueueQuery, location="query")
@bp.response(200, schemas.DisputeList)
def admin_queue(query: dict[str, Any]) -> Any:
    """Disputes oldest first, by ``status`` (``open``, ``resolved``, ``escalated``: open and unanswered
    past ``DISPUTE_RESPONSE_DAYS``); each says whether it is ``escalated``."""
    items = services.queue(get_session(), query.get("status"), now=utcnow(),
                           response_days=deps().settings.dispute_response_days)
    return {"items": _flagged(items)}


@bp.route("/admin/disputes/<int:dispute_id>/resolve", methods=["POST"])
@bp.doc(**error_responses(404, 409))
@api_auth(ADMIN)
@bp.arguments(schemas.DisputeResolveIn)
@bp.response(200, schemas.DisputeOut)
def resolve(body: dict[str, Any], dispute_id: int) -> Any:
    """Decide an open dispute: ``refund`` (``amount_idr``, or all the buyer paid for the seller order) or
    ``reject``, with a ``note`` (audit-logged). 409 ``dispute_closed`` when already decided."""
    return services.resolve(get_session(), require_user(ADMIN), dispute_id, body, now=utcnow())
