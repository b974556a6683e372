"""The CLI path: the project's pinned CDK CLI synthesizes through cdk.json offline, with no credentials."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from stack.cdk_env import PROJECT_ROOT

pytestmark = pytest.mark.slow


def _offline_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_", "JSII_", "NODE_"))}
    env.update(HOME=str(home), AWS_EC2_METADATA_DISABLED="true")
    return env


def _cdk(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # No network namespace at all: proves synth needs neither AWS nor the internet.
    prefix = ["unshare", "--net"] if shutil.which("unshare") else []
    return subprocess.run(
        [
            *prefix,
            str(PROJECT_ROOT / "scripts" / "cdk"),
            "synth",
            "--quiet",
            "--output",
            str(tmp_path / "out"),
            *args,
        ],
        env=_offline_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_synth_offline_without_credentials_and_without_banner(tmp_path: Path) -> None:
    proc = _cdk(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "!!!!" not in proc.stderr + proc.stdout  # the Node end-of-life banner
    assert "telemetry" not in proc.stderr.lower()
    template = json.loads((tmp_path / "out" / "nixl-efa-dev-east-1.template.json").read_text())
    assert template["Outputs"]["InstanceType"]["Value"] == "g5.12xlarge"


def test_prod_via_cli_retains_bucket_and_has_32_efa(tmp_path: Path) -> None:
    proc = _cdk(tmp_path, "-c", "profile=prod", "-c", "stackName=nixl-efa-prod")
    assert proc.returncode == 0, proc.stderr
    template = json.loads((tmp_path / "out" / "nixl-efa-prod.template.json").read_text())
    resources = template["Resources"].values()
    (lt,) = [r for r in resources if r["Type"] == "AWS::EC2::LaunchTemplate"]
    assert len(lt["Properties"]["LaunchTemplateData"]["NetworkInterfaces"]) == 32
    (bucket,) = [r for r in resources if r["Type"] == "AWS::S3::Bucket"]
    assert bucket["DeletionPolicy"] == "Retain"


def test_bad_context_value_exits_nonzero_with_one_clear_line(tmp_path: Path) -> None:
    proc = _cdk(tmp_path, "-c", "nodeCount=40")
    assert proc.returncode != 0
    assert "error: invalid context nodeCount='40': a whole number from 2 to 16" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_console_synth_command_summarizes_and_rejects_bad_input(tmp_path: Path) -> None:
    console = str(PROJECT_ROOT / ".venv" / "bin" / "nixl-console")
    env = _offline_env(tmp_path)
    bad = subprocess.run(
        [console, "synth", "-c", "instanceType=t3.micro"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: invalid context instanceType='t3.micro': an EFA-capable GPU instance type")
    assert "Traceback" not in bad.stderr
    good = subprocess.run(
        [console, "synth", "--output", str(tmp_path / "o"), "-c", "instanceType=p4d.24xlarge"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert good.returncode == 0, good.stderr
    assert "2 x p4d.24xlarge, 4 EFA interface(s) each" in good.stdout
    assert "public IPs: none: 4 EFA interfaces per node" in good.stdout
