"""Shop pages. PLACEHOLDER until shops are built."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

bp = Blueprint("shops_pages", __name__)


@bp.route("/seller/shop/new")
def new_shop() -> Any:
    """Open a shop."""
    return "todo"


@bp.route("/seller")
def dashboard() -> Any:
    """The seller dashboard."""
    return "todo"
