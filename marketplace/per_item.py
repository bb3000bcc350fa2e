"""Work through many rows one at a time, each in its own transaction, so one bad row never stops the rest.

The time-driven jobs (``marketplace scheduler``: expiring unpaid orders, confirming old deliveries,
releasing due payouts) each list the rows that are due and then change them one by one. If any row
raised out of that loop, every row after it would wait for the next round, and the same bad row would
stop them again there, for ever. So each row gets its own transaction (a failure rolls back that row's
changes only) and its own ``try``: the failure is logged with the row's id and counted, the loop goes
on, and the row, still due, is tried again next round.

``expected`` exceptions are outcomes, not failures (a parcel the buyer confirmed meanwhile): skipped
without a log or a count.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from typing import SupportsInt

from sqlalchemy.orm import Session

from marketplace.db import transaction

log = logging.getLogger(__name__)

#: ``step(session, item_id)`` → what it did (True/1 when it changed the item), in the caller's transaction.
Step = Callable[[Session, int], SupportsInt]


def each_in_own_transaction(
    factory: Callable[[], Session], item_ids: Iterable[int], step: Step, *, job: str,
    expected: tuple[type[Exception], ...] = (), failures: Counter[str] | None = None,
) -> int:
    """Run ``step`` on each item, each in its own transaction (committed on success); how many it did.
    An item that raises is logged (``job`` and its id), counted in ``failures[job]`` and left for the next
    round; the others are still done."""
    done = 0
    for item_id in item_ids:
        try:
            with transaction(factory) as session:
                done += int(step(session, item_id))
        except expected:
            continue
        except Exception:
            log.exception("%s: item %s failed and is left for the next round", job, item_id)
            if failures is not None:
                failures[job] += 1
    return done
