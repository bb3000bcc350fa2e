"""Operations pages: what an operator on call looks at first."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from marketplace.web.auth import login_required
from marketplace.web.transaction import get_session
from marketplace.ops import services
from marketplace.web.deps import deps

bp = Blueprint("ops_pages", __name__)


@bp.route("/admin/events")
@login_required("admin")
def events() -> Any:
    """The event pipeline: outbox backlog, consumer lag, dead letters; the outbox part even without Kafka."""
    status = services.events_status(get_session(), deps().settings)
    return render_template("ops/events.html", status=status)
