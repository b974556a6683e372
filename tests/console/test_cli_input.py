"""Bad input: one clear line on stderr and exit 2, never a traceback; --help stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest

from console.engine import verdict
from stack.cdk_env import PROJECT_ROOT
from tests.e2e.conftest import no_aws_env

CONSOLE = str(PROJECT_ROOT / ".venv" / "bin" / "nixl-console")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CONSOLE, *args], capture_output=True, text=True, timeout=60, env=no_aws_env(), check=False)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--auto", "--sandbox-profile", "p5"], "error: --sandbox-* options need --sandbox"),
        (["--auto", "--sandbox", "--sandbox-profile", "p9"], "error: sandbox node all='p9': not a profile"),
        (["--auto", "--sandbox", "--sandbox-node", "two=p5"], "error: --sandbox-node 'two=p5': expected NODE="),
        (["--auto", "--sandbox", "--sandbox-throttle", "2"], "error: --sandbox-throttle 2.0: a share from 0"),
        (["--auto", "--sandbox", "--sandbox-flaky-logs", "1"], "error: --sandbox-flaky-logs 1.0: a share from 0"),
        (["--auto", "--sandbox-fail-deploy", "NodeRole"], "error: --sandbox-* options need --sandbox"),
        (["attach", "/nonexistent"], "error: /nonexistent: no state.json"),
        (["--auto", "--resume", "/nonexistent", "-c", "nodeCount=4"], "error: --resume / attach continue a run"),
        (["status"], "error: no AWS credentials found"),
    ],
)
def test_bad_input_exits_2_with_one_line(args: list[str], message: str) -> None:
    proc = _run(*args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith(message), proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_help_imports_neither_boto3_nor_aws_cdk() -> None:
    code = (
        "import sys\nfrom console.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('boto3', 'botocore', 'aws_cdk', 'moto', 'jsii') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("[]")


def test_verdict() -> None:
    assert verdict({"node1": "Success", "node2": "Success"}, {}, ["node1", "node2"])[0] == 0
    code, summary = verdict({"node1": "Success", "node2": "Failed"}, {"node2": ["efa.provider"]}, ["node1", "node2"])
    assert (code, summary) == (1, "node2: failed efa.provider")
    code, summary = verdict({"node1": "TimedOut"}, {}, ["node1", "node2"])
    assert code == 1 and summary == "node1: command TimedOut; node2: command NotRun"
