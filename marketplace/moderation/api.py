"""Moderation JSON API (admins only): the queue, approve, reject, and each listing's decision history."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from marketplace.accounts.models import Role
from marketplace.accounts.security import api_auth, require_user
from marketplace.apidoc import error_responses
from marketplace.db import get_session
from marketplace.moderation import schemas, services

bp = Blueprint("moderation_api", __name__, url_prefix="/api/v1", description="Moderation")

ADMIN = Role.ADMIN.value


@bp.route("/admin/moderation/queue", methods=["GET"])
@api_auth(ADMIN)
@bp.response(200, schemas.QueueOut)
def moderation_queue() -> Any:
    """Listings waiting for review, oldest submission first, each with the ``revision`` to decide on."""
    return {"items": services.queue(get_session())}


@bp.route("/admin/listings/<int:listing_id>/approve", methods=["POST"])
@bp.doc(**error_responses(409))
@api_auth(ADMIN)
@bp.arguments(schemas.ApproveIn)
@bp.response(200, schemas.DecisionOut)
def approve(body: dict[str, Any], listing_id: int) -> Any:
    """Publish a pending listing as it was at ``revision`` (from the queue); 409 ``not_pending`` if it is
    not pending, 409 ``listing_changed`` if it was edited since that revision."""
    listing = services.approve(get_session(), require_user(ADMIN), listing_id, body["revision"])
    return {"status": listing.status}


@bp.route("/admin/listings/<int:listing_id>/reject", methods=["POST"])
@bp.doc(**error_responses(409))
@api_auth(ADMIN)
@bp.arguments(schemas.RejectIn)
@bp.response(200, schemas.DecisionOut)
def reject(body: dict[str, Any], listing_id: int) -> Any:
    """Refuse a pending listing, as it was at ``revision``, with a reason the seller sees (the same 409s)."""
    listing = services.reject(get_session(), require_user(ADMIN), listing_id, body["revision"], body["reason"])
    return {"status": listing.status, "reason": listing.rejection_reason}


@bp.route("/admin/listings/<int:listing_id>/history", methods=["GET"])
@api_auth(ADMIN)
@bp.response(200, schemas.HistoryOut)
def history(listing_id: int) -> Any:
    """Every moderation decision on the listing: who, when, what and why."""
    listing, decisions = services.history(get_session(), listing_id)
    return {"listing_id": listing.id, "status": listing.status, "items": decisions}
