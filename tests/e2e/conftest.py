"""End-to-end fixtures: the whole system started by ``marketplace run``, as a user would start it.

``marketplace run`` is started in a new session (``start_new_session``), so every process it starts —
broker, gunicorn and its workers, relay, workers — shares that session id. "Nothing survived" is then a
precise question: does any process in that session still exist? It works even after the runner has
exited and its orphans have been reparented, which a walk of the parent-pid tree would miss.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 120.0  # generous for a loaded CI machine; a laptop is ready in ~10 s


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def session_processes(sid: int) -> dict[int, str]:
    """pid → command line of every process (zombies included) whose session id is ``sid``."""
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": state ppid pgrp session …
            if int(fields[3]) != sid:
                continue
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            found[int(entry.name)] = f"[{fields[0]}] {cmdline}"
        except (FileNotFoundError, ProcessLookupError, ValueError, IndexError):
            continue  # exited while we looked
    return found


def wait_for(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.25) -> Any:
    """Poll ``check`` until it returns something truthy (returned), or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def http(method: str, url: str, *, json_body: Any = None, token: str | None = None, timeout: float = 10.0) -> Response:
    """A tiny stdlib HTTP client (no extra test dependency); HTTP errors are returned, not raised."""
    data = None if json_body is None else json.dumps(json_body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310 - loopback URL
            return Response(resp.status, resp.read(), dict(resp.headers))
    except urllib.error.HTTPError as err:
        with err:
            return Response(err.code, err.read(), dict(err.headers))
    except OSError as err:
        return Response(0, str(err).encode())


@dataclass
class RunningSystem:
    proc: subprocess.Popen[bytes]
    log_path: Path
    var_dir: Path
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def processes(self) -> dict[int, str]:
        return session_processes(self.proc.pid)

    def logins(self) -> dict[str, tuple[str, str]]:
        """role → (e-mail, password), as printed in the banner."""
        found = re.findall(r"^\[run\]\s+(admin|artisan|buyer)\s+(\S+@\S+)\s+password: (.+)$", self.output(), re.M)
        return {role: (email, password.strip()) for role, email, password in found}


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSystem]:
    """``marketplace run`` on a free port with the embedded defaults (SQLite, embedded broker), ready."""
    var_dir = tmp_path_factory.mktemp("run") / "var"
    log_path = var_dir.parent / "run.log"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {
        "DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "SECRET_KEY", "SESSION_COOKIE_SECURE", "PUBLIC_BASE_URL",
        "MEDIA_STORAGE", "MEDIA_ROOT", "RATELIMIT_STORAGE_URI", "PROMOTION_CHANNELS", "PAYMENT_GATEWAY",
    }}
    env["VAR_DIR"] = str(var_dir)
    env["PAYOUT_HOLD_HOURS"] = "0"  # a delivered parcel is paid out at once (the payouts test waits for it)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "marketplace.cli", "run", "--port", str(port)],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    running = RunningSystem(proc, log_path, var_dir, port)
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while "Ctrl-C stops everything." not in running.output():
            if proc.poll() is not None:
                pytest.fail(f"marketplace run exited with {proc.returncode}:\n{running.tail()}"
                            + ("\n(no output: does `python -m marketplace.cli` call main()?)" if not running.output() else ""))
            if time.monotonic() > deadline:
                pytest.fail(f"marketplace run was not ready within {READY_TIMEOUT:.0f}s:\n{running.tail()}")
            time.sleep(0.25)
        yield running
    finally:
        _stop_for_good(running)


def _stop_for_good(running: RunningSystem) -> None:
    """Safety net (the tests stop the system themselves): nothing of this run may outlive the module."""
    if running.proc.poll() is None:
        running.proc.send_signal(signal.SIGTERM)
        try:
            running.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
    for pid in running.processes():
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if running.proc.poll() is None:
        running.proc.kill()
    running.proc.wait(timeout=10)


# --- Browser tests (Playwright driving Debian's Chromium; `playwright install` is never needed) ---------

DEBIAN_CHROMIUM = "/usr/bin/chromium"  # scripts/test.sh installs Debian's `chromium` there when it can
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-proxy-server",
    # Belt and braces with loopback_only(): no host name resolves, so nothing but 127.0.0.1 is reachable.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


def chromium_path() -> Path:
    """The browser binary: Debian's, unless ``CHROMIUM_PATH`` names another (or, in a test, a missing one)."""
    return Path(os.environ.get("CHROMIUM_PATH") or DEBIAN_CHROMIUM)


def _browser_unavailable(reason: str) -> None:
    """Skip loudly — or fail, when the run must include the browser test: under CI (``CI=true``), where a
    green run without it would be a lie, or when asked to (``REQUIRE_BROWSER_TESTS=1``)."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but the browser test cannot run: {reason}")
    if os.environ.get("REQUIRE_BROWSER_TESTS") == "1":
        pytest.fail(f"REQUIRE_BROWSER_TESTS=1 but {reason}")
    pytest.skip(f"BROWSER TEST NOT RUN: {reason}")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """A headless Chromium (``playwright.sync_api.Browser``) for the module; skipped when none is installed
    (failed under CI)."""
    executable = chromium_path()
    if not os.access(executable, os.X_OK):
        _browser_unavailable(f"no Chromium at {executable}; install Debian's chromium to run the browser test "
                             "(apt-get install chromium; `make test` does it when run as root)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _browser_unavailable("playwright is not installed; `.venv/bin/pip install -e '.[test]'` "
                             "(never `playwright install`: the test uses the system Chromium)")
    from tests.e2e.audit import start_checker
    start_checker()  # the page audit's HTML checker warms up while the system starts (in the background)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS, timeout=30_000)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def crowd(chromium: Any, system: RunningSystem, tmp_path: Path) -> Iterator[Any]:
    """The people of ``test_browser`` (``People``: a browser context each), closed after the test."""
    from tests.e2e.test_browser import People  # imported here: test_browser imports this module

    people = People(chromium, system, tmp_path)
    try:
        yield people
    finally:
        people.close()


def loopback_only(context: Any, base_url: str, blocked: list[str] | None = None) -> list[str]:
    """Abort every request of ``context`` that is not for ``base_url``; they are appended to ``blocked``
    (a new list unless given, so several contexts can share one), which is returned."""
    blocked = [] if blocked is None else blocked

    def guard(route: Any) -> None:
        url = route.request.url
        if url == base_url or url.startswith(base_url + "/"):
            route.continue_()
        else:
            blocked.append(url)
            route.abort("blockedbyclient")

    context.route("**/*", guard)
    return blocked
