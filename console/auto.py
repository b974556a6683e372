"""The headless view: plain lines on stdout, a final table, report.json and junit.xml. Never builds a
Textual App (a terminal is not needed, and CI has none)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

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
from console.sanitize import clean_line
from tasks.lib.protocol import PREFIX

MARK = {"pass": "PASS", "fail": "FAIL", "warn": "WARN", "skip": "SKIP"}


class AutoView:
    def __init__(self, out: TextIO = sys.stdout, *, show_cdk: bool = False) -> None:
        self.out = out
        self.show_cdk = show_cdk
        self.checks: dict[str, dict[str, CheckReported]] = {}
        self._last_progress = -1

    def _p(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def __call__(self, event: Event) -> None:
        if isinstance(event, StageStarted):
            self._p(f"== {event.stage} ...")
        elif isinstance(event, StageFinished):
            detail = f": {clean_line(event.detail)}" if event.detail else ""
            self._p(f"== {event.stage} {event.status} ({event.seconds:.1f}s){detail}")
        elif isinstance(event, StackResourceEvent):
            if event.status.endswith("FAILED"):
                self._p(f"   deploy {event.status} {event.logical_id} ({event.resource_type}): {event.reason}")
        elif isinstance(event, DeployProgress):
            if event.done != self._last_progress and (event.done == event.total or event.done % 5 == 0):
                self._p(f"   deploy {event.done}/{event.total} resources")
                self._last_progress = event.done
        elif isinstance(event, NodeOutputLine):
            if event.node == "cdk" and not self.show_cdk:
                return
            if event.text.startswith(PREFIX):
                return  # shown as a check line instead
            mark = "!" if event.stream == "stderr" else "|"
            self._p(f"{event.node:>6} {mark} {clean_line(event.text)}")
        elif isinstance(event, CheckReported):
            self.checks.setdefault(event.node, {})[event.check] = event
            self._p(f"{event.node:>6} [{MARK[event.status]}] {event.check}: {clean_line(event.detail)}")
        elif isinstance(event, NodeCommandStatus):
            code = f" (exit {event.exit_code})" if event.exit_code is not None else ""
            self._p(f"{event.node:>6} command {event.status}{code}")
        elif isinstance(event, MlflowRunLink):
            self._p(f"{event.node:>6} MLflow run: {event.url}")
        elif isinstance(event, Notice):
            self._p(f"{event.level}: {clean_line(event.message)}")
        elif isinstance(event, RunFinished):
            self._table()
            self._p(f"result: {'OK' if event.ok else 'FAILED'} (exit {event.exit_code}) {event.summary}")

    def _table(self) -> None:
        if not self.checks:
            return
        nodes = sorted(self.checks, key=lambda n: (len(n), n))
        ids = list(dict.fromkeys(c for node in nodes for c in self.checks[node]))
        width = max(len(i) for i in ids)
        self._p("")
        self._p(" " * width + "  " + "  ".join(f"{n:>6}" for n in nodes))
        for check in ids:
            cells = [MARK[self.checks[n][check].status] if check in self.checks[n] else "-" for n in nodes]
            self._p(f"{check:<{width}}  " + "  ".join(f"{c:>6}" for c in cells))
        self._p("")


def write_reports(report: dict, run_dir: Path, junit: str, report_path: Path | None, junit_path: Path | None) -> None:
    text = json.dumps(report, indent=2, sort_keys=False, default=str) + "\n"
    (run_dir / "report.json").write_text(text)
    (run_dir / "junit.xml").write_text(junit)
    if report_path:
        report_path.parent.mkdir(parents=True, exist_ok=True)
        report_path.write_text(text)
    if junit_path:
        junit_path.parent.mkdir(parents=True, exist_ok=True)
        junit_path.write_text(junit)
