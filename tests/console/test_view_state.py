"""The view state folded from events: progress, resources, nodes, EFA matrix rows, links."""

from __future__ import annotations

from console.events import (
    CheckReported,
    DeployProgress,
    MlflowRunLink,
    NodeCommandStatus,
    NodeOutputLine,
    RunFinished,
    StackResourceEvent,
    StageStarted,
)
from console.view_state import ViewState


def test_fold_a_run() -> None:
    state = ViewState("s", "us-east-1", sandbox=True)
    for event in [
        StageStarted("deploy", ts=100.0),
        DeployProgress(0, 3),
        StackResourceEvent("s", "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS"),
        StackResourceEvent("Vpc", "AWS::EC2::VPC", "CREATE_COMPLETE"),
        StackResourceEvent("Node1", "AWS::EC2::Instance", "CREATE_FAILED", "no capacity"),
        NodeOutputLine("node1", "stdout", "hello"),
        NodeOutputLine("cdk", "stdout", "cdk line"),
        CheckReported("node1", "efa.devices", "pass", "4", {"count": 4, "expected": 4}),
        CheckReported("node1", "efa.provider", "pass", "efa"),
        CheckReported("node1", "efa.domains", "pass", "4", {"count": 4}),
        CheckReported("node1", "gpu.devices", "pass", "8", {"count": 8}),
        CheckReported("node2", "efa.provider", "fail", "-61"),
        NodeCommandStatus("node2", "i-2", "Failed", 1),
        MlflowRunLink("node1", "1", "r", "http://x", "http://localhost", "aws ssm"),
        RunFinished(False, 1, "node2 failed"),
    ]:
        state.apply(event)
    assert state.elapsed(130.0) == state.finished.ts - 100.0  # frozen at the end of the run
    assert state.progress is not None and (state.progress.done, state.progress.total) == (1, 3)
    assert state.failure_reason == "Node1: no capacity"
    assert set(state.resources) == {"Vpc", "Node1"}
    assert state.nodes["node1"].lines == 1 and "cdk" not in state.nodes
    assert state.nodes["node1"].efa() == {
        "node": "node1",
        "devices": "✔ 4/4",
        "provider": "✔ efa",
        "domains": "✔ 4",
        "gdr": "·",
        "gpus": "✔ 8",
    }
    row2 = state.nodes["node2"].efa()
    assert row2["provider"] == "✘ efa" and row2["devices"] == "·"
    assert (state.nodes["node2"].status, state.nodes["node2"].exit_code) == ("Failed", 1)
    assert len(state.links) == 1 and state.stage == "failed (exit 1)"
