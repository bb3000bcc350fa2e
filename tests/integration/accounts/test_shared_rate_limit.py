"""Rate limits shared through Redis, as in production where several gunicorn workers serve the app.

With ``memory://`` each process counts on its own, so N workers would allow N times the limit. Redis is
used only when ``RATELIMIT_STORAGE_URI`` says so; it is never needed by the embedded default (whose
``database://`` storage tests/unit/accounts/test_rate_limits.py checks the same way).
"""

from __future__ import annotations

import os
import socket
import uuid

import pytest

from tests.rate_limit_probe import post_from_processes

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
def client_addr():
    """A client address of this test only, so runs sharing the Redis do not count each other's hits;
    its keys are deleted afterwards (nothing else in the database is touched)."""
    import redis

    n = uuid.uuid4().int
    addr = f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"
    yield addr
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"*{addr}*"):
        client.delete(key)
    client.close()


def test_two_app_processes_share_one_login_limit(settings, client_addr):
    shared = {"database_url": settings.database_url, "secret_key": "test-secret-key", "testing": True,
              "ratelimit_storage_uri": REDIS_URL, "login_rate_limit": "3 per minute"}
    results = post_from_processes(shared, processes=2, attempts=3, path="/api/v1/auth/token",
                                  body={"email": "nobody@example.id", "password": "whatever-pass"}, addr=client_addr)
    codes = [c for r in results for c in r]
    # Three attempts in total across both "workers", then both refuse.
    assert codes.count(401) == 3 and codes.count(429) == 3, results
