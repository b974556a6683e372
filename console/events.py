"""The engine's typed event stream: what the TUI and `--auto` render, and what a run directory keeps.

Immutable, serialisable to one JSON object per line (`to_json` / `from_json`). No AWS or UI imports.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class Event:
    kind: ClassVar[str] = "event"
    ts: float = field(default_factory=time.time, kw_only=True)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, **dataclasses.asdict(self)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, default=str)


@dataclass(frozen=True)
class StageStarted(Event):
    kind: ClassVar[str] = "stage_started"
    stage: str
    detail: str = ""


@dataclass(frozen=True)
class StageFinished(Event):
    kind: ClassVar[str] = "stage_finished"
    stage: str
    status: str  # ok | failed | skipped
    seconds: float
    detail: str = ""


@dataclass(frozen=True)
class StackResourceEvent(Event):
    kind: ClassVar[str] = "stack_resource"
    logical_id: str
    resource_type: str
    status: str
    reason: str = ""


@dataclass(frozen=True)
class DeployProgress(Event):
    kind: ClassVar[str] = "deploy_progress"
    done: int
    total: int


@dataclass(frozen=True)
class NodeOutputLine(Event):
    kind: ClassVar[str] = "node_output"
    node: str
    stream: str  # stdout | stderr
    text: str


@dataclass(frozen=True)
class NodeCommandStatus(Event):
    kind: ClassVar[str] = "node_status"
    node: str
    instance_id: str
    status: str  # Pending | InProgress | Success | Failed | TimedOut | Cancelled | ...
    exit_code: int | None = None


@dataclass(frozen=True)
class CheckReported(Event):
    kind: ClassVar[str] = "check"
    node: str
    check: str
    status: str
    detail: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MlflowRunLink(Event):
    kind: ClassVar[str] = "mlflow_link"
    node: str
    experiment_id: str
    run_id: str
    url: str
    local_url: str
    port_forward: str


@dataclass(frozen=True)
class Notice(Event):
    kind: ClassVar[str] = "notice"
    level: str  # info | warning | error
    message: str


@dataclass(frozen=True)
class RunFinished(Event):
    kind: ClassVar[str] = "run_finished"
    ok: bool
    exit_code: int
    summary: str


EVENT_TYPES: dict[str, type[Event]] = {
    cls.kind: cls
    for cls in (
        StageStarted,
        StageFinished,
        StackResourceEvent,
        DeployProgress,
        NodeOutputLine,
        NodeCommandStatus,
        CheckReported,
        MlflowRunLink,
        Notice,
        RunFinished,
    )
}


def from_json(line: str) -> Event:
    payload = json.loads(line)
    cls = EVENT_TYPES[payload.pop("type")]
    return cls(**payload)
