"""The user's own data over the API: ``GET /api/v1/me/export``, ``DELETE /api/v1/me``."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from marketplace.orders.schemas import OrderOut
from marketplace.privacy import schemas, services
from marketplace.web.apidoc import error_responses
from marketplace.web.auth import api_auth, require_user
from marketplace.web.deps import deps
from marketplace.web.transaction import get_session

bp = Blueprint("privacy_api", __name__, url_prefix="/api/v1", description="Your own data: export, close the account")


@bp.route("/me/export", methods=["GET"])
@api_auth()
@bp.response(200)
def export() -> Any:
    """Everything we hold about you, as JSON (profile, settings, sessions, tokens, orders with their
    addresses, your shop, listings and payouts, reports, the messages we sent you)."""
    return services.export_for(get_session(), require_user(), OrderOut(many=True).dump)


@bp.route("/me", methods=["DELETE"])
@bp.doc(**error_responses(409, 422))
@api_auth()
@bp.arguments(schemas.CloseAccountIn)
@bp.response(200)
def close(body: dict[str, Any]) -> Any:
    """Close your account (``{password}``): your personal data is erased, every session and token ends;
    orders and the books stay with you anonymised. 409 ``account_in_use`` with the reason while an
    order, an order to ship or a payout of yours is still open."""
    services.close_own_account(get_session(), require_user(), body["password"], deps().clock(),
                                      deps().media_storage)
    return {"status": "closed"}
