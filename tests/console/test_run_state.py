"""The run state on disk: what attach and --resume read back (pure, no AWS)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from console.log_cursor import LogCursor
from console.run_state import STATE_FILE, NodeRef, RunState, RunStateError, cut_back, latest_run, run_in_flight


def _state() -> RunState:
    return RunState("nixl-a", "us-east-1", True, {"nodeCount": "2"}, "20261204T000000Z")


def test_state_round_trips_with_nodes_and_the_log_cursor(tmp_path: Path) -> None:
    state = _state()
    state.nodes = [NodeRef("node1", 0, "i-1", "10.0.0.1"), NodeRef("node2", 1, "i-2", "10.0.0.2")]
    state.command_id, state.stages_done = "cmd-1", ["synth", "deploy", "upload", "wait-ssm"]
    cursor = LogCursor()
    cursor.accept(
        [
            {"logStreamName": "s1", "timestamp": 5, "eventId": "a"},
            {"logStreamName": "s1", "timestamp": 7, "eventId": "b"},
            {"logStreamName": "s1", "timestamp": 7, "eventId": "c"},
        ]
    )
    state.save_cursor(cursor)
    state.save(tmp_path)
    back = RunState.load(tmp_path)
    assert back == state and back.in_flight
    restored = back.load_cursor()
    # The restored cursor drops what was delivered and keeps what was not, exactly like the original.
    again = [
        {"logStreamName": "s1", "timestamp": 7, "eventId": "c"},
        {"logStreamName": "s1", "timestamp": 7, "eventId": "d"},
        {"logStreamName": "s1", "timestamp": 9, "eventId": "e"},
    ]
    assert [e["eventId"] for e in restored.accept(again)] == ["d", "e"]
    assert not list(tmp_path.glob(".*.tmp"))  # written atomically through a temporary file


def test_a_finished_or_unsent_run_is_not_in_flight() -> None:
    state = _state()
    assert not state.in_flight  # no command yet
    state.command_id = "cmd-1"
    state.stages_done.append("run")
    assert not state.in_flight


def test_cut_back_removes_what_the_state_does_not_cover(tmp_path: Path) -> None:
    (tmp_path / "events.jsonl").write_text("one\ntwo\n")
    (tmp_path / "node1.log").write_text("a\nb\nc\n")
    (tmp_path / "node2.log").write_text("late\n")  # created after the last save
    changed = cut_back(tmp_path, {"events.jsonl": 4, "node1.log": 4})
    assert sorted(changed) == ["events.jsonl", "node1.log", "node2.log"]
    assert (tmp_path / "events.jsonl").read_text() == "one\n"
    assert (tmp_path / "node1.log").read_text() == "a\nb\n"
    assert (tmp_path / "node2.log").read_text() == ""
    assert cut_back(tmp_path, {"events.jsonl": 4, "node1.log": 4}) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no state.json"),
        ("{not json", "unreadable run state"),
        (json.dumps({"format": 99}), "state format 99"),
        (json.dumps({"format": 1, "stack": "x"}), "unreadable run state"),
    ],
)
def test_bad_state_files_say_what_is_wrong(tmp_path: Path, content: str | None, message: str) -> None:
    if content is not None:
        (tmp_path / STATE_FILE).write_text(content)
    with pytest.raises(RunStateError, match=message):
        RunState.load(tmp_path)


def test_latest_run_is_the_newest_with_a_state(tmp_path: Path) -> None:
    with pytest.raises(RunStateError, match="no run with a saved state"):
        latest_run(tmp_path)
    for name in ("20261204T010000Z", "20261204T020000Z"):
        run = tmp_path / "stack-a" / name
        run.mkdir(parents=True)
        _state().save(run)
    (tmp_path / "stack-a" / "20261204T030000Z").mkdir()  # no state: not a candidate
    assert latest_run(tmp_path).name == "20261204T020000Z"
    assert latest_run(tmp_path, "stack-a").name == "20261204T020000Z"


def test_run_in_flight_is_the_newest_run_with_a_live_command(tmp_path: Path) -> None:
    run = tmp_path / "stack-a" / "20261204T010000Z"
    run.mkdir(parents=True)
    state = _state()
    state.save(run)
    alive = {"yes": True}
    assert run_in_flight(tmp_path, "stack-a", lambda _: alive["yes"]) is None  # no command sent yet
    state.command_id = "cmd-1"
    state.save(run)
    assert run_in_flight(tmp_path, "stack-a", lambda _: alive["yes"]) == run
    assert run_in_flight(tmp_path, "stack-b", lambda _: alive["yes"]) is None
    alive["yes"] = False  # a sandbox run whose sandbox is gone cannot be attached to
    assert run_in_flight(tmp_path, "stack-a", lambda _: alive["yes"]) is None
    state.sandbox, state.finished = False, True
    state.save(run)
    assert run_in_flight(tmp_path, "stack-a", lambda _: True) is None  # finished
