"""End-to-end helpers: the real CLI in a subprocess, and an in-process sandbox shared where runs don't interfere."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stack.cdk_env import PROJECT_ROOT

CONSOLE = str(PROJECT_ROOT / ".venv" / "bin" / "nixl-console")


@dataclass
class ConsoleRun:
    returncode: int
    stdout: str
    stderr: str
    run_dir: Path | None

    @property
    def report(self) -> dict[str, Any]:
        assert self.run_dir is not None, self.stdout + self.stderr
        return json.loads((self.run_dir / "report.json").read_text())

    def node(self, name: str) -> dict[str, Any]:
        return next(n for n in self.report["nodes"] if n["name"] == name)

    def check(self, node: str, check: str) -> dict[str, Any]:
        return next(c for c in self.node(node)["checks"] if c["id"] == check)


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "NO_COLOR", "TEXTUAL"))}


def no_aws_env(**extra: str) -> dict[str, str]:
    """An environment with no AWS credentials anywhere (no variables, an empty home, no instance metadata)."""
    home = tempfile.mkdtemp()
    env = {**clean_env(), "HOME": home, "AWS_CONFIG_FILE": f"{home}/none", "AWS_SHARED_CREDENTIALS_FILE": f"{home}/no"}
    return {**env, "AWS_EC2_METADATA_DISABLED": "true", **extra}


def find_run_dir(runs: Path) -> Path | None:
    found = sorted(p for p in runs.glob("*/*") if p.is_dir())
    return found[-1] if found else None


def run_console(*args: str, timeout: float = 420) -> ConsoleRun:
    runs = Path(tempfile.mkdtemp(prefix="runs-"))
    # A failed run's sandbox would wait for --resume; tests that want that say so.
    linger = [] if "--sandbox-linger" in args else ["--sandbox-linger", "0"]
    proc = subprocess.run(
        [CONSOLE, "--auto", "--runs-dir", str(runs), *linger, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=clean_env(),
        stdin=subprocess.DEVNULL,
        check=False,
    )
    return ConsoleRun(proc.returncode, proc.stdout, proc.stderr, find_run_dir(runs))


@pytest.fixture(scope="module")
def shared_sandbox() -> Iterator[Any]:
    from console.sandbox.runtime import Sandbox, SandboxSpec

    root = Path(tempfile.mkdtemp(prefix="sandbox-"))
    sandbox = Sandbox(root, SandboxSpec(profile="p5"), "us-east-1").start()
    try:
        yield sandbox
    finally:
        sandbox.stop()


# -- the fault matrix's table ------------------------------------------------------------------------
FAULT_ROWS: list[tuple[str, str, int, int, str]] = []


def record_fault(fault: str, expected: str, exit_code: int, lines: int, message: str) -> None:
    """One row of the fault matrix, printed at the end of the session (only rows whose test passed)."""
    FAULT_ROWS.append((fault, expected, exit_code, lines, message))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FAULT_ROWS:
        return
    write = terminalreporter.write_line
    terminalreporter.section("fault matrix")
    write(f"{'fault':<36} {'expected':<44} {'exit':>4} {'lines kept':>10}  what the operator is told")
    for fault, expected, code, lines, message in FAULT_ROWS:
        told = message if len(message) <= 110 else message[:107] + "..."
        write(f"{fault:<36} {expected:<44} {code:>4} {lines or '-':>10}  {told}")
