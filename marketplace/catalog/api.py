"""Catalogue search JSON API. PLACEHOLDER: to be filled in."""

from __future__ import annotations

from flask_smorest import Blueprint

bp = Blueprint("catalog_api", __name__, url_prefix="/api/v1", description="Catalogue search")
