"""Runs the project's pinned CDK CLI (node_modules/.bin/cdk) with the quiet environment."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from stack.cdk_env import CDK_CLI, PROJECT_ROOT, cdk_env


class CdkCliMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class CdkResult:
    returncode: int
    stdout: str
    stderr: str


def cdk_command(args: Sequence[str]) -> list[str]:
    if not CDK_CLI.exists():
        raise CdkCliMissing(f"the CDK CLI is not installed at {CDK_CLI}: run scripts/setup first")
    return [str(CDK_CLI), *args]


def run_cdk(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path = PROJECT_ROOT,
    timeout: float = 600,
) -> CdkResult:
    proc = subprocess.run(
        cdk_command(args),
        cwd=cwd,
        env=cdk_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    return CdkResult(proc.returncode, proc.stdout, proc.stderr)
