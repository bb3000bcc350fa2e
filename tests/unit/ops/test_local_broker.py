"""``marketplace run`` leaves its embedded broker's address in VAR_DIR; commands run beside it use it."""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner

from events.status import group_for
from marketplace.cli import make_cli
from marketplace.config import (
    Settings, local_broker_path, read_local_broker, remove_local_broker, write_local_broker,
)


def test_the_address_written_by_a_run_is_used_when_the_variable_is_unset(tmp_path):
    write_local_broker(tmp_path, "127.0.0.1:45678")
    assert json.loads(local_broker_path(tmp_path).read_text())["bootstrap_servers"] == "127.0.0.1:45678"
    assert Settings.from_env({"VAR_DIR": str(tmp_path)}).effective_bootstrap() == "127.0.0.1:45678"
    explicit = {"VAR_DIR": str(tmp_path), "KAFKA_BOOTSTRAP_SERVERS": "kafka:9092"}
    assert Settings.from_env(explicit).effective_bootstrap() == "kafka:9092"
    assert Settings.from_env({"VAR_DIR": str(tmp_path)}).kafka_bootstrap_servers == ""  # the setting itself is not changed
    remove_local_broker(tmp_path)
    assert Settings.from_env({"VAR_DIR": str(tmp_path)}).effective_bootstrap() == ""
    remove_local_broker(tmp_path)  # a second clean stop is harmless


def test_a_file_left_by_a_killed_run_is_ignored(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    local_broker_path(tmp_path).write_text(json.dumps({"bootstrap_servers": "127.0.0.1:1", "pid": int(dead.stdout)}))
    assert read_local_broker(tmp_path) == ""
    local_broker_path(tmp_path).write_text("not json")
    assert read_local_broker(tmp_path) == ""


def test_events_status_asks_the_runs_broker(tmp_path, database_url, monkeypatch):
    from events.broker import free_port

    address = f"127.0.0.1:{free_port()}"  # nobody listens: the command must say it asked there
    write_local_broker(tmp_path, address)
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", database_url)
    result = CliRunner().invoke(make_cli(), ["events", "status", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["broker"]["error"] == f"no broker answered at {address}"


def test_a_consumer_is_reported_under_its_newest_rejoined_group():
    groups = ["payments", "payments.r1", "payments.r12", "payments.r2", "payouts", "payments-audit"]
    assert group_for("payments", groups) == "payments.r12"
    assert group_for("payouts", groups) == "payouts"
    assert group_for("promotion", groups) is None
    assert group_for("payments", ["payments-audit", "payments.rx"]) is None
