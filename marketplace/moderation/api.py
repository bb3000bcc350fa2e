"""Moderation JSON API (admins only): the queue, approve, reject, and each listing's decision history."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from marketplace.accounts.models import Role
from marketplace.web.auth import api_auth, require_user
from marketplace.web.apidoc import error_responses
from marketplace.web.transaction import get_session
from marketplace.moderation import reports, schemas, services

bp = Blueprint("moderation_api", __name__, url_prefix="/api/v1", description="Moderation")

ADMIN = Role.ADMIN.value


@bp.route("/admin/moderation/queue", methods=["GET"])
@api_auth(ADMIN)
@bp.response(200, schemas.QueueWithReportsOut)
def moderation_queue() -> Any:
    """Listings waiting for review, oldest submission first, each with the ``revision`` to decide on;
    and, under ``reported``, approved listings with open reports (count and reasons)."""
    session = get_session()
    return {"items": services.queue(session), "reported": reports.reported(session)}


@bp.route("/admin/moderation/bulk", methods=["POST"])
@api_auth(ADMIN)
@bp.arguments(schemas.BulkIn)
@bp.response(200, schemas.BulkOut)
def bulk(body: dict[str, Any]) -> Any:
    """Approve or reject several listings, each at its ``revision``; per-item results (an item whose
    listing changed is a 409 result of its own, the others are decided)."""
    results = reports.bulk_decide(get_session(), require_user(ADMIN), body["action"], body["items"], body["reason"])
    return {"items": results}


@bp.route("/listings/<int:listing_id>/reports", methods=["POST"])
@bp.doc(**error_responses(404, 409))
@api_auth()
@bp.arguments(schemas.ReportIn)
@bp.response(201, schemas.ReportOut)
def report_listing(body: dict[str, Any], listing_id: int) -> Any:
    """Report a public listing with a reason (once per user and listing; the second time is 409)."""
    return reports.report(get_session(), require_user(), listing_id, body["reason"])


@bp.route("/admin/listings/<int:listing_id>/reports/dismiss", methods=["POST"])
@bp.doc(**error_responses(404, 409))
@api_auth(ADMIN)
@bp.response(200, schemas.DismissOut)
def dismiss_reports(listing_id: int) -> Any:
    """Keep the listing: close its open reports (409 ``no_open_reports`` if there are none)."""
    return {"dismissed": reports.dismiss(get_session(), require_user(ADMIN), listing_id)}


@bp.route("/admin/listings/<int:listing_id>/take-down", methods=["POST"])
@bp.doc(**error_responses(404, 409))
@api_auth(ADMIN)
@bp.arguments(schemas.TakeDownIn)
@bp.response(200, schemas.DecisionOut)
def take_down(body: dict[str, Any], listing_id: int) -> Any:
    """Take a public (reported) listing down as ``rejected``, with a reason the seller sees; its reports
    are resolved. 409 ``listing_changed`` if it changed since ``revision``."""
    listing = reports.take_down(get_session(), require_user(ADMIN), listing_id, body["revision"], body["reason"])
    return {"status": listing.status, "reason": listing.rejection_reason}


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
