"""A run's directory: every event (events.jsonl) and each node's complete output (node1.log, ...).

Nothing is lost whatever a view shows: lines are appended as they arrive and flushed per batch.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import IO

from console.events import Event, NodeOutputLine


def new_run_dir(base: Path, stack: str) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = base / stack / stamp
    suffix = 1
    while path.exists():
        suffix += 1
        path = base / stack / f"{stamp}-{suffix}"
    path.mkdir(parents=True)
    return path


class RunRecorder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._events: IO[str] = (path / "events.jsonl").open("a", encoding="utf-8")
        self._logs: dict[str, IO[str]] = {}

    def log_path(self, node: str) -> Path:
        return self.path / f"{node}.log"

    def record(self, event: Event) -> None:
        self._events.write(event.to_json() + "\n")
        if isinstance(event, NodeOutputLine):
            log = self._logs.get(event.node)
            if log is None:
                log = self._logs[event.node] = self.log_path(event.node).open("a", encoding="utf-8")
            log.write(event.text + "\n" if event.stream == "stdout" else f"[stderr] {event.text}\n")

    def flush(self) -> None:
        self._events.flush()
        for log in self._logs.values():
            log.flush()

    def sizes(self) -> dict[str, int]:
        """Bytes written so far per file (after a flush), for the run state."""
        self.flush()
        files = {"events.jsonl": self._events, **{f"{node}.log": log for node, log in self._logs.items()}}
        return {name: f.tell() for name, f in files.items()}

    def close(self) -> None:
        self.flush()
        self._events.close()
        for log in self._logs.values():
            log.close()
