"""gunicorn's worker class, processes and threads come from WEB_WORKER_CLASS / WEB_WORKERS / WEB_THREADS."""

from __future__ import annotations

from pathlib import Path

from marketplace.web import server as webserver
from marketplace.config import Settings


def test_defaults_are_threaded_workers_with_room_for_waiting_uploads():
    settings = Settings.from_env({})
    argv = webserver.gunicorn_argv(settings, "127.0.0.1", 8000)
    assert argv[argv.index("--worker-class") + 1] == "gthread"
    assert argv[argv.index("--workers") + 1] == "2" and argv[argv.index("--threads") + 1] == "8"
    assert webserver.check(settings, worker_class="gthread", threads=8) == []


def test_environment_and_options_choose_them(monkeypatch):
    settings = Settings.from_env({"WEB_WORKER_CLASS": "sync", "WEB_WORKERS": "3", "WEB_THREADS": "4"})
    argv = webserver.gunicorn_argv(settings, "0.0.0.0", 8000)
    assert argv[argv.index("--worker-class") + 1] == "sync" and argv[argv.index("--workers") + 1] == "3"
    assert "--threads" not in argv  # gunicorn would silently make sync with threads gthread
    assert any("upload" in p for p in webserver.check(settings, worker_class="sync", threads=1))
    argv = webserver.gunicorn_argv(settings, "0.0.0.0", 8000, worker_class="gthread", threads=12, workers=1)
    assert argv[argv.index("--threads") + 1] == "12" and argv[argv.index("--workers") + 1] == "1"
    assert webserver.check(settings, worker_class="gthread", threads=5)  # not above IMAGE_WORKERS + IMAGE_QUEUE
    assert webserver.check(settings, worker_class="gevent", threads=8)


def test_marketplace_run_starts_gunicorn_with_them(monkeypatch):
    from marketplace.local.run import child_specs

    monkeypatch.setenv("WEB_WORKERS", "3")
    monkeypatch.setenv("WEB_THREADS", "10")
    web = child_specs("127.0.0.1", 8000, Path("/tmp"))[0].argv
    assert web[web.index("--workers") + 1] == "3" and web[web.index("--threads") + 1] == "10"
