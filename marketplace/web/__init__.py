"""The Flask layer and nothing else (ARCHITECTURE.md §2, §8).

- :mod:`~marketplace.web.app`: ``create_app``, the factory; :mod:`~marketplace.web.wsgi`: gunicorn's entry.
- :mod:`~marketplace.web.deps`: the composition root, the typed dependencies every view takes.
- :mod:`~marketplace.web.transaction`: the request owns the transaction (commit or roll back, once).
- :mod:`~marketplace.web.errors`: domain errors → status codes and the one error shape.
- :mod:`~marketplace.web.guards`: input refused before any view runs (ids, JSON, NUL, body size).
- :mod:`~marketplace.web.forms`: what page forms share (schema-backed loading, errors on the form).
- :mod:`~marketplace.web.blueprints`: the one list of feature blueprints.
- :mod:`~marketplace.web.headers`, :mod:`~marketplace.web.health`, :mod:`~marketplace.web.ratelimit`,
  :mod:`~marketplace.web.apidoc`, :mod:`~marketplace.web.pagecache`, :mod:`~marketplace.web.server`.

Importing this package loads nothing: workers and CLI commands never pull Flask in.
"""
