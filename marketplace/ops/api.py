"""Operations JSON API: the event pipeline's state for dashboards and scripts (admins only)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from marketplace.web.auth import api_auth
from marketplace.web.transaction import get_session
from marketplace.ops import services
from marketplace.web.deps import deps

bp = Blueprint("ops_api", __name__, url_prefix="/api/v1", description="Operations")


@bp.route("/admin/events/status", methods=["GET"])
@api_auth("admin")
@bp.response(200)
def events_status() -> Any:
    """Outbox backlog, consumer lag per group and partition, DLQ message counts (200 even if Kafka is down)."""
    return services.events_status(get_session(), deps().settings)
