"""Moderation JSON API. PLACEHOLDER: to be filled in."""

from __future__ import annotations

from flask_smorest import Blueprint

bp = Blueprint("moderation_api", __name__, url_prefix="/api/v1", description="Moderation")
