"""``marketplace run``: the whole system on one machine, on the embedded default (ARCHITECTURE.md §6).

One command a newcomer can start, and stop with Ctrl-C. It prepares ``VAR_DIR`` (SQLite file, media, a
persistent ``SECRET_KEY``), starts the embedded Kafka-protocol broker unless ``KAFKA_BOOTSTRAP_SERVERS``
is set, applies migrations, seeds the demo catalogue into a database without listings, then supervises
gunicorn, the relay and the three workers as child processes, started exactly as the scaled-out
deployment starts them (``python -m marketplace.cli relay`` …), so what works here works there.

Why a hand-written supervisor rather than honcho or supervisord: it is one screen of code, needs nothing
installed, and knows our rules. Web failing before it is ready ends the run (nothing works without it);
any child dying later is restarted with exponential backoff (the outbox and the inbox make a restart of
the relay or a worker harmless); shutdown is SIGTERM, a grace period, then SIGKILL of each child's whole
process group, so no gunicorn worker outlives its master.

It is single-threaded on purpose: one ``select`` loop pumps every child's output (a chatty child never
blocks on a full pipe) and handles exits, restarts and signals. Every child is forked by the main thread,
which is what makes Linux's parent-death signal reliable: if ``marketplace run`` itself is SIGKILLed, its
children get SIGTERM instead of lingering on their ports.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import secrets
import selectors
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import click

GRACE_SECONDS = 15.0  # SIGTERM → SIGKILL; gunicorn's own --graceful-timeout (10 s) fits inside
READY_TIMEOUT = 90.0  # web must answer /readyz 200 within this, or the run is abandoned
BACKOFF_MAX = 30.0
STABLE_AFTER = 60.0  # a child that ran this long before dying starts its backoff again at 1 s
WORKERS = ("payments", "promotion", "payouts")


class _Stop(BaseException):
    """Raised by the signal handler while the run is being prepared (there is nothing to supervise yet)."""


@dataclass
class ChildSpec:
    name: str
    argv: list[str]
    command: str = ""  # the ``marketplace`` sub-command it needs ("" for gunicorn)


@dataclass
class Child:
    spec: ChildSpec
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    failures: int = 0
    next_start: float | None = None


@dataclass
class _Stream:
    """One child's merged stdout/stderr pipe; an incomplete last line waits for its newline."""

    prefix: str
    pipe: IO[bytes]
    buf: bytes = field(default=b"")


def child_specs(host: str, port: int, var_dir: Path) -> list[ChildSpec]:
    import gunicorn

    web = [sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}", "--workers", "2",
           "--graceful-timeout", "10"]
    if tuple(gunicorn.version_info[:2]) >= (25, 1):  # one control socket per run, not one per user
        web += ["--control-socket", str(var_dir / "gunicorn.ctl")]
    cli = [sys.executable, "-m", "marketplace.cli"]
    return [
        ChildSpec("web", [*web, "marketplace.wsgi:app"]),
        ChildSpec("relay", [*cli, "relay"], "relay"),
        *(ChildSpec(w, [*cli, "worker", w], "worker") for w in WORKERS),
    ]


