"""The supervisor of ``marketplace run`` with stand-in children: its rules, checked in seconds.

The full-system test (``test_run.py``) shows the happy path; these pin the failure paths a user only
meets on a bad day — web dying at start, a child ignoring SIGTERM, a crash loop, the runner itself
being SIGKILLed, the port already taken — with small ``python -c`` children instead of the real parts.
"""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from marketplace.local import supervisor
from marketplace.local.supervisor import ChildSpec, Supervisor
from tests.e2e.conftest import REPO, free_port, session_processes, wait_for

PY = sys.executable


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


class StopAfter(io.StringIO):
    """The supervisor's output; asks it to stop (as SIGINT would) once ``needle`` has been printed."""

    def __init__(self, needle: str, sup_ref: list[Supervisor]):
        super().__init__()
        self.needle, self.sup_ref = needle, sup_ref

    def write(self, text: str) -> int:
        if self.needle in self.getvalue() + text:
            self.sup_ref[0].stop_requests += 1
        return super().write(text)


@pytest.fixture
def web_ok() -> tuple[ChildSpec, str]:
    """A stand-in web child: a static HTTP server whose / answers 200 (our readiness URL here)."""
    port = free_port()
    spec = ChildSpec("web", [PY, "-m", "http.server", "--bind", "127.0.0.1", str(port)])
    return spec, f"http://127.0.0.1:{port}/"


def test_web_dying_before_it_is_ready_ends_the_run_with_1() -> None:
    out = io.StringIO()
    sup = Supervisor([ChildSpec("web", [PY, "-c", "import sys; print('boom'); sys.exit(3)"])],
                     "http://127.0.0.1:9/readyz", out)
    sup.env = dict(os.environ)
    try:
        assert sup.run() == 1
    finally:
        sup.shutdown()
    assert re.search(r"^\[web\]\s+boom$", out.getvalue(), re.M)
    assert "web exited with code 3 before it was ready" in out.getvalue()


def test_a_crashing_child_is_restarted_with_growing_backoff(web_ok: tuple[ChildSpec, str]) -> None:
    web, url = web_ok
    crasher = ChildSpec("crasher", [PY, "-c", "print('about to fail'); raise SystemExit(5)"])
    ref: list[Supervisor] = []
    out = StopAfter("restarting in 2s", ref)
    sup = Supervisor([web, crasher], url, out)
    ref.append(sup)
    sup.env = dict(os.environ)
    started = time.monotonic()
    try:
        assert sup.run() == 0
    finally:
        sup.shutdown()
    text = out.getvalue()
    assert "crasher exited with code 5; restarting in 1s" in text
    assert "crasher exited with code 5; restarting in 2s" in text
    assert text.count("about to fail") >= 2
    assert time.monotonic() - started >= 1.0  # the first restart waited its second
    assert all(c.proc is None for c in sup.children)


