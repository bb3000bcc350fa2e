"""The ``marketplace run`` command: prepare, start, supervise and stop everything, in that order.

This is the wiring, and the only module here that knows what the system is made of: the children are
gunicorn, the relay and the workers, started exactly as the scaled-out deployment starts them
(``python -m marketplace.cli relay`` …), so what works here works there. Before them it prepares
``VAR_DIR`` (``environment``), applies migrations, re-queues the outbox for the empty embedded broker
(``replay``) and seeds the demo catalogue (``demo``); then ``supervisor`` runs the children until
Ctrl-C. The embedded Kafka-protocol broker (unless ``KAFKA_BOOTSTRAP_SERVERS`` is set) is one of those
children, started first and stopped last: like any other child, if it dies it is restarted with
backoff on the same port, and that is logged. It comes back empty (in-memory storage); the relay
notices the lost topics, re-creates them and re-sends what the consumers have not received
(``events.recovery``), and the workers read the re-created topics from their start (``workers.rejoin``).
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from pathlib import Path
from typing import IO, Any

import click

from marketplace.config import remove_local_broker, write_local_broker
from marketplace.local.demo import demo_logins
from marketplace.local.environment import display_host, prepare_environment
from marketplace.local.replay import replay_outbox
from marketplace.local.supervisor import ChildSpec, Supervisor

WORKERS = ("payments", "promotion", "payouts", "notifications")


class _Stop(BaseException):
    """Raised by the signal handler while the run is being prepared (there is nothing to supervise yet)."""


def child_specs(host: str, port: int, var_dir: Path) -> list[ChildSpec]:
    import gunicorn

    from marketplace.web import server as webserver
    from marketplace.config import Settings

    # WEB_WORKER_CLASS / WEB_WORKERS / WEB_THREADS as ``marketplace web`` reads them: by default threaded
    # workers, so a photo upload waits for the bounded image pool (marketplace.media.pool) in one thread
    # while the others keep answering; 8 threads > IMAGE_WORKERS + IMAGE_QUEUE (5 by default).
    web = [*webserver.gunicorn_argv(Settings.from_env(), host, port), "--graceful-timeout", "10"]
    if tuple(gunicorn.version_info[:2]) >= (25, 1):  # one control socket per run, not one per user
        web += ["--control-socket", str(var_dir / "gunicorn.ctl")]
    cli = [sys.executable, "-m", "marketplace.cli"]
    return [
        ChildSpec("web", [*web, "marketplace.web.wsgi:app"]),
        ChildSpec("relay", [*cli, "relay"], "relay"),
        ChildSpec("scheduler", [*cli, "scheduler", "--interval", "10"], "scheduler"),
        *(ChildSpec(w, [*cli, "worker", w], "worker") for w in WORKERS),
    ]


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn's listener does
        try:
            sock.bind((host, port))
            return True
        except OSError:
            return False


def run_all(group: click.Group, host: str, port: int, out: IO[str] = sys.stdout) -> int:
    """Prepare, start, supervise and stop everything; the exit code of ``marketplace run``."""
    from events.broker import EmbeddedBroker, free_port
    from marketplace.cli import upgrade_database

    t0 = time.monotonic()
    env = prepare_environment(dict(os.environ), host, port)
    var_dir = Path(env["VAR_DIR"])
    url = f"http://{display_host(host)}:{port}/"
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
            broker = EmbeddedBroker(port=free_port(), log_path=str(var_dir / "broker.log"))
            env["KAFKA_BOOTSTRAP_SERVERS"] = broker.bootstrap_servers
            env.setdefault("RUST_LOG", "warn")
            sup.add(ChildSpec("broker", broker.command(), stop_last=True, log_path=broker.log_path))
            sup.say(f"embedded broker at {env['KAFKA_BOOTSTRAP_SERVERS']} (log {var_dir / 'broker.log'})")
            # For `marketplace events status` & co. run beside us; the broker restarts on the same port.
            write_local_broker(var_dir, broker.bootstrap_servers)
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
            remove_local_broker(var_dir)
            if sup.started("broker"):
                sup.say("embedded broker stopped")
        sup.say("stopped" if code == 0 else f"stopped (exit code {code})")
    return code


def register(main_group: click.Group) -> None:
    """Add ``marketplace run`` to the command group (``marketplace.cli.COMMAND_MODULES``)."""

    @main_group.command("run")
    @click.option("--host", default="127.0.0.1", show_default=True, help="Address gunicorn binds to.")
    @click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
    def run(host: str, port: int) -> None:
        """Everything on one machine: broker, migrations, demo data, web, relay and the workers."""
        sys.exit(run_all(main_group, host, port))
