"""The event model: immutable, and every type survives a JSON round trip."""

from __future__ import annotations

import dataclasses

import pytest

from console.events import (
    EVENT_TYPES,
    CheckReported,
    DeployProgress,
    MlflowRunLink,
    NodeCommandStatus,
    NodeOutputLine,
    Notice,
    RunFinished,
    StackResourceEvent,
    StageFinished,
    StageStarted,
    from_json,
)

SAMPLES = [
    StageStarted("deploy"),
    StageFinished("deploy", "ok", 1.25, "23 resources"),
    StackResourceEvent("ClusterNode1", "AWS::EC2::Instance", "CREATE_FAILED", "InsufficientInstanceCapacity"),
    DeployProgress(12, 23),
    NodeOutputLine("node1", "stderr", "pip: ERROR: x"),
    NodeCommandStatus("node2", "i-0abc", "TimedOut", -1),
    CheckReported("node1", "efa.domains", "pass", "4 RDM domains", {"count": 4, "domains": ["a-rdm"]}),
    MlflowRunLink("node1", "1", "ab" * 16, "http://10.0.0.1:5000/#/x", "http://localhost:5000/#/x", "aws ssm ..."),
    Notice("warning", "cancelling"),
    RunFinished(False, 1, "node2: failed efa.provider"),
]


def test_every_type_has_a_sample() -> None:
    assert {type(e) for e in SAMPLES} == set(EVENT_TYPES.values())


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: type(e).__name__)
def test_json_round_trip(event: object) -> None:
    line = event.to_json()  # type: ignore[attr-defined]
    assert "\n" not in line
    assert from_json(line) == event


def test_events_are_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        SAMPLES[0].stage = "other"  # type: ignore[misc]
