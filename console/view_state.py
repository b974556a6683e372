"""What a view shows, folded from the engine's events (pure; the TUI renders it, tests read it).

Keeps only bounded summaries: node output itself goes to the run directory and the log panes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from console.deploy_progress import DeployProgressModel
from console.events import (
    CheckReported,
    DeployProgress,
    Event,
    MlflowRunLink,
    NodeCommandStatus,
    NodeOutputLine,
    Notice,
    RunFinished,
    StackResourceEvent,
    StageFinished,
    StageStarted,
)

# Meaning never rides on colour alone: every status has a symbol too.
SYMBOL = {"pass": "✔", "fail": "✘", "warn": "!", "skip": "-", None: "·"}
COMMAND_SYMBOL = {
    "Pending": "…",
    "InProgress": "▶",
    "Success": "✔",
    "Failed": "✘",
    "TimedOut": "✘",
    "Cancelled": "■",
    "Cancelling": "■",
}


@dataclass
class ResourceRow:
    logical_id: str
    resource_type: str
    status: str
    reason: str
    ts: float


@dataclass
class NodeRow:
    name: str
    instance_id: str = ""
    status: str = "Pending"
    exit_code: int | None = None
    lines: int = 0
    checks: dict[str, CheckReported] = field(default_factory=dict)

    def check_counts(self) -> Counter[str]:
        return Counter(c.status for c in self.checks.values())

    def check_summary(self, kinds: tuple[str, ...] = ("pass", "fail", "warn", "skip"), sep: str = " ") -> str:
        """Check counts by symbol, e.g. `✔9 ✘3`."""
        counts = self.check_counts()
        return sep.join(f"{SYMBOL[k]}{counts[k]}" for k in kinds if counts[k])

    def status_line(self) -> str:
        """The command's state, exit code and lines, e.g. `✔ Success exit 0 · 40 lines`."""
        code = f" exit {self.exit_code}" if self.exit_code is not None else ""
        return f"{COMMAND_SYMBOL.get(self.status, '·')} {self.status}{code} · {self.lines} lines"

    def efa(self) -> dict[str, str]:
        """One EFA matrix row: text cells that read without colour."""

        def cell(check: str, text: str = "") -> str:
            result = self.checks.get(check)
            if result is None:
                return SYMBOL[None]
            return f"{SYMBOL[result.status]} {text}".strip()

        devices = self.checks.get("efa.devices")
        found = devices.data.get("count") if devices else None
        expected = devices.data.get("expected") if devices else None
        domains = self.checks.get("efa.domains")
        gpus = self.checks.get("gpu.devices")
        return {
            "node": self.name,
            "devices": cell("efa.devices", f"{found}/{expected if expected is not None else '?'}")
            if devices
            else cell("efa.devices"),
            "provider": cell("efa.provider", "efa" if self.checks.get("efa.provider") else ""),
            "domains": cell("efa.domains", str(domains.data.get("count", 0)) if domains else ""),
            "gdr": cell("efa.gdr", "GDR" if self.checks.get("efa.gdr") else ""),
            "gpus": cell("gpu.devices", str(gpus.data.get("count", 0)) if gpus else ""),
        }


@dataclass
class ViewState:
    stack: str
    region: str
    sandbox: bool
    stage: str = "ready"
    stage_started: float | None = None
    run_started: float | None = None
    stages: list[StageFinished] = field(default_factory=list)
    progress: DeployProgressModel | None = None
    resources: dict[str, ResourceRow] = field(default_factory=dict)
    nodes: dict[str, NodeRow] = field(default_factory=dict)
    links: list[MlflowRunLink] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    finished: RunFinished | None = None

    def node(self, name: str) -> NodeRow:
        if name not in self.nodes:
            self.nodes[name] = NodeRow(name)
        return self.nodes[name]

    def apply(self, event: Event) -> None:
        if isinstance(event, NodeOutputLine):  # by far the most frequent event: tested first
            if event.node != "cdk":
                self.node(event.node).lines += 1
        elif isinstance(event, StageStarted):
            self.stage, self.stage_started = event.stage, event.ts
            if self.run_started is None:
                self.run_started = event.ts
        elif isinstance(event, StageFinished):
            self.stages.append(event)
            if event.status == "failed":
                self.stage = f"{event.stage} failed"
        elif isinstance(event, DeployProgress):
            if self.progress is None:
                self.progress = DeployProgressModel(self.stack, event.total)
            self.progress.total = event.total
        elif isinstance(event, StackResourceEvent):
            if self.progress is None:
                self.progress = DeployProgressModel(self.stack, 0)
            self.progress.apply(event.logical_id, event.status, event.reason)
            if event.logical_id != self.stack:
                self.resources[event.logical_id] = ResourceRow(
                    event.logical_id, event.resource_type, event.status, event.reason, event.ts
                )
        elif isinstance(event, NodeCommandStatus):
            row = self.node(event.node)
            row.instance_id, row.status, row.exit_code = event.instance_id, event.status, event.exit_code
        elif isinstance(event, CheckReported):
            self.node(event.node).checks[event.check] = event
        elif isinstance(event, MlflowRunLink):
            self.links.append(event)
        elif isinstance(event, Notice):
            self.notices.append(event)
            del self.notices[:-50]  # bounded
        elif isinstance(event, RunFinished):
            self.finished = event
            self.stage = "done" if event.ok else f"failed (exit {event.exit_code})"

    def elapsed(self, now: float) -> float:
        """Seconds since the run began, frozen when it ends."""
        if self.run_started is None:
            return 0.0
        end = self.finished.ts if self.finished else now
        return max(0.0, end - self.run_started)

    @property
    def failure_reason(self) -> str:
        if self.progress and self.progress.first_failure:
            logical_id, reason = self.progress.first_failure
            return f"{logical_id}: {reason}"
        return ""
