"""gunicorn entry point: ``gunicorn marketplace.web.wsgi:app``.

Everything built by then (modules, mappers, schemas, the app) lives as long as the worker, so it is
moved out of the garbage collector's reach (``gc.freeze``): a full collection no longer walks the
hundreds of thousands of objects of the loaded code every few hundred requests, only what requests
left behind since. Measured on checkouts (issue #24, bench/README.md): 0.32 → 0.10 ms of collection
per checkout. Nothing is kept alive that would have been freed: these objects are referenced by the
modules for the life of the process anyway.
"""

import gc

from marketplace.web.app import create_app

app = create_app()
gc.freeze()
