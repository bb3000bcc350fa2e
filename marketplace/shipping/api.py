"""Shipping quote JSON API: ``GET /api/v1/shipping/quote`` (anyone; approved listings only)."""

from __future__ import annotations

from typing import Any

from flask.blueprints import BlueprintSetupState
from flask_smorest import Blueprint

from marketplace.web.auth import api_optional_auth, current_user
from marketplace.web.apidoc import error_responses
from marketplace.web.transaction import get_session
from marketplace.shipping import rates, schemas, services
from marketplace.web.deps import deps

bp = Blueprint("shipping_api", __name__, url_prefix="/api/v1", description="Shipping quotes")


@bp.record_once
def _check_rate_table(state: BlueprintSetupState) -> None:
    """Load the rate table when the app is built: a bad SHIPPING_RATES_FILE stops start-up, not each quote."""
    rates.rates_for(state.app.extensions["deps"].settings)


@bp.route("/shipping/quote", methods=["GET"])
@api_optional_auth()
@bp.doc(**error_responses(404, 409))
@bp.arguments(schemas.QuoteQuery, location="query")
@bp.response(200, schemas.QuoteOut)
def quote(query: dict[str, Any]) -> Any:
    """Estimated shipping of ``quantity`` of a listing from its shop to a city and province."""
    return services.quote(
        get_session(), query["listing_id"], query["quantity"], query["city"], query["province"],
        rates.rates_for(deps().settings), viewer=current_user(),
    )
