"""Issue #30, found again by the chaos run: after a broker restart every instance of a worker kind must
consume in the same group, whatever it saw at its start. The instance that lived through the restart
moves to the incarnation group (``events.kafka.incarnation_group``); one started after it saw no
re-creation and stayed in the plain group, so the kind split into two groups that each read every
partition, and ``events status`` showed a false lag."""

from __future__ import annotations

from typing import Any

from workers.rejoin import Membership, TopicRewind


class FakeConsumer:
    def poll(self, timeout_ms: int = 0, max_records: Any = None) -> dict[Any, list[Any]]:
        return {}

    def close(self, **_kw: Any) -> None:
        pass


class Broker:
    """Topic ids and the groups that have members, as the instances' admin requests see them."""

    def __init__(self) -> None:
        self.layout = {"payouts": ("id-first-life", 2)}
        self.members: dict[str, str] = {}  # instance → the group it joined

    def instance(self, name: str) -> Membership:
        rewind = TopicRewind(["payouts"], lambda: dict(self.layout), name=name, interval=0)

        def join(group: str) -> FakeConsumer:
            self.members[name] = group
            return FakeConsumer()

        return Membership(join, rewind, group_id="payouts", rejoin_after=60, name=name,
                          groups=lambda: set(self.members.values()))


def settle(*instances: Membership) -> None:
    for _ in range(4):
        for instance in instances:
            instance.poll(0)


def test_an_instance_started_after_the_restart_joins_the_survivors_group() -> None:
    broker = Broker()
    survivor = broker.instance("payouts-1")
    settle(survivor)
    assert broker.members == {"payouts-1": "payouts"}  # a broker never restarted: the plain name
    broker.layout = {"payouts": ("id-second-life", 2)}  # came back empty; the relay re-created the topic
    settle(survivor)
    late = broker.instance("payouts-2")
    settle(survivor, late)
    assert broker.members["payouts-2"] == broker.members["payouts-1"] != "payouts"


def test_an_instance_that_joined_the_plain_group_just_before_the_survivor_moved_follows_it() -> None:
    broker = Broker()
    survivor = broker.instance("payouts-1")
    settle(survivor)
    broker.layout = {"payouts": ("id-second-life", 2)}
    late = broker.instance("payouts-2")
    settle(late)  # started before the survivor noticed the restart: nothing to follow yet
    assert broker.members["payouts-2"] == "payouts"
    settle(survivor, late)
    assert broker.members["payouts-2"] == broker.members["payouts-1"] != "payouts"
