"""``events.backoff.Backoff``, the one wait-between-retries shape of the relay, the workers and the
supervisor of ``marketplace run``: plain arithmetic, so no app, database or broker here."""

from __future__ import annotations

from events.backoff import Backoff


def test_the_default_waits_start_at_half_a_second_and_stop_growing_at_thirty():
    backoff = Backoff()
    assert [backoff.next() for _ in range(9)] == [0.5, 1, 2, 4, 8, 16, 30, 30, 30]


def test_each_wait_doubles_until_the_cap_and_then_stays_there():
    backoff = Backoff(1.0, 30.0)  # the supervisor's restart delays
    assert [backoff.next() for _ in range(7)] == [1, 2, 4, 8, 16, 30, 30]


def test_reset_starts_again_from_the_initial_wait():
    backoff = Backoff(0.5, 4)
    assert [backoff.next() for _ in range(4)] == [0.5, 1, 2, 4]
    backoff.reset()
    assert [backoff.next() for _ in range(2)] == [0.5, 1]


def test_two_backoffs_do_not_share_state():
    first, second = Backoff(), Backoff()
    first.next(), first.next()
    assert second.next() == 0.5
