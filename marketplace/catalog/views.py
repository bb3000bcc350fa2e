"""Public pages: home and search. PLACEHOLDER until the catalogue is built."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

bp = Blueprint("catalog_pages", __name__)


@bp.route("/")
def home() -> Any:
    """The home page."""
    return render_template("catalog/home.html")


@bp.route("/search")
def search() -> Any:
    """Search approved listings."""
    return render_template("catalog/home.html")
