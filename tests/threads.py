"""Run a stoppable loop (a worker's ``run``, a relay's ``run_forever``, a listener) in a thread for a test."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def in_thread(target: Callable[..., Any], *args: Any, what: str = "the loop", timeout: float = 20
              ) -> Iterator[threading.Event]:
    """``target(*args, stop)`` in a daemon thread while the block runs (yields ``stop``); then stop it as
    SIGTERM would and check it really stopped within ``timeout`` seconds."""
    stop = threading.Event()
    thread = threading.Thread(target=target, args=(*args, stop), daemon=True, name=what)
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(timeout=timeout)
    assert not thread.is_alive(), f"{what} did not stop within {timeout:g}s"


def race_all(jobs: list[Callable[[], str]], outcome_of: Callable[[Exception], str],
             refused: type[Exception] | tuple[type[Exception], ...]) -> list[str]:
    """Run every job at once (a barrier releases them together), each in its own thread; each one's
    outcome: what the job returned, or ``outcome_of`` the ``refused`` error it raised. Every job must
    answer within two minutes."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(job: Callable[[], str]) -> None:
        barrier.wait(timeout=30)
        try:
            outcome = job()
        except refused as err:
            outcome = outcome_of(err)
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(outcomes) == len(jobs), "every racer got an answer"
    return outcomes
