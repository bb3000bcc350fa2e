"""Unbound Flask extensions (the ``init_app`` pattern): they hold no connection until ``create_app``."""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

limiter = Limiter(key_func=get_remote_address)
csrf = CSRFProtect()
