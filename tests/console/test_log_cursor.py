"""Log polling delivers each line once and in order, whatever the polls overlap or repeat."""

from __future__ import annotations

from console.log_cursor import LogCursor


def ev(stream: str, ts: int, eid: str, msg: str = "") -> dict[str, object]:
    return {"logStreamName": stream, "timestamp": ts, "eventId": eid, "message": msg or eid}


def test_overlapping_polls_and_same_millisecond_lines() -> None:
    cursor = LogCursor()
    first = cursor.accept([ev("a", 5, "1"), ev("a", 5, "2")])
    # The next poll starts at the boundary (inclusive) and sees the same lines plus new ones.
    second = cursor.accept([ev("a", 5, "1"), ev("a", 5, "2"), ev("a", 5, "3"), ev("a", 6, "4")])
    third = cursor.accept([ev("a", 6, "4")])  # a retried poll
    assert [e["eventId"] for e in first + second + third] == ["1", "2", "3", "4"]


def test_streams_are_independent_and_start_time_covers_unseen_streams() -> None:
    cursor = LogCursor()
    cursor.accept([ev("a", 100, "a1"), ev("b", 40, "b1")])
    assert cursor.start_time(["a", "b"], since=0) == 40
    # Stream c has not been seen: the next poll must start from `since`, not from a's or b's position.
    assert cursor.start_time(["a", "b", "c"], since=10) == 10
    late = cursor.accept([ev("b", 41, "b2"), ev("a", 100, "a1"), ev("c", 12, "c1")])
    assert [e["eventId"] for e in late] == ["b2", "c1"]


def test_order_within_a_stream_is_kept() -> None:
    cursor = LogCursor()
    got = cursor.accept([ev("a", 3, "x"), ev("b", 1, "y"), ev("a", 1, "z")])
    assert [e["eventId"] for e in got if e["logStreamName"] == "a"] == ["z", "x"]
