"""Rate limits shared through Redis, as in production where several gunicorn workers serve the app.

With ``memory://`` each process counts on its own, so N workers would allow N times the limit. Redis is
used only when ``RATELIMIT_STORAGE_URI`` says so; it is never needed by the embedded default.
"""

from __future__ import annotations

import os
import socket

import pytest

from marketplace import create_app

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_answers() -> bool:
    host_port = REDIS_URL.split("//", 1)[1].split("/", 1)[0]
    host, _, port = host_port.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not _redis_answers(), reason=f"no Redis at {REDIS_URL} (only production deployments need it)"),
]


@pytest.fixture
def empty_redis_db():
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield
    client.flushdb()
    client.close()


def test_two_app_processes_share_one_login_limit(settings, empty_redis_db):
    shared = settings.with_overrides(ratelimit_storage_uri=REDIS_URL, login_rate_limit="3 per minute")
    apps = [create_app(shared), create_app(shared)]
    try:
        clients = [a.test_client() for a in apps]
        body = {"email": "nobody@example.id", "password": "whatever-pass"}
        codes = [clients[i % 2].post("/api/v1/auth/token", json=body).status_code for i in range(5)]
        # Three attempts in total across both "workers", then both refuse.
        assert codes == [401, 401, 401, 429, 429]
    finally:
        for a in apps:
            a.extensions["db"].dispose()
