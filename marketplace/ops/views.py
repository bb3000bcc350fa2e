"""Pages. PLACEHOLDER: to be filled in."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("ops_pages", __name__)
