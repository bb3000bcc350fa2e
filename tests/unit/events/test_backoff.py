"""``events.backoff.Backoff``, the one wait-between-retries shape of the relay, the workers, the
supervisor of ``marketplace run`` and the delivery queues: plain arithmetic, so no app, database or
broker here. The policy is a value; the attempt count belongs to whoever retries."""

from __future__ import annotations

import dataclasses

import pytest

from events.backoff import Backoff


def waits(policy: Backoff, count: int, first: int = 1) -> list[float]:
    return [policy.delay(attempt) for attempt in range(first, first + count)]


def test_the_default_waits_start_at_half_a_second_and_stop_growing_at_thirty():
    assert waits(Backoff(), 9) == [0.5, 1, 2, 4, 8, 16, 30, 30, 30]


def test_each_wait_doubles_until_the_cap_and_then_stays_there():
    assert waits(Backoff(1.0, 30.0), 7) == [1, 2, 4, 8, 16, 30, 30]  # the supervisor's restart delays


def test_a_loop_that_starts_counting_again_starts_again_from_the_initial_wait():
    policy = Backoff(0.5, 4)
    assert waits(policy, 4) == [0.5, 1, 2, 4]
    assert waits(policy, 2) == [0.5, 1]  # the counter went back to 0 after a success


def test_the_policy_holds_no_state_so_two_loops_cannot_share_any():
    policy = Backoff()
    policy.delay(1), policy.delay(2)
    assert policy.delay(1) == 0.5
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.initial = 1.0  # type: ignore[misc]


def test_no_failure_means_no_wait_and_a_long_run_of_failures_stays_at_the_cap():
    assert Backoff(30.0, 3600.0).delay(0) == 0.0
    assert Backoff(30.0, 3600.0).delay(5000) == 3600.0


def test_the_growth_factor_is_part_of_the_policy():
    assert waits(Backoff(1.0, 100.0, factor=3.0), 5) == [1, 3, 9, 27, 81]
