"""The worker declarations, the runner's options and the handler's context, without a broker or a database."""

from __future__ import annotations

import ast
import dataclasses
import threading
from datetime import datetime, timezone
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from events.catalogue import all_event_types
from marketplace.config import Settings
from workers.cli import worker
from workers.runner import ConsumerRunner, RunnerOptions
from workers.subscriptions import WORKERS, declared
from workers.worker import HandlerContext, Worker

WORKERS_DIR = Path(__file__).resolve().parents[3] / "workers"
NOWHERE = "127.0.0.1:1"  # a broker address nothing listens on: building a runner must not connect


def no_session() -> Any:
    pytest.fail("building a runner or a context must not open a session")


class CountingFactory:
    """A worker's ``build_dependencies`` that returns a fake gateway and counts its calls."""

    def __init__(self) -> None:
        self.calls: list[Settings] = []
        self.built = {"channel": object()}

    def __call__(self, settings: Settings) -> dict[str, Any]:
        self.calls.append(settings)
        return self.built


@pytest.mark.parametrize("name", sorted(WORKERS))
def test_every_worker_declares_subscriptions_handlers_and_a_dependency_factory(name):
    worker = declared(name)
    assert worker.name == name and worker.topics
    assert set(worker.handlers) <= set(all_event_types())
    assert all(callable(h) for h in worker.handlers.values())
    built = dict(worker.build_dependencies(Settings()))
    if name == "payments":  # the PaymentGateway chosen by PAYMENT_GATEWAY (sandbox by default)
        from marketplace.payments.gateways import SandboxGateway

        assert set(built) == {"payment_gateway"} and isinstance(built["payment_gateway"], SandboxGateway)
    elif name == "notifications":  # the Mailer chosen by SMTP_URL (files under var/mail when unset), and
        from marketplace.notifications.mailer import FileMailer  # no WhatsApp sender (WHATSAPP_PROVIDER=off)

        assert set(built) == {"mailer", "whatsapp"} and isinstance(built["mailer"], FileMailer)
        assert built["whatsapp"] is None
    elif name == "payouts":  # the PayoutProvider chosen by PAYOUT_PROVIDER (sandbox by default)
        from marketplace.payouts.sandbox import SandboxPayoutProvider

        assert set(built) == {"payout_provider"} and isinstance(built["payout_provider"], SandboxPayoutProvider)
    elif name == "promotion":  # one client per channel in PROMOTION_CHANNELS (the feed always), and the
        from marketplace.media.storage import LocalStorage  # media storage the share kits are drawn to
        from workers.promotion.channels.feed import FeedChannel

        assert set(built) == {"channels", "media_storage"} and list(built["channels"]) == ["feed"]
        assert isinstance(built["channels"]["feed"], FeedChannel)
        assert isinstance(built["media_storage"], LocalStorage)
    else:
        assert built == {}  # the gateways arrive with their issues


def test_the_factory_runs_once_and_every_context_shares_its_gateways(monkeypatch):
    factory = CountingFactory()
    monkeypatch.setattr(import_module(WORKERS["promotion"]), "build_dependencies", factory)
    settings = Settings(public_base_url="https://pasar.test")
    now = datetime(2025, 1, 2, 3, 4, tzinfo=timezone.utc)

    runner = ConsumerRunner(declared("promotion"), settings=settings, session_factory=no_session,
                            bootstrap_servers=NOWHERE, clock=lambda: now)
    session = object()
    first = runner.context(session, attempt=1)  # type: ignore[arg-type]
    retry = runner.context(object(), attempt=2)  # type: ignore[arg-type]

    assert factory.calls == [settings]
    assert runner.consumer == "promotion" and "listing.approved" in runner.handlers
    assert first.session is session and first.settings is settings and first.clock() == now
    assert first.gateway("channel") is retry.gateway("channel") is runner.dependencies["channel"]
    assert (first.consumer, first.attempt, retry.attempt) == ("promotion", 1, 2)


def test_a_context_is_read_only_and_names_what_its_worker_did_not_declare():
    runner = ConsumerRunner(Worker("payouts", ("orders",), {}), session_factory=no_session,
                            bootstrap_servers=NOWHERE, settings=Settings(), dependencies={"payout_provider": object()})
    ctx = runner.context(object())  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.clock = datetime.now  # type: ignore[misc]
    with pytest.raises(TypeError):
        ctx.gateways["payment_gateway"] = object()  # type: ignore[index]
    with pytest.raises(LookupError, match=r"payouts has no gateway 'payment_gateway' \(declared: payout_provider\)"):
        ctx.gateway("payment_gateway")


