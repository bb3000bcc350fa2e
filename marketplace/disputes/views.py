"""Dispute pages (placeholder)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("disputes_pages", __name__)
