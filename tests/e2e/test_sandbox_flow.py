"""The whole flow on the sandbox, end to end: real CDK CLI, emulator, node tasks and MLflow."""

from __future__ import annotations

import json
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from console.engine import Engine
from console.events import Event
from console.report import build_report
from console.run_dir import RunRecorder, new_run_dir
from console.targets import sandbox_target
from stack.config import load_config
from tests.e2e.conftest import run_console

pytestmark = pytest.mark.slow


def _engine(sandbox: Any, overrides: dict[str, str], runs: Path) -> tuple[Engine, list[Event]]:
    config = load_config({**json.loads(Path("cdk.json").read_text())["context"], **overrides})
    events: list[Event] = []
    recorder = RunRecorder(new_run_dir(runs, config.stack_name))
    return Engine(config, overrides, sandbox_target(sandbox), recorder, events.append), events


def test_two_p5_nodes_pass_with_32_domains_and_live_mlflow_links(shared_sandbox: Any) -> None:
    overrides = {"profile": "prod", "stackName": "nixl-e2e-p5"}
    engine, events = _engine(shared_sandbox, overrides, Path(tempfile.mkdtemp()))
    assert engine.run() == 0
    report = build_report(
        events,
        stack="nixl-e2e-p5",
        region="us-east-1",
        sandbox=True,
        run_dir=str(engine.recorder.path),
        nodes=engine.node_infos(),
    )
    assert report["ok"] and report["exit_code"] == 0
    for node in report["nodes"]:
        assert node["command_status"] == "Success" and node["instance_type"] == "p5.48xlarge"
        assert {c["status"] for c in node["checks"]} <= {"pass", "skip"}
        assert node["efa"]["devices"] == 32 == node["efa"]["expected"] and len(node["efa"]["domains"]) == 32
        assert Path(node["log"]).read_text().count("NIXL-CHECK ") == 13
    assert len(report["mlflow"]) == 2
    for link in report["mlflow"]:
        assert "/#/experiments/" in link["url"] and link["run_id"] in link["url"]
        assert "AWS-StartPortForwardingSession" in link["port_forward"]
        base = link["url"].split("/#/")[0]
        with urllib.request.urlopen(f"{base}/api/2.0/mlflow/runs/get?run_id={link['run_id']}", timeout=10) as r:
            run = json.loads(r.read())["run"]
        assert run["info"]["run_id"] == link["run_id"]
        with urllib.request.urlopen(base, timeout=10) as r:  # the UI page the link opens
            assert r.status == 200


def test_second_deploy_is_a_no_op_and_destroy_removes_stack_and_bucket(shared_sandbox: Any) -> None:
    overrides = {"stackName": "nixl-e2e-twice"}
    runs = Path(tempfile.mkdtemp())
    first, _ = _engine(shared_sandbox, overrides, runs)
    first.synth()
    first.deploy()
    second, events = _engine(shared_sandbox, overrides, runs)
    second.synth()
    second.deploy()
    cdk_lines = [e.text for e in events if getattr(e, "node", "") == "cdk"]
    assert any("(no changes)" in line for line in cdk_lines), cdk_lines[-20:]
    assert [n.instance_id for n in second.nodes] == [n.instance_id for n in first.nodes]
    bucket = second.outputs["ScriptsBucketName"]
    second.upload()
    assert second.destroy() == 0
    cfn = second.target.clients.client("cloudformation")
    summaries = cfn.list_stacks()["StackSummaries"]
    assert {s["StackStatus"] for s in summaries if s["StackName"] == "nixl-e2e-twice"} == {"DELETE_COMPLETE"}
    buckets = [b["Name"] for b in second.target.clients.client("s3").list_buckets()["Buckets"]]
    assert bucket not in buckets


