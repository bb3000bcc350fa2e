"""How gunicorn serves the storefront: worker class, processes and threads, from the settings.

``WEB_WORKER_CLASS`` (``gthread`` by default, or ``sync``), ``WEB_WORKERS`` (processes, default 2) and
``WEB_THREADS`` (threads per process, default 8) are read wherever gunicorn is started —
``marketplace web``, ``marketplace run`` (``marketplace.local.run``) and the container (the same
command) — so one deployment is tuned in one place; ``marketplace web --workers/--threads/--worker-class``
override them for one run.

Why ``gthread`` stays the default: a photo upload waits for the bounded image pool
(:mod:`marketplace.media.pool`) in its request thread, and with more threads than
``IMAGE_WORKERS + IMAGE_QUEUE`` the process's other threads keep answering the catalogue meanwhile. With
``sync`` (one request at a time per process) each waiting upload holds a whole process: fine for a
read-mostly replica behind a router that sends uploads elsewhere, not as the only web service. The
storefront benchmark (bench/README.md) measures both.
"""

from __future__ import annotations

import sys

from marketplace.config import Settings

WORKER_CLASSES = ("gthread", "sync")


def check(settings: Settings, *, worker_class: str, threads: int) -> list[str]:
    """Problems of this gunicorn configuration, as sentences (empty: none)."""
    problems = []
    if worker_class not in WORKER_CLASSES:
        problems.append(f"WEB_WORKER_CLASS must be one of {', '.join(WORKER_CLASSES)}, got {worker_class!r}.")
    uploads = settings.image_workers + settings.image_queue
    if worker_class == "gthread" and threads <= uploads:
        problems.append(f"WEB_THREADS ({threads}) should be above IMAGE_WORKERS + IMAGE_QUEUE ({uploads}): "
                        "waiting photo uploads could occupy every thread of a process.")
    if worker_class == "sync":
        problems.append("WEB_WORKER_CLASS=sync: a photo upload holds a whole process while it waits "
                        "for the image pool (see marketplace.web.server).")
    return problems


def gunicorn_argv(settings: Settings, host: str, port: int, *, workers: int | None = None,
                  worker_class: str | None = None, threads: int | None = None) -> list[str]:
    """``python -m gunicorn ...`` without the app; explicit arguments win over the settings."""
    worker_class = worker_class or settings.web_worker_class
    workers = workers or settings.web_workers
    threads = threads or settings.web_threads
    argv = [sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}", "--workers", str(workers),
            "--worker-class", worker_class]
    if worker_class != "sync":  # gunicorn turns a sync worker with threads > 1 into gthread
        argv += ["--threads", str(threads)]
    return argv
