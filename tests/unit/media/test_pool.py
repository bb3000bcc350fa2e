"""The image pool bounds how many photos one web process decodes and holds (issue #9): behaviour only.

``decode`` is a stand-in that blocks until the test lets it go, so "how many run", "how many wait" and
"who is refused" are observed directly, with no timing assumptions.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

import pytest

from marketplace.config import Settings
from marketplace.errors import ValidationFailed
from marketplace.media import images
from marketplace.media.pool import ImageProcessor, MediaBusy
from tests.unit.listings.helpers import image_bytes

WAIT = 10  # seconds: only a safety net against a hung test, never a measured duration


class GatedDecode:
    """A decode that records how many run at once and finishes only when ``release()`` is called."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.lock = threading.Lock()
        self.running = 0
        self.most_at_once = 0
        self.started = threading.Semaphore(0)
        self.threads: list[tuple[int, int]] = []  # (native thread id, nice value) of each decode

    def __call__(self, data: bytes) -> Any:
        tid = threading.get_native_id()
        nice = os.getpriority(os.PRIO_PROCESS, tid) if sys.platform.startswith("linux") else 0
        with self.lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
            self.threads.append((tid, nice))
        self.started.release()
        assert self.gate.wait(WAIT)
        with self.lock:
            self.running -= 1
        return ("processed", data)

    def release(self) -> None:
        self.gate.set()


def _in_background(processor: ImageProcessor, data: bytes, results: list[Any]) -> threading.Thread:
    def call() -> None:
        try:
            results.append(processor.process(data))
        except Exception as exc:  # recorded for the test to look at
            results.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    return thread


def _until(condition: Any) -> None:
    event = threading.Event()
    for _ in range(WAIT * 100):
        if condition():
            return
        event.wait(0.01)
    raise AssertionError("condition not reached")


def test_one_decode_at_a_time_the_queue_waits_and_the_next_upload_is_refused_at_once():
    decode = GatedDecode()
    processor = ImageProcessor(decode, workers=1, queue=2)
    results: list[Any] = []
    threads = [_in_background(processor, f"photo-{i}".encode(), results) for i in range(3)]
    assert decode.started.acquire(timeout=WAIT)
    _until(lambda: processor.in_hand == 3)
    assert decode.running == 1  # the other two were admitted and wait; nothing else is decoding

    with pytest.raises(MediaBusy) as refused:  # the fourth: refused without waiting or decoding
        processor.process(b"photo-3")
    assert refused.value.code == "media_busy" and refused.value.retry_after == 2
    assert len(decode.threads) == 1

    decode.release()
    for thread in threads:
        thread.join(WAIT)
    assert sorted(results) == [("processed", f"photo-{i}".encode()) for i in range(3)]
    assert decode.most_at_once == 1 and processor.in_hand == 0
    assert processor.process(b"again") == ("processed", b"again")  # room again once they finished


def test_workers_decode_side_by_side_up_to_their_number():
    decode = GatedDecode()
    processor = ImageProcessor(decode, workers=2, queue=0)
    results: list[Any] = []
    threads = [_in_background(processor, b"a", results), _in_background(processor, b"b", results)]
    for _ in range(2):
        assert decode.started.acquire(timeout=WAIT)
    assert decode.running == 2
    with pytest.raises(MediaBusy):
        processor.process(b"c")
    decode.release()
    for thread in threads:
        thread.join(WAIT)
    assert len(results) == 2 and decode.most_at_once == 2


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_decoding_runs_in_another_thread_at_lower_priority():
    decode = GatedDecode()
    decode.release()
    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    ImageProcessor(decode).process(b"x")
    (tid, nice), = decode.threads
    assert tid != threading.get_native_id()
    assert nice == min(19, mine + 5)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == mine  # the caller keeps its own


def test_a_refused_photo_reaches_the_caller_and_frees_its_place():
    def decode(data: bytes) -> Any:
        raise ValidationFailed("The photo is damaged or incomplete.", fields={"file": ["damaged"]})

    processor = ImageProcessor(decode, workers=1, queue=0)
    for _ in range(3):  # the one place is given back each time
        with pytest.raises(ValidationFailed):
            processor.process(b"broken")
    assert processor.in_hand == 0


def test_settings_build_the_real_decoder_with_their_limits():
    settings = Settings(max_image_bytes=1_000_000, max_image_pixels=10_000, image_workers=1, image_queue=0)
    processor = ImageProcessor.from_settings(settings)
    assert processor.capacity == 1
    with pytest.raises(ValidationFailed) as err:
        processor.process(image_bytes("PNG", (200, 200)))  # 40,000 pixels > 10,000
    assert "pixels" in err.value.fields["file"][0]
    assert processor.process(image_bytes("PNG", (90, 90))).full.width == 90


def test_bad_pool_sizes_are_refused():
    with pytest.raises(ValueError):
        ImageProcessor(images.process_upload, workers=0)
    with pytest.raises(ValueError):
        ImageProcessor(images.process_upload, queue=-1)


def test_pool_settings_come_from_the_environment():
    settings = Settings.from_env({"IMAGE_WORKERS": "2", "IMAGE_QUEUE": "0", "IMAGE_NICE": "0",
                                  "MAX_IMAGE_PIXELS": "1000", "MAX_IMAGE_DECODE_MB": "1"})
    assert (settings.image_workers, settings.image_queue, settings.image_nice) == (2, 0, 0)
    assert (settings.max_image_pixels, settings.max_image_decode_mb) == (1000, 1)
    processor = ImageProcessor.from_settings(settings)
    assert (processor.workers, processor.capacity, processor.nice) == (2, 2, 0)
    defaults = Settings.from_env({})
    assert (defaults.image_workers, defaults.image_queue, defaults.image_nice) == (1, 4, 5)
    assert (defaults.max_image_pixels, defaults.max_image_decode_mb) == (images.MAX_IMAGE_PIXELS, 128)