def test_node_without_efa_fails_the_run_and_the_reports_say_so() -> None:
    run = run_console(
        "--sandbox", "--sandbox-profile", "p4d", "--sandbox-node", "node2=no-efa", "-c", "instanceType=p4d.24xlarge"
    )
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    report = run.report
    assert not report["ok"] and report["exit_code"] == 1
    assert {c["status"] for c in run.node("node1")["checks"]} <= {"pass", "skip"}
    provider = run.check("node2", "efa.provider")
    assert provider["status"] == "fail" and "fi_getinfo: -61 (No data available)" in provider["detail"]
    assert run.node("node2")["command_status"] == "Failed"
    junit = (run.run_dir / "junit.xml").read_text()
    assert 'classname="node2" name="efa.provider"' in junit and "fi_getinfo: -61" in junit
    assert "node2: failed efa.devices, efa.provider, efa.domains" in run.stdout


def test_operate_an_existing_stack_rerun_one_node_status_stop_start(shared_sandbox: Any) -> None:
    overrides = {"profile": "prod", "stackName": "nixl-e2e-p5"}  # deployed by the first test of this module
    engine, events = _engine(shared_sandbox, overrides, Path(tempfile.mkdtemp()))
    engine.only = ["node2"]
    assert engine.run(deploy=False) == 0
    stages = [e.stage for e in events if type(e).__name__ == "StageFinished"]
    assert stages == ["attach", "upload", "wait-ssm", "run"]
    assert {e.node for e in events if type(e).__name__ == "NodeCommandStatus"} == {"node2"}
    upload = next(e for e in events if getattr(e, "stage", "") == "upload" and hasattr(e, "seconds"))
    assert upload.detail.startswith("0 of ")  # nothing changed since the first run: nothing re-sent

    ops, _ = _engine(shared_sandbox, overrides, Path(tempfile.mkdtemp()))
    status = ops.status()
    assert status["status"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
    assert {n["state"] for n in status["nodes"].values()} == {"running"}
    assert {n["ssm"] for n in status["nodes"].values()} == {"Online"}
    assert ops.set_power(False) == 0
    assert {n["ssm"] for n in ops.status()["nodes"].values()} == {"not registered"}
    assert ops.set_power(True) == 0
    assert {n["state"] for n in ops.status()["nodes"].values()} == {"running"}

    missing, _ = _engine(shared_sandbox, {"stackName": "nixl-e2e-absent"}, Path(tempfile.mkdtemp()))
    assert missing.run(deploy=False) == 2


async def test_full_sandbox_run_inside_the_tui_shows_every_check(shared_sandbox: Any) -> None:
    from textual.widgets import DataTable

    from console.tui.app import CHECK_IDS, NixlConsoleApp
    from console.view_state import ViewState

    overrides = {"stackName": "nixl-e2e-tui"}
    config = load_config({**json.loads(Path("cdk.json").read_text())["context"], **overrides})
    recorder = RunRecorder(new_run_dir(Path(tempfile.mkdtemp()), config.stack_name))
    app: NixlConsoleApp | None = None

    def emit(event: Event) -> None:
        assert app is not None
        app.post(event)

    engine = Engine(config, overrides, sandbox_target(shared_sandbox), recorder, emit)
    app = NixlConsoleApp(
        ViewState(config.stack_name, config.region, True),
        config.node_names,
        run_dir=recorder.path,
        start=lambda _post: engine.run(),
        cancel=engine.cancel,
    )
    async with app.run_test(size=(100, 30)) as pilot:
        deadline = time.monotonic() + 400
        while app.state.finished is None and time.monotonic() < deadline:
            await pilot.pause(0.5)
        await app.workers.wait_for_complete()
        await pilot.pause(0.3)
        assert app.state.finished is not None and app.state.finished.ok, app.state.stage
        assert app.exit_code == 0
        table = app.query_one("#checks", DataTable)
        assert table.row_count == len(CHECK_IDS)
        cells = [str(table.get_cell_at((r, c))) for r in range(table.row_count) for c in (1, 2)]
        assert all(cell.split()[-1] in ("pass", "skip") for cell in cells), cells
        assert len(app.state.links) == 2