def _parent_death_signal() -> Any:
    """A ``preexec_fn`` asking Linux to SIGTERM the child when its parent dies (None elsewhere).

    libc is resolved here, before any fork, so between fork and exec the child only calls loaded C code.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1
    return lambda: prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn's listener does
        try:
            sock.bind((host, port))
            return True
        except OSError:
            return False


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _probe(url: str) -> tuple[int | None, str]:
    try:
        with urllib.request.urlopen(url, timeout=2.0) as resp:  # noqa: S310 - our own loopback URL
            return resp.status, resp.read(300).decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.read(300).decode("utf-8", "replace")
    except (OSError, ValueError) as err:
        return None, str(err)


class Supervisor:
    """Starts, watches, restarts and stops the children, and prefixes their output: ``[web] …``."""

    def __init__(self, specs: list[ChildSpec], ready_url: str, out: IO[str]):
        self.children = [Child(s) for s in specs]
        self.env: dict[str, str] = {}
        self.ready_url = ready_url
        self.out = out
        self.selector = selectors.DefaultSelector()
        self.stop_requests = 0  # incremented by the signal handler; a second one skips the grace period
        self.ready = False
        self._preexec = _parent_death_signal()
        self._width = max(len(s.name) for s in specs) + 3

    def say(self, text: str, name: str = "run") -> None:
        for line in text.splitlines() or [""]:
            self.out.write(f"[{name}]".ljust(self._width) + line + "\n")
        self.out.flush()

    def on_ready(self) -> None:
        """Called once, when /readyz first answers 200 (``run_all`` prints the URL and logins)."""

    def _pump(self, timeout: float) -> None:
        for key, _ in self.selector.select(timeout):
            stream: _Stream = key.data
            try:
                data = os.read(key.fd, 65536)
            except BlockingIOError:
                continue
            stream.buf += data
            *lines, stream.buf = stream.buf.split(b"\n")
            if not data:  # EOF: the child and everything it forked have closed the pipe
                lines, stream.buf = ([stream.buf] if stream.buf else []), b""
                self.selector.unregister(stream.pipe)
                stream.pipe.close()
            for line in lines:
                self.say(line.decode("utf-8", "replace").rstrip("\r"), stream.prefix)

    def spawn(self, child: Child) -> None:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            child.spec.argv, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, preexec_fn=self._preexec,
            process_group=0,  # Ctrl-C reaches only us; we stop the children, then the broker
        )
        assert proc.stdout is not None
        os.set_blocking(proc.stdout.fileno(), False)
        self.selector.register(proc.stdout, selectors.EVENT_READ, _Stream(child.spec.name, proc.stdout))
        child.proc, child.started_at, child.next_start = proc, time.monotonic(), None
        self.say(f"started {child.spec.name} (pid {proc.pid})")

    def _reap(self, child: Child) -> int | None:
        """The exit code if the child has ended (reaped, and its process group cleared), else None."""
        if child.proc is None or child.proc.poll() is None:
            return None
        code = child.proc.returncode
        _kill_group(child.proc.pid)  # grandchildren (gunicorn's workers) must not outlive their leader
        child.proc = None
        return code

    def _schedule_restart(self, child: Child, code: int) -> None:
        now = time.monotonic()
        if now - child.started_at >= STABLE_AFTER:
            child.failures = 0
        delay = min(BACKOFF_MAX, 2.0 ** child.failures)
        child.failures += 1
        child.next_start = now + delay
        self.say(f"{child.spec.name} exited with code {code}; restarting in {delay:.0f}s")

    def run(self) -> int:
        """Supervise until a stop signal (0), or until web fails to come up (1)."""
        for child in self.children:
            self.spawn(child)
        deadline, next_probe = time.monotonic() + READY_TIMEOUT, 0.0
        while not self.stop_requests:
            self._pump(0.2)
            for child in self.children:
                code = self._reap(child)
                if code is not None and not self.stop_requests:
                    if child.spec.name == "web" and not self.ready:
                        self.say(f"web exited with code {code} before it was ready; stopping everything")
                        return 1
                    self._schedule_restart(child, code)
                if child.proc is None and child.next_start is not None and time.monotonic() >= child.next_start:
                    self.spawn(child)
            if not self.ready and time.monotonic() >= next_probe:
                next_probe = time.monotonic() + 0.25
                status, body = _probe(self.ready_url)
                if status == 200:
                    self.ready = True
                    self.on_ready()
                elif time.monotonic() > deadline:
                    self.say(f"web did not become ready within {READY_TIMEOUT:.0f}s: {status} {body}")
                    return 1
        return 0

    def shutdown(self) -> None:
        """SIGTERM every child, keep pumping their output, SIGKILL what is left after the grace period."""
        for child in self.children:
            if child.proc is not None:
                self.say(f"stopping {child.spec.name}")
                child.proc.terminate()
        deadline, stops_seen = time.monotonic() + GRACE_SECONDS, self.stop_requests
        while any(c.proc is not None for c in self.children):
            self._pump(0.1)
            for child in self.children:
                self._reap(child)
            if self.stop_requests > stops_seen:  # Ctrl-C again: no more patience
                deadline = 0.0
            for child in self.children:
                if child.proc is not None and time.monotonic() >= deadline:
                    self.say(f"{child.spec.name} did not stop in time; killing it")
                    _kill_group(child.proc.pid)
                    child.proc.wait()
                    child.proc = None
        drain_until = time.monotonic() + 1.0  # the children's last words, up to their pipes' EOF
        while self.selector.get_map() and time.monotonic() < drain_until:
            self._pump(0.05)
        for key in list(self.selector.get_map().values()):
            key.data.pipe.close()
        self.selector.close()


def persistent_secret_key(var_dir: Path) -> str:
    """The key in ``var/secret_key``, created once (mode 0600), so sessions survive a restart."""
    path = var_dir / "secret_key"
    if path.exists() and path.read_text(encoding="ascii").strip():
        return path.read_text(encoding="ascii").strip()
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    return key


def _display_host(host: str) -> str:
    return "127.0.0.1" if host in ("", "0.0.0.0") else host  # noqa: S104 - a URL to open, not a bind


def prepare_environment(env: dict[str, str], host: str, port: int) -> dict[str, str]:
    """The children's environment: absolute ``VAR_DIR``, the resolved database, a persistent secret key."""
    from marketplace.config import Settings

    env = dict(env)
    var_dir = Path(env.get("VAR_DIR") or "var").resolve()
    var_dir.mkdir(parents=True, exist_ok=True)
    env["VAR_DIR"] = str(var_dir)
    settings = Settings.from_env(env)
    env["DATABASE_URL"] = settings.database_url
    if settings.media_storage == "local":
        Path(settings.media_root).mkdir(parents=True, exist_ok=True)
    if not settings.secret_key:
        env["SECRET_KEY"] = persistent_secret_key(var_dir)
    env.setdefault("SESSION_COOKIE_SECURE", "false")  # the local URL is plain http
    env.setdefault("PUBLIC_BASE_URL", f"http://{_display_host(host)}:{port}")
    env["PYTHONUNBUFFERED"] = "1"  # line by line into the prefixed log, not in 8 KiB lumps
    return env


