"""``marketplace.per_item``: each item in its own transaction, a failing one logged with its id, counted
and rolled back alone, the items after it still done; an expected outcome is neither."""

from __future__ import annotations

import logging
from collections import Counter

from marketplace.errors import Conflict
from marketplace.per_item import each_in_own_transaction


class RecordingSession:
    """What a session's transaction did: committed or rolled back, per item."""

    def __init__(self, log: list[str]):
        self.log = log

    def commit(self) -> None:
        self.log.append("commit")

    def rollback(self) -> None:
        self.log.append("rollback")

    def close(self) -> None:
        pass


def test_one_failing_item_neither_stops_the_others_nor_goes_unnoticed(caplog):
    outcomes: list[str] = []
    failures: Counter[str] = Counter()

    def step(session: RecordingSession, item_id: int) -> bool:
        if item_id == 2:
            raise RuntimeError("cannot handle this row")
        if item_id == 3:
            raise Conflict("someone else did it meanwhile")
        return True

    with caplog.at_level(logging.ERROR, logger="marketplace.per_item"):
        done = each_in_own_transaction(lambda: RecordingSession(outcomes), [1, 2, 3, 4], step, job="tidy",
                                       expected=(Conflict,), failures=failures)
    assert done == 2 and failures == Counter({"tidy": 1})
    assert outcomes == ["commit", "rollback", "rollback", "commit"]
    [record] = caplog.records
    assert "tidy" in record.getMessage() and "item 2" in record.getMessage() and record.exc_info is not None
