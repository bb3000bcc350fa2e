"""The faults of a chaos run: a schedule drawn up front from the seed, then played against the topology.

Every few seconds (2–6 s apart) one of:

- ``kill``: ``SIGKILL`` of one process (any: web, relay, a worker, the scheduler, the broker), restarted
  1–10 s later;
- ``pause``: ``SIGSTOP`` of one process for 1–5 s, then ``SIGCONT``;
- ``pg_terminate``: ``pg_terminate_backend`` of every connection of the application to the run's
  database (the harness's own connections, named ``chaos-harness``, are spared).

The schedule depends on the seed and the duration only, so the same seed replays the same faults (a
fault whose target is down at its moment — killed by the previous one — is recorded as skipped).
A clock step of the scheduler is not among them: it needs root (``CAP_SYS_TIME``) or libfaketime,
neither of which the harness assumes (see the README).

When a web process is killed, a probe measures how long until it answers ``/readyz`` again, and how
long until the storefront (the other web process) answered meanwhile.
"""

from __future__ import annotations

import random
import signal
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.chaos.topology import Topology

KIND_WEIGHTS = (("kill", 6), ("pause", 2), ("pg_terminate", 2))


@dataclass
class Fault:
    at: float  # seconds after the start of the load
    kind: str
    target: str = ""  # process name ("" for pg_terminate)
    hold: float = 0.0  # the restart delay (kill) or the pause length (pause)
    done: bool = False
    skipped: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


def schedule(seed: int, duration: float, names: list[str]) -> list[Fault]:
    """The faults of a run of ``duration`` seconds, the same for the same seed and process names."""
    rng = random.Random(f"chaos-faults-{seed}")
    kinds = [k for k, _ in KIND_WEIGHTS]
    weights = [w for _, w in KIND_WEIGHTS]
    faults, t = [], rng.uniform(3, 6)
    while t < duration - 5:
        kind = rng.choices(kinds, weights)[0]
        if kind == "kill":
            faults.append(Fault(round(t, 2), kind, rng.choice(names), round(rng.uniform(1, 10), 2)))
        elif kind == "pause":
            faults.append(Fault(round(t, 2), kind, rng.choice(names), round(rng.uniform(1, 5), 2)))
        else:
            faults.append(Fault(round(t, 2), kind))
        t += rng.uniform(2, 6)
    return faults


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1.0) as resp:  # noqa: S310 - loopback
            return resp.status == 200
    except Exception:  # noqa: BLE001 - any failure is "not answering"
        return False


class FaultPlayer:
    """Plays a schedule in a thread: each fault at its time, restarts and resumes on timers."""

    def __init__(self, topology: Topology, faults: list[Fault], terminate_backends: Any, say: Any):
        self.topology, self.faults, self.say = topology, faults, say
        self.terminate_backends = terminate_backends
        self.web_outages: list[dict[str, Any]] = []
        self.stop = threading.Event()
        self._timers: list[threading.Timer] = []
        self._thread = threading.Thread(target=self._run, name="faults", daemon=True)

    def begin(self) -> None:
        self.t0 = time.monotonic()
        self._thread.start()

    def end(self) -> None:
        self.stop.set()
        self._thread.join()
        for timer in self._timers:
            timer.cancel()
        for timer in self._timers:  # run what was still pending now: every process back, none paused
            timer.function(*timer.args)  # type: ignore[attr-defined]

    def _later(self, delay: float, fn: Any, *args: Any) -> None:
        timer = threading.Timer(delay, fn, args)
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def _run(self) -> None:
        for fault in self.faults:
            if self.stop.wait(max(0.0, self.t0 + fault.at - time.monotonic())):
                return
            try:
                self._play(fault)
            except Exception as exc:  # noqa: BLE001 - a fault that failed to apply is recorded, not fatal
                fault.skipped = f"{type(exc).__name__}: {exc}"

    def _play(self, fault: Fault) -> None:
        topo = self.topology
        if fault.kind == "pg_terminate":
            fault.detail["terminated"] = self.terminate_backends()
            fault.done = True
        elif not topo.alive(fault.target) or topo.procs[fault.target].paused:
            fault.skipped = "target down or paused"
        elif fault.kind == "pause":
            fault.done = topo.signal(fault.target, signal.SIGSTOP)
            self._later(fault.hold, self._resume, fault.target)
        else:
            killed_at = time.monotonic()
            fault.done = topo.signal(fault.target, signal.SIGKILL)
            self._later(fault.hold, topo.start, fault.target)
            if fault.target.startswith("web"):
                threading.Thread(target=self._probe_web, args=(fault, killed_at), daemon=True).start()
        if fault.done:
            self.say(f"t={fault.at:6.1f}s {fault.kind:<12} {fault.target or 'app connections'}"
                     + (f" ({fault.hold:.1f}s)" if fault.hold else ""))

    def _resume(self, name: str) -> None:
        if self.topology.procs[name].paused:
            self.topology.signal(name, signal.SIGCONT)

    def _probe_web(self, fault: Fault, killed_at: float) -> None:
        """How long the killed web process stayed unanswered, and how soon the other one answered."""
        index = int(fault.target[-1]) - 1
        own = f"http://127.0.0.1:{self.topology.web_ports[index]}/readyz"
        other = f"http://127.0.0.1:{self.topology.web_ports[1 - index]}/"
        other_after = None
        deadline = killed_at + 120
        while time.monotonic() < deadline:
            if other_after is None and _answers(other):
                other_after = time.monotonic() - killed_at
            if time.monotonic() - killed_at > fault.hold and _answers(own):
                break
            time.sleep(0.2)
        back = time.monotonic() - killed_at if time.monotonic() < deadline else None
        self.web_outages.append({"target": fault.target, "at": fault.at, "restart_after_s": fault.hold,
                                 "serving_again_after_s": None if back is None else round(back, 2),
                                 "other_answered_after_s": None if other_after is None else round(other_after, 2)})

    def summary(self) -> dict[str, Any]:
        played = [f for f in self.faults if f.done]
        by_kind: dict[str, int] = {}
        for f in played:
            role = f.target.rstrip("0123456789")
            key = f.kind if f.kind != "kill" else f"kill {role if role in ('web', 'relay', 'broker', 'scheduler') else 'worker'}"
            by_kind[key] = by_kind.get(key, 0) + 1
        return {"planned": len(self.faults), "played": len(played),
                "skipped": sum(1 for f in self.faults if f.skipped), "by_kind": by_kind,
                "kinds": len(by_kind), "web_outages": self.web_outages,
                "schedule": [asdict(f) for f in self.faults]}