def demo_logins(env: dict[str, str], say: Any) -> list[tuple[str, str, str]]:
    """Seed the demo catalogue into a database without listings; return ``(role, e-mail, password)``.

    The demo admin's password is random, but kept in ``var/demo_admin_password`` so every later run can
    print it again (while it still matches the admin's password in the database).
    """
    from sqlalchemy import func, select

    from marketplace import seed
    from marketplace.accounts.models import User
    from marketplace.accounts.services import verify_password
    from marketplace.config import Settings
    from marketplace.db import Database
    from marketplace.listings.models import Listing

    settings = Settings.from_env(env)
    pw_file = Path(env["VAR_DIR"]) / "demo_admin_password"
    password = pw_file.read_text(encoding="utf-8").strip() if pw_file.exists() else ""
    with Database(settings.database_url) as database:
        with database.new_session() as session:
            listings = session.scalar(select(func.count(Listing.id)))
            admin = session.scalar(select(User).where(User.email == seed.ADMIN_EMAIL))
            admin_hash = admin.password_hash if admin is not None else None
        if not listings:
            if not password:
                password = secrets.token_urlsafe(12)
                fd = os.open(pw_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(password + "\n")
            created = seed.seed_demo(settings, database.session_factory, admin_password=password)["created"]
            say(f"demo data seeded: {created['users']} users, {created['shops']} shops, "
                f"{created['listings']} listings")
        elif admin_hash is None:
            say("the database has listings but no demo accounts: not seeding")
            return []
        elif not password or not verify_password(admin_hash, password):
            password = f"(unknown here; set one: marketplace create-admin {seed.ADMIN_EMAIL} --password ...)"
    return [
        ("admin", seed.ADMIN_EMAIL, password),
        ("artisan", f"{seed.ARTISANS[0].key}@{seed.DEMO_DOMAIN}", seed.DEMO_PASSWORD),
        ("buyer", seed.BUYER_EMAIL, seed.DEMO_PASSWORD),
    ]


def replay_outbox(database_url: str) -> int:
    """Queue every sent outbox event again: the embedded broker keeps topics in memory only, so events
    sent but not yet consumed when it last stopped would otherwise never reach their workers."""
    from datetime import datetime, timezone

    from events.outbox import mark_for_replay
    from marketplace.db import Database

    with Database(database_url) as database, database.new_session() as session:
        count = mark_for_replay(session, datetime(1970, 1, 1, tzinfo=timezone.utc))
        session.commit()
    return count


def run_all(group: click.Group, host: str, port: int, out: IO[str] = sys.stdout) -> int:
    """Prepare, start, supervise and stop everything; the exit code of ``marketplace run``."""
    from events.broker import EmbeddedBroker
    from marketplace.cli import upgrade_database

    t0 = time.monotonic()
    env = prepare_environment(dict(os.environ), host, port)
    var_dir = Path(env["VAR_DIR"])
    url = f"http://{_display_host(host)}:{port}/"
    specs = [s for s in child_specs(host, port, var_dir) if not s.command or s.command in group.commands]
    sup = Supervisor(specs, url + "readyz", out)
    for missing in {s.command for s in child_specs(host, port, var_dir)} - {s.command for s in specs}:
        sup.say(f"`marketplace {missing}` is not in this build: skipped")
    broker: EmbeddedBroker | None = None
    preparing = True

    def _on_signal(signum: int, _frame: Any) -> None:
        sup.stop_requests += 1
        if preparing:
            raise _Stop(signum)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _on_signal)

    def _banner() -> None:
        sup.say(f"Pasar Kreatif is ready at {url} (started in {time.monotonic() - t0:.1f}s)")
        if logins:
            sup.say("demo logins:")
            for role, email, password in logins:
                sup.say(f"  {role:<8} {email}  password: {password}")
        sup.say("Ctrl-C stops everything.")

    code = 0
    try:
        sup.say(f"state in {var_dir} (database {env['DATABASE_URL']})")
        if not _port_free(host, port):
            sup.say(f"port {port} on {host} is already in use: choose another with --port")
            code = 1
            return code
        if env.get("KAFKA_BOOTSTRAP_SERVERS"):
            sup.say(f"using the broker at {env['KAFKA_BOOTSTRAP_SERVERS']}")
        else:
            broker = EmbeddedBroker(data_dir=str(var_dir / "broker"), log_path=str(var_dir / "broker.log"))
            env["KAFKA_BOOTSTRAP_SERVERS"] = broker.start()
            sup.say(f"embedded broker at {env['KAFKA_BOOTSTRAP_SERVERS']} (log {var_dir / 'broker.log'})")
        upgrade_database(env["DATABASE_URL"])
        sup.say("migrations applied")
        if broker is not None:
            replayed = replay_outbox(env["DATABASE_URL"])
            if replayed:
                sup.say(f"embedded broker starts empty: {replayed} past events queued for re-publishing "
                        "(consumers skip the ones they already handled)")
        logins = demo_logins(env, sup.say)
        sup.env = env
        sup.on_ready = _banner  # type: ignore[method-assign]
        preparing = False
        code = sup.run()
    except _Stop:
        code = 0
    finally:
        preparing = False
        sup.shutdown()
        if broker is not None:
            broker.stop()
            sup.say("embedded broker stopped")
        sup.say("stopped" if code == 0 else f"stopped (exit code {code})")
    return code


def register(main_group: click.Group) -> None:
    """Add ``marketplace run`` to the command group (``marketplace.cli.COMMAND_MODULES``)."""

    @main_group.command("run")
    @click.option("--host", default="127.0.0.1", show_default=True, help="Address gunicorn binds to.")
    @click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
    def run(host: str, port: int) -> None:
        """Everything on one machine: broker, migrations, demo data, web, relay and the three workers."""
        sys.exit(run_all(main_group, host, port))