def test_a_child_ignoring_sigterm_is_killed_with_its_whole_process_group(
    web_ok: tuple[ChildSpec, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(supervisor, "GRACE_SECONDS", 1.0)
    pid_file = tmp_path / "grandchild.pid"
    stubborn = ChildSpec("stubborn", [PY, "-c", textwrap.dedent(f"""
        import signal, subprocess, sys, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        child = subprocess.Popen([sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"])
        open({str(pid_file)!r}, "w").write(str(child.pid))
        print("ignoring SIGTERM", flush=True)
        time.sleep(600)
    """)])
    web, url = web_ok
    ref: list[Supervisor] = []
    out = StopAfter("ignoring SIGTERM", ref)
    sup = Supervisor([web, stubborn], url, out)
    ref.append(sup)
    sup.env = dict(os.environ)
    try:
        assert sup.run() == 0
    finally:
        sup.shutdown()
    grandchild = int(pid_file.read_text())
    wait_for(lambda: not _alive(grandchild), 5, "the grandchild to be killed")
    assert "stubborn did not stop in time; killing it" in out.getvalue()


def test_children_do_not_outlive_a_sigkilled_runner(web_ok: tuple[ChildSpec, str]) -> None:
    """Linux's parent-death signal: killing ``marketplace run`` with -9 must not leave its parts running."""
    web, url = web_ok
    script = textwrap.dedent(f"""
        import os, sys
        from marketplace.local.supervisor import ChildSpec, Supervisor
        sup = Supervisor([ChildSpec("web", {web.argv!r}),
                          ChildSpec("sleeper", [sys.executable, "-c", "import time; time.sleep(600)"])],
                         {url!r}, sys.stdout)
        sup.env = dict(os.environ)
        sup.on_ready = lambda: print("READY", flush=True)
        sup.run()
    """)
    proc = subprocess.Popen([PY, "-c", script], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if b"READY" in line:
                break
        children = [pid for pid in session_processes(proc.pid) if pid != proc.pid]
        assert len(children) >= 2
        proc.kill()
        proc.wait(timeout=10)
        wait_for(lambda: not any(_alive(pid) for pid in children), 10, "the orphaned children to exit")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in session_processes(proc.pid):
            os.kill(pid, signal.SIGKILL)
        if proc.stdout is not None:
            proc.stdout.close()


def test_run_refuses_a_port_in_use_quickly_and_cleanly(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS"}}
        env["VAR_DIR"] = str(tmp_path / "var")
        done = subprocess.run([PY, "-m", "marketplace.cli", "run", "--port", str(port)], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=60, start_new_session=True)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"port {port} on 127.0.0.1 is already in use" in done.stdout
    assert "embedded broker at" not in done.stdout  # refused before starting anything


def test_a_killed_broker_child_is_restarted_logged_and_stopped_after_the_others(
    web_ok: tuple[ChildSpec, str], tmp_path: Path
) -> None:
    """The embedded broker is a child like the others (``marketplace run``): SIGKILLed, it comes back
    after its backoff and the restart is logged; its own output goes to its log file; at shutdown it is
    stopped only once the children that talk to it have gone."""
    web, url = web_ok
    log = tmp_path / "broker.log"
    pid_file = tmp_path / "broker.pid"
    broker = ChildSpec("broker", [PY, "-c", textwrap.dedent(f"""
        import os, signal, sys, time
        open({str(pid_file)!r}, "w").write(str(os.getpid()))
        print("broker listening", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: (print("broker stopping", flush=True), sys.exit(0)))
        time.sleep(600)
    """)], stop_last=True, log_path=str(log))
    client = ChildSpec("client", [PY, "-c", textwrap.dedent("""
        import signal, sys, time
        signal.signal(signal.SIGTERM, lambda *_: (time.sleep(0.5), print("client done", flush=True), sys.exit(0)))
        print("client up", flush=True)
        time.sleep(600)
    """)])
    ref: list[Supervisor] = []

    class StopAtRestart(io.StringIO):
        def write(self, text: str) -> int:
            if (self.getvalue() + text).count("started broker (pid") == 2:
                ref[0].stop_requests += 1
            return super().write(text)

    out = StopAtRestart()
    sup = Supervisor([web, client], url, out)
    sup.add(broker)
    ref.append(sup)
    sup.env = dict(os.environ)

    def kill_the_broker() -> None:
        wait_for(lambda: pid_file.exists() and pid_file.read_text(), 10, "the broker child")
        os.kill(int(pid_file.read_text()), signal.SIGKILL)

    killer = threading.Thread(target=kill_the_broker)
    killer.start()
    try:
        assert sup.run() == 0
        killer.join(timeout=15)
        wait_for(lambda: log.read_text().count("broker listening") == 2, 10, "the restarted broker")
    finally:
        sup.shutdown()
    text = out.getvalue()
    assert "broker exited with code -9; restarting in 1s" in text
    assert text.count("started broker (pid") == 2
    assert "broker listening" not in text and log.read_text().count("broker listening") == 2
    assert text.index("client done") < text.index("stopping broker")  # the others first, then the broker
    assert "broker stopping" in log.read_text()
