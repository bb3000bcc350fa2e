"""gunicorn entry point: ``gunicorn marketplace.web.wsgi:app``."""

from marketplace.web.app import create_app

app = create_app()
