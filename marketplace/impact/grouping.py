"""Per-group and whole-marketplace aggregates on both backends, for the impact figures.

Each figure is wanted per group and for the whole marketplace, and the whole's is computed over the whole
(medians and distinct counts cannot be summed from the groups). PostgreSQL answers both in one statement
(``GROUPING SETS``) and has ``percentile_cont``; SQLite has neither, so there a statement runs twice and a
median is taken in Python over the durations (same definition). The figures call these the same way on
both.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, func, tuple_
from sqlalchemy.orm import Session

from marketplace.impact.counted import ALL, Key, is_postgresql, key_of

#: Where :func:`grouped` files the whole marketplace's row (a group is always a tuple ``(k1, k2)``).
WHOLE = None


def grouped(session: Session, key: Key, build: Callable[[list[Any], list[Any]], Select[Any]],
             count: str = "n", within: Sequence[Any] = (), sets: bool = True
             ) -> dict[tuple[Any, Any] | None, Any]:
    """Rows by group, and the whole marketplace's row under :data:`WHOLE`; a group (or a whole) with
    nothing counted is left out. ``build(columns, group_by)`` makes the statement for a key's labelled
    columns and what to group by; ``within``: columns every grouping also groups by (a nested query's).

    PostgreSQL answers both in one statement (``GROUPING SETS``, the whole marketplace's rows told apart
    by ``grouping()``) unless ``sets`` is false; SQLite has no grouping sets, so there it is the statement
    twice, once with the group's columns and once with none. Either way each figure of the whole is
    computed over the whole marketplace, never summed from the groups (medians and distinct counts
    cannot be)."""
    if is_postgresql(session) and sets:
        whole = func.grouping(*key.group).label("whole")
        sets = func.grouping_sets(tuple_(*key.group, *within), tuple_(*within))
        rows = session.execute(build([*key.columns, whole], [sets]))
        return {WHOLE if row.whole else (row.k1, row.k2): row for row in rows if getattr(row, count)}
    found: dict[tuple[Any, Any] | None, Any] = {
        (row.k1, row.k2): row for row in session.execute(build(key.columns, [*key.group, *within]))
        if getattr(row, count)}
    everything = key_of(ALL)
    found.update({WHOLE: row for row in session.execute(build(everything.columns, list(within)))
                  if getattr(row, count)})
    return found


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def median_hours(values: list[float]) -> float | None:
    return round(statistics.median(values) / 3600, 1) if values else None


def seconds_between(session: Session, later: Any, earlier: Any) -> ColumnElement[float]:
    if is_postgresql(session):
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def medians(session: Session, key: Key, seconds: ColumnElement[float],
             build: Callable[[list[Any], list[Any]], Select[Any]]) -> dict[tuple[Any, Any] | None, float | None]:
    """The median of ``seconds`` per group and of the whole (:func:`grouped`), in hours:
    ``percentile_cont`` on PostgreSQL, Python over the durations on SQLite."""
    if is_postgresql(session):
        median = func.percentile_cont(0.5).within_group(seconds).label("m")
        rows = grouped(session, key, lambda cols, group: build(cols, group).add_columns(
            median, func.count(seconds).label("n")))  # no durations, no median (not a median of 0)
        return {k: round(float(r.m) / 3600, 1) for k, r in rows.items()}
    values: dict[tuple[Any, Any] | None, list[float]] = defaultdict(list)
    for r in session.execute(build(key.columns, []).add_columns(seconds.label("s"))):
        values[(r.k1, r.k2)].append(float(r.s))
        values[WHOLE].append(float(r.s))
    return {k: median_hours(v) for k, v in values.items()}


# --- the figures -----------------------------------------------------------------------------------------
