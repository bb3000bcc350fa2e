"""gunicorn entry point: ``gunicorn marketplace.web.wsgi:app``."""

from marketplace import create_app

app = create_app()