def test_background_tasks_run_beside_the_consumer_and_stop_with_it(monkeypatch):
    """The payments worker declares its sandbox webhook delivery; ``run()`` starts it and, on the way out
    (stop event or not), stops it and waits for it."""
    payments = declared("payments")
    settings = Settings(secret_key="shared-with-the-web-app", public_base_url="http://127.0.0.1:8123")
    [loop] = payments.background_tasks(settings, payments.build_dependencies(settings))
    assert loop.url == "http://127.0.0.1:8123/webhooks/stripe"
    assert declared("payouts").background_tasks(Settings(), {}) == []

    seen: list[Any] = []
    started = threading.Event()

    def task(session_factory: Any, stop: threading.Event) -> None:
        seen.append(session_factory)
        started.set()
        stop.wait(10)
        seen.append("stopped")

    with_task = Worker("payments", ("orders",), {}, background_tasks=lambda _settings, _dependencies: [task])
    runner = ConsumerRunner(with_task, session_factory=no_session, bootstrap_servers=NOWHERE, settings=Settings())
    monkeypatch.setattr(runner, "_consume", lambda: started.wait(5))  # the consumer "ends" (a crash, say)
    stop = threading.Event()
    runner.run(stop)
    assert stop.is_set() and seen == [no_session, "stopped"]


def test_runner_options_default_to_production_values_and_refuse_nonsense():
    options = RunnerOptions()
    assert (options.group_id, options.max_attempts, options.session_timeout_ms) == (None, 3, 10_000)
    # a member out of a stable group rejoins after the max poll interval plus two sessions, unless told
    assert options.rejoin_seconds == options.max_poll_interval + 20
    short = RunnerOptions(session_timeout_ms=6_000, consumer_overrides={"max_poll_interval_ms": 10_000})
    assert (short.max_poll_interval, short.rejoin_seconds) == (10, 22)
    assert RunnerOptions(rejoin_after=5).rejoin_seconds == 5
    with pytest.raises(ValueError):
        RunnerOptions(max_attempts=0)
    runner = ConsumerRunner(Worker("payouts", ("orders",), {}), session_factory=no_session,
                            bootstrap_servers=NOWHERE, settings=Settings())
    assert runner.options == options and runner.chunks.commit_interval == options.commit_interval


def test_the_default_clock_is_aware_utc():
    ctx = HandlerContext(session=object(), settings=Settings())  # type: ignore[arg-type]
    assert ctx.clock().utcoffset() == timezone.utc.utcoffset(None)
    assert dict(ctx.gateways) == {}


def test_the_worker_command_builds_the_dependencies_once_from_the_environment(monkeypatch, tmp_path):
    factory = CountingFactory()
    monkeypatch.setattr(import_module(WORKERS["payouts"]), "build_dependencies", factory)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'worker.db'}")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", NOWHERE)
    monkeypatch.setattr("events.cli.stop_on_signals", threading.Event)  # leave pytest's signal handlers alone
    monkeypatch.setattr("events.cli.configure_logging", lambda: None)
    ran: list[ConsumerRunner] = []
    monkeypatch.setattr(ConsumerRunner, "run", lambda self, stop=None: ran.append(self))

    result = CliRunner().invoke(worker, ["payouts", "--max-attempts", "5"])

    assert result.exit_code == 0, result.output
    (runner,) = ran
    assert [s.kafka_bootstrap_servers for s in factory.calls] == [NOWHERE]
    assert runner.settings is factory.calls[0] and dict(runner.dependencies) == factory.built
    assert (runner.consumer, runner.topics) == ("payouts", ["orders", "payouts"])
    assert runner.options == RunnerOptions(max_attempts=5)


def _python_files() -> list[Path]:
    return sorted(WORKERS_DIR.rglob("*.py"))


def test_no_worker_module_imports_flask():
    offenders = []
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0].startswith("flask")]
    assert offenders == []


def test_handlers_never_commit_or_roll_back():
    """The runner's one commit covers effect + inbox row (it also refuses a handler's commit at run time)."""
    calls = []
    for path in sorted(WORKERS_DIR.glob("*/handlers.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Attribute) and node.attr in ("commit", "rollback"):
                calls.append(f"{path.parent.name}/handlers.py:{node.lineno}")
    assert calls == []
