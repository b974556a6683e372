"""A run's state on disk (`state.json` in its run directory), so a killed console can pick the run up again.

Pure: no AWS, no UI. The engine saves it as the run goes (stage by stage, and after every log poll that
brought something): the stages done, the SSM command, the nodes, the log cursor (per-stream read
positions) and the size of every file it has written. The sizes make attaching exact: a console killed
between writing lines and saving the state leaves a few lines on disk that the state does not cover;
attaching cuts the files back to the saved sizes and reads those lines again, so each line is on disk
once, whatever moment the kill came.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from console.log_cursor import LogCursor, StreamCursor

STATE_FILE = "state.json"
FORMAT = 1


class RunStateError(Exception):
    """The run directory cannot be attached to or resumed; the message says why and what to do."""


@dataclass
class NodeRef:
    name: str
    rank: int
    instance_id: str
    private_ip: str


@dataclass
class RunState:
    stack: str
    region: str
    sandbox: bool
    overrides: dict[str, str]
    run_id: str
    stage: str = ""
    stages_done: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    nodes: list[NodeRef] = field(default_factory=list)
    command_id: str | None = None
    run_nodes: list[str] = field(default_factory=list)  # what the command targets
    since_ms: int = 0  # where the log stream started
    cursor: dict[str, dict[str, Any]] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)  # command status per node, as last seen
    sizes: dict[str, int] = field(default_factory=dict)  # file name -> bytes covered by this state
    finished: bool = False
    exit_code: int | None = None
    sandbox_root: str | None = None  # the sandbox process serving this run, when on the sandbox
    format: int = FORMAT

    # -- the log cursor -------------------------------------------------------------------------
    def save_cursor(self, cursor: LogCursor) -> None:
        self.cursor = {
            name: {"last_ts": c.last_ts, "ids": sorted(c.ids_at_last_ts)} for name, c in cursor.streams.items()
        }

    def load_cursor(self) -> LogCursor:
        return LogCursor({name: StreamCursor(int(c["last_ts"]), set(c["ids"])) for name, c in self.cursor.items()})

    @property
    def in_flight(self) -> bool:
        """A command was sent and the console did not see it end."""
        return bool(self.command_id) and not self.finished and "run" not in self.stages_done

    # -- disk -----------------------------------------------------------------------------------
    def save(self, run_dir: Path) -> None:
        tmp = run_dir / f".{STATE_FILE}.tmp"
        tmp.write_text(json.dumps(asdict(self), indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, run_dir / STATE_FILE)  # atomic: a kill leaves the old state or the new one

    @classmethod
    def load(cls, run_dir: Path) -> RunState:
        path = run_dir / STATE_FILE
        if not path.is_file():
            raise RunStateError(f"{run_dir}: no {STATE_FILE} (not a run directory, or written by an older console)")
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if raw.get("format") != FORMAT:
                raise RunStateError(f"{path}: state format {raw.get('format')!r}, this console reads {FORMAT}")
            raw["nodes"] = [NodeRef(**n) for n in raw.get("nodes", [])]
            return cls(**raw)
        except (ValueError, TypeError, KeyError) as err:
            raise RunStateError(f"{path}: unreadable run state ({err}); start a new run") from None


def cut_back(run_dir: Path, sizes: dict[str, int]) -> list[str]:
    """Cut events.jsonl and the node logs back to what the state covers; returns the files changed.

    A node log the state does not know was created after the last save: it is emptied the same way.
    """
    changed = []
    for path in [run_dir / "events.jsonl", *sorted(run_dir.glob("*.log"))]:
        if not path.is_file():
            continue
        keep = sizes.get(path.name, 0)
        if path.stat().st_size > keep:
            with path.open("r+b") as f:
                f.truncate(keep)
            changed.append(path.name)
    return changed


def latest_run(runs_dir: Path, stack: str | None = None) -> Path:
    """The newest run directory with a state (of one stack, or of any)."""
    pattern = f"{stack}/*/{STATE_FILE}" if stack else f"*/*/{STATE_FILE}"
    states = sorted(runs_dir.glob(pattern), key=lambda p: (p.stat().st_mtime, p.parent.name))
    if not states:
        where = f"{runs_dir}/{stack or '*'}"
        raise RunStateError(f"no run with a saved state under {where}; give the run directory (RUN_DIR)")
    return states[-1].parent


def run_in_flight(
    runs_dir: Path, stack: str, sandbox_alive: Callable[[Path], bool], sandbox: bool | None = None
) -> Path | None:
    """The newest run of this stack whose command is still in flight, if any (the console opening on that
    stack attaches to it instead of starting a second run); `sandbox`: only runs of that kind. A sandbox
    run counts only while its sandbox lives."""
    try:
        run_dir = latest_run(runs_dir, stack)
        state = RunState.load(run_dir)
    except RunStateError:
        return None
    if not state.in_flight or (sandbox is not None and state.sandbox != sandbox):
        return None
    if state.sandbox and not sandbox_alive(Path(state.sandbox_root or run_dir / "sandbox")):
        return None
    return run_dir
