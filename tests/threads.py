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
