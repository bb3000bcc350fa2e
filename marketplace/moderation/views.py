"""Pages. PLACEHOLDER: to be filled in."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("moderation_pages", __name__)


@bp.route("/admin/moderation")
def queue():  # type: ignore[no-untyped-def]
    """The moderation queue. PLACEHOLDER."""
    return "todo"
