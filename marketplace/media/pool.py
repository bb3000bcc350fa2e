"""Photo processing beside the request threads: a small pool of low-priority threads, bounded admission.

Why (issue #9): decoding a photo is the one thing a storefront request does that costs seconds of CPU
and a hundred megabytes; six at once held every gunicorn worker and ``/healthz`` took 7 s. So:

- gunicorn runs threaded workers (``gthread``, ``marketplace.local.run`` and ``marketplace web``); a
  request thread hands the bytes to this pool and waits for the result, so the API contract stays
  ``201 {url}`` while the process's other threads keep answering the catalogue;
- at most ``IMAGE_WORKERS`` decodes run at once per process (default 1, whatever arrives), each in a
  thread whose OS priority is lowered (``IMAGE_NICE``, default +5; Linux sets it per thread), so on a
  busy machine the catalogue's requests get the CPU first and an upload takes longer instead;
- at most ``IMAGE_WORKERS + IMAGE_QUEUE`` uploads are admitted per process. The next one is refused at
  once, before its bytes are decoded, with 503 ``media_busy`` and ``Retry-After``: waiting uploads must
  never occupy every request thread of a process (keep gunicorn's ``--threads`` above that sum).

Pillow releases the GIL while it decodes, resizes and encodes, so a pool thread and the request threads
really run in parallel. One upload's own cost is bounded in :mod:`marketplace.media.images`.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

from marketplace.config import Settings
from marketplace.errors import Unavailable
from marketplace.media import images

#: How much lower than the request threads the pool's threads run by default (a nice increment, 0-19).
NICE_INCREMENT = 5
#: What a refused upload is told to wait: about one photo's processing time, with room.
RETRY_AFTER_SECONDS = 2


class MediaBusy(Unavailable):
    """Many photos are being processed right now; try again in a few seconds."""

    code = "media_busy"
    retry_after = RETRY_AFTER_SECONDS


def _lower_priority(increment: int) -> None:
    """Run the calling (pool) thread at a lower CPU priority; request threads keep theirs."""
    if increment <= 0 or not sys.platform.startswith("linux"):
        return  # elsewhere setpriority() would apply to the whole process, request threads included
    tid = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + increment))
    except OSError:
        pass  # not permitted here: the pool still bounds how many decodes run


class ImageProcessor:
    """``process(data)`` → :class:`~marketplace.media.images.ProcessedImage`, within the pool's bounds.

    Each decode runs in a short-lived thread of its own, started at low priority and joined by the
    request thread: a thread costs microseconds against a decode's tenths of a second, and no idle
    threads outlive the work (nothing to shut down when an app or a test goes away). ``decode`` is the
    work itself (``images.process_upload`` with the configured limits); tests pass another callable to
    observe the bounds without decoding anything.
    """

    def __init__(
        self,
        decode: Callable[[bytes], images.ProcessedImage],
        *,
        workers: int = 1,
        queue: int = 4,
        nice: int = NICE_INCREMENT,
    ):
        if workers < 1 or queue < 0:
            raise ValueError("IMAGE_WORKERS must be at least 1 and IMAGE_QUEUE at least 0")
        self.decode = decode
        self.workers = workers
        self.capacity = workers + queue
        self.nice = nice
        self._admitted = threading.BoundedSemaphore(self.capacity)
        self._running = threading.BoundedSemaphore(workers)
        self._count_lock = threading.Lock()
        self._in_hand = 0

    @property
    def in_hand(self) -> int:
        """Uploads admitted and not finished (decoding or waiting to): at most ``capacity``."""
        return self._in_hand

    def _count(self, change: int) -> None:
        with self._count_lock:
            self._in_hand += change

    @classmethod
    def from_settings(cls, settings: Settings) -> "ImageProcessor":
        decode = partial(
            images.process_upload, max_bytes=settings.max_image_bytes, max_pixels=settings.max_image_pixels,
            max_decode_bytes=settings.max_image_decode_mb * 1024 * 1024,
        )
        return cls(decode, workers=settings.image_workers, queue=settings.image_queue, nice=settings.image_nice)

    def process(self, data: bytes) -> images.ProcessedImage:
        """Decode and re-encode ``data``: at once if a worker is free, after the ones ahead of it if the
        queue has room, else :class:`MediaBusy` without decoding anything."""
        if not self._admitted.acquire(blocking=False):
            raise MediaBusy()
        self._count(+1)
        try:
            with self._running:
                return self._in_low_priority_thread(data)
        finally:
            self._count(-1)
            self._admitted.release()

    def _in_low_priority_thread(self, data: bytes) -> images.ProcessedImage:
        outcome: list[Any] = []

        def work() -> None:
            _lower_priority(self.nice)
            try:
                outcome.append(self.decode(data))
            except BaseException as exc:  # handed to the request thread, which raises it
                outcome.append(exc)

        thread = threading.Thread(target=work, name="image-processing", daemon=True)
        thread.start()
        thread.join()
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        return outcome[0]
