"""The group a consumer re-joins under after the broker re-created its topics, and how status names it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from kafka import TopicPartition

from events.kafka import consumer_of_group, incarnation_group
from events.status import _groups


def test_every_process_of_a_consumer_picks_the_same_group_and_a_new_broker_life_a_new_one() -> None:
    first = {"listings": "id-a", "orders": "id-b"}
    same_ids_other_order = {"orders": "id-b", "listings": "id-a"}
    assert incarnation_group("promotion", first) == incarnation_group("promotion", same_ids_other_order)
    assert incarnation_group("promotion", first) != incarnation_group("promotion", {**first, "orders": "id-c"})
    assert incarnation_group("promotion", first) != "promotion"
    assert incarnation_group("notify", first) != incarnation_group("promotion", first)


def test_an_incarnation_group_belongs_to_its_consumer_and_a_plain_name_to_itself() -> None:
    assert consumer_of_group(incarnation_group("promotion", {"listings": "x"})) == ("promotion", True)
    assert consumer_of_group("promotion") == ("promotion", False)
    assert consumer_of_group("ops.reports") == ("ops.reports", False)


class FakeAdmin:
    def __init__(self, committed: dict[str, dict[TopicPartition, int]], ends: dict[TopicPartition, int],
                 topic_id: str):
        self.committed, self.ends, self.topic_id = committed, ends, topic_id

    def list_groups(self) -> list[dict[str, str]]:
        return [{"group_id": g} for g in self.committed]

    def list_group_offsets(self, groups: dict[str, Any]) -> dict[str, dict[TopicPartition, Any]]:
        return {g: {tp: SimpleNamespace(offset=o) for tp, o in self.committed[g].items()} for g in groups}

    def list_partition_offsets(self, specs: dict[TopicPartition, Any]) -> dict[TopicPartition, Any]:
        return {tp: SimpleNamespace(offset=self.ends[tp]) for tp in specs}

    def list_topics(self) -> list[str]:
        return ["listings"]

    def describe_topics(self, names: list[str]) -> list[dict[str, Any]]:
        return [{"name": "listings", "topic_id": self.topic_id, "partitions": [{"partition_index": 0}]}]


def test_status_reports_the_lag_of_the_re_joined_group_under_the_consumers_name() -> None:
    tp = TopicPartition("listings", 0)
    rejoined = incarnation_group("promotion", {"listings": "new"})
    older = incarnation_group("promotion", {"listings": "old"})  # a previous broker life: history
    admin = FakeAdmin({"promotion": {tp: 1}, older: {tp: 3}, rejoined: {tp: 8}, "notify": {tp: 10}}, {tp: 10},
                      topic_id="new")
    groups = _groups(admin, {"promotion": ["listings"], "notify": ["listings"]})
    assert [(g["consumer"], g["group"], g["lag"]) for g in groups] == [
        ("notify", "notify", 0), ("promotion", rejoined, 2),
    ]
