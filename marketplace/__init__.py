"""Pasar Kreatif: the storefront and the domain.

Importing the package loads nothing: workers and CLI commands that reuse the domain (``marketplace.db``,
the services) stay free of Flask. The web app is built by :func:`marketplace.web.app.create_app`.
"""
