"""Pasar Kreatif: the storefront and the domain.

Importing the package loads nothing of the web layer, so workers and CLI commands that reuse the
domain (``marketplace.db``, the services) stay free of Flask; :func:`create_app` lives in
:mod:`marketplace.web.app` and is imported when first called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from marketplace.config import Settings


def create_app(settings: "Settings | None" = None) -> "Flask":
    """Build the Flask app (see :func:`marketplace.web.app.create_app`)."""
    from marketplace.web.app import create_app as _create_app

    return _create_app(settings)

