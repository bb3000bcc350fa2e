"""The process supervisor of ``marketplace run``: children started, their output logged, restarted
with backoff, stopped cleanly.

Why a hand-written supervisor rather than honcho or supervisord: it is one screen of code, needs nothing
installed, and knows our rules. Web failing before it is ready ends the run (nothing works without it);
any child dying later is restarted with exponential backoff (the outbox and the inbox make a restart of
the relay or a worker harmless); shutdown is SIGTERM, a grace period, then SIGKILL of each child's whole
process group, so no gunicorn worker outlives its master.

It is single-threaded on purpose: one ``select`` loop pumps every child's output (a chatty child never
blocks on a full pipe) and handles exits, restarts and signals. Every child is forked by the main thread,
which is what makes Linux's parent-death signal reliable: if ``marketplace run`` itself is SIGKILLed, its
children get SIGTERM instead of lingering on their ports.

A child marked ``stop_last`` (the embedded broker) is stopped only once the others have exited, so
they can finish what they were sending; one with a ``log_path`` writes its output to that file rather
than to the prefixed log (the broker's own log), its starts, exits and restarts still logged here.

It knows nothing of the marketplace: which children to run is ``marketplace.local.run``'s business, so
the tests drive it with small stand-in children.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import selectors
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import IO, Any

from events.backoff import Backoff

GRACE_SECONDS = 15.0  # SIGTERM → SIGKILL; gunicorn's own --graceful-timeout (10 s) fits inside
READY_TIMEOUT = 90.0  # web must answer /readyz 200 within this, or the run is abandoned
BACKOFF_INITIAL = 1.0
BACKOFF_MAX = 30.0
RESTART_BACKOFF = Backoff(BACKOFF_INITIAL, BACKOFF_MAX)  # a frozen policy; each child counts its own
STABLE_AFTER = 60.0  # a child that ran this long before dying starts its backoff again at 1 s


@dataclass
class ChildSpec:
    name: str
    argv: list[str]
    command: str = ""  # the ``marketplace`` sub-command it needs ("" for gunicorn)
    stop_last: bool = False  # stopped after every other child (the broker the others talk to)
    log_path: str | None = None  # output appended to this file instead of the prefixed log


@dataclass
class Child:
    spec: ChildSpec
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0  # in a row, since it last ran ``STABLE_AFTER``: the backoff's attempt number
    next_start: float | None = None


@dataclass
class _Stream:
    """One child's merged stdout/stderr pipe; an incomplete last line waits for its newline."""

    prefix: str
    pipe: IO[bytes]
    buf: bytes = field(default=b"")


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

    def add(self, spec: ChildSpec) -> None:
        """One more child, started first (before those given to the constructor)."""
        self.children.insert(0, Child(spec))
        self._width = max(self._width, len(spec.name) + 3)

    def started(self, name: str) -> bool:
        """Whether the child ``name`` was ever started (a run stopped while preparing starts none)."""
        return any(c.spec.name == name and c.started_at for c in self.children)

    def spawn(self, child: Child) -> None:
        log = open(child.spec.log_path, "ab") if child.spec.log_path else None  # noqa: SIM115 - closed below
        try:
            proc = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
                child.spec.argv, env=self.env, stdin=subprocess.DEVNULL, stdout=log or subprocess.PIPE,
                stderr=subprocess.STDOUT, preexec_fn=self._preexec,
                process_group=0,  # Ctrl-C reaches only us; we stop the children, then the broker
            )
        finally:
            if log is not None:
                log.close()  # the child has its own copy of the descriptor
        if proc.stdout is not None:
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
            child.restarts = 0
        child.restarts += 1
        delay = RESTART_BACKOFF.delay(child.restarts)
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
        """SIGTERM every child, keep pumping their output, SIGKILL what is left after the grace period;
        the ``stop_last`` children once all the others have gone."""
        self._stop([c for c in self.children if not c.spec.stop_last])
        self._stop([c for c in self.children if c.spec.stop_last])
        drain_until = time.monotonic() + 1.0  # the children's last words, up to their pipes' EOF
        while self.selector.get_map() and time.monotonic() < drain_until:
            self._pump(0.05)
        for key in list(self.selector.get_map().values()):
            key.data.pipe.close()
        self.selector.close()

    def _stop(self, children: list[Child]) -> None:
        for child in children:
            if child.proc is not None:
                self.say(f"stopping {child.spec.name}")
                child.proc.terminate()
        deadline, stops_seen = time.monotonic() + GRACE_SECONDS, self.stop_requests
        while any(c.proc is not None for c in children):
            self._pump(0.1)
            for child in children:
                self._reap(child)
            if self.stop_requests > stops_seen:  # Ctrl-C again: no more patience
                deadline = 0.0
            for child in children:
                if child.proc is not None and time.monotonic() >= deadline:
                    self.say(f"{child.spec.name} did not stop in time; killing it")
                    _kill_group(child.proc.pid)
                    child.proc.wait()
                    child.proc = None
