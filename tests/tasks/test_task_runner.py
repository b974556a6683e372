"""The real task_runner.sh on two simulated nodes per profile, with a real MLflow server on the head."""

from __future__ import annotations

import dataclasses
import re

import pytest

from console.simnode.local_cluster import LocalCluster, NodeRun
from console.simnode.profiles import PROFILES
from tasks.lib.protocol import CHECK_IDS
from tests.tasks.test_protocol import validate_line

pytestmark = pytest.mark.slow

ALL_CHECKS = set(CHECK_IDS)


def _protocol_lines(run: NodeRun) -> list[str]:
    return [line for line in run.stdout.splitlines() if line.startswith("NIXL-CHECK ")]


def _assert_well_formed(run: NodeRun) -> None:
    lines = _protocol_lines(run)
    for line in lines:
        assert validate_line(line).node == run.node
    assert {validate_line(line).check for line in lines} == ALL_CHECKS
    assert len(lines) == len(ALL_CHECKS), "each check reports exactly once"
    assert "\r" not in run.stdout and "\x1b[" not in run.stdout  # plain lines, no colour, no progress bars


@pytest.fixture(scope="module")
def p4d_runs(cluster: LocalCluster) -> list[NodeRun]:
    return cluster.run(["p4d", "p4d"], run_id="p4d-1")


def test_p4d_two_nodes_pass_every_required_check(p4d_runs: list[NodeRun]) -> None:
    head, worker = p4d_runs
    for run in p4d_runs:
        _assert_well_formed(run)
        assert run.returncode == 0, run.stdout + run.stderr
        r = run.results
        assert r["efa.devices"].data["count"] == 4 and r["efa.devices"].data["expected"] == 4
        assert r["efa.domains"].data["domains"] == [
            "rdmap16s27-rdm",
            "rdmap32s27-rdm",
            "rdmap144s27-rdm",
            "rdmap160s27-rdm",
        ]
        assert r["gpu.devices"].data["count"] == 8 and r["gpu.devices"].data["driver"] == "550.90.07"
        assert r["system.facts"].data["instance_type"] == "p4d.24xlarge"
        assert r["system.facts"].data["efa_installer"] == "1.22.0"
        assert r["system.facts"].data["libfabric"] == "1.22.0amzn5.0"
        assert r["vllm.version"].data == {
            "version": "0.15.1",
            "expected_version": "0.15.1",
            "simulated": True,
        }
        assert "SIMULATED" in r["nixl.version"].detail
        assert r["mlflow.version"].data["version"] == "3.10.0" and r["mlflow.version"].data["simulated"] is False
        assert r["efa.gdr"].status == "pass"
        assert r["nixl.transfer"].status == "skip" and "simulated stand-in" in r["nixl.transfer"].detail
    assert head.status("mlflow.server") == "pass"
    assert worker.status("mlflow.server") == "skip" and "head node" in worker.results["mlflow.server"].detail


def test_mlflow_round_trip_is_real(p4d_runs: list[NodeRun], cluster: LocalCluster) -> None:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"http://127.0.0.1:{cluster.mlflow_port}")
    run_ids = set()
    for run in p4d_runs:
        write, read = run.results["mlflow.write"], run.results["mlflow.read"]
        assert (write.status, read.status) == ("pass", "pass")
        assert re.fullmatch(r"[0-9a-f]{32}", write.data["run_id"])
        # Independently read what the node wrote, through MLflow's own client.
        stored = client.get_run(write.data["run_id"])
        assert stored.info.experiment_id == write.data["experiment_id"]
        assert stored.data.params["node"] == run.node and stored.data.params["rank"] == str(run.rank)
        assert stored.data.params["instance_type"] == "p4d.24xlarge" and stored.data.params["vllm"] == "0.15.1"
        assert stored.data.metrics == {"efa_device_count": 4.0, "gpu_count": 8.0}
        assert stored.data.tags["nixl.stack"] == "sim" and stored.data.tags["nixl.run_id"] == "p4d-1"
        run_ids.add(write.data["run_id"])
    assert len(run_ids) == 2


@pytest.mark.parametrize(
    ("profile", "efa", "domains"),
    [
        ("p5", 32, None),
        ("p5en", 16, None),
        ("single-efa", 1, ["rdmap47s0-rdm"]),
        ("efa-direct", 1, ["rdmap47s0-rdm"]),  # listed under efa-direct and efa: counted once
    ],
)
def test_profiles_report_their_efa_counts(
    cluster: LocalCluster, p4d_runs: list[NodeRun], profile: str, efa: int, domains: list[str] | None
) -> None:
    runs = cluster.run([profile, profile], run_id=f"{profile}-1")
    for run in runs:
        _assert_well_formed(run)
        assert run.returncode == 0, run.stdout + run.stderr
        r = run.results
        assert r["efa.devices"].data["count"] == efa == r["efa.devices"].data["expected"]
        assert r["efa.domains"].data["count"] == efa
        assert len(set(r["efa.domains"].data["domains"])) == efa
        if domains:
            assert r["efa.domains"].data["domains"] == domains
        assert r["gpu.devices"].data["count"] == 8
    if profile == "efa-direct":
        assert runs[0].results["efa.provider"].data["fabrics"] == ["efa", "efa-direct"]
        assert runs[0].results["system.facts"].data["libfabric"] == "2.1.0"


def test_no_efa_fails_with_61_exits_nonzero_and_independent_checks_still_run(
    cluster: LocalCluster, p4d_runs: list[NodeRun]
) -> None:
    head, worker = cluster.run(["no-efa", "no-efa"], run_id="no-efa-1")
    for run in (head, worker):
        _assert_well_formed(run)
        assert run.returncode == 1
        r = run.results
        assert r["efa.provider"].status == "fail"
        assert "fi_getinfo: -61 (No data available)" in r["efa.provider"].detail
        assert r["efa.devices"].status == "fail" and r["efa.devices"].data["count"] == 0
        assert r["efa.domains"].status == "fail"
        assert r["efa.gdr"].status == "warn"
        # Independent checks ran and passed.
        for check in (
            "gpu.devices",
            "vllm.version",
            "nixl.version",
            "mlflow.version",
            "mlflow.write",
            "mlflow.read",
        ):
            assert r[check].status == "pass", (check, r[check].detail)
        assert r["nixl.transfer"].status == "skip" and "no EFA provider" in r["nixl.transfer"].detail
        assert "FAILED: efa.devices,efa.provider,efa.domains" in run.stdout


def test_no_gpu_fails_gpu_devices(cluster: LocalCluster, p4d_runs: list[NodeRun]) -> None:
    cpu_only = dataclasses.replace(PROFILES["single-efa"], name="no-gpu", nvidia_smi=None)
    head, worker = cluster.run(["p4d", cpu_only], run_id="no-gpu-1")
    assert head.returncode == 0
    assert worker.returncode == 1
    assert worker.status("gpu.devices") == "fail" and "command not found" in worker.results["gpu.devices"].detail
    assert worker.status("efa.provider") == "pass"


def test_failed_install_fails_its_check_with_pips_reason(cluster: LocalCluster, p4d_runs: list[NodeRun]) -> None:
    head, worker = cluster.run(
        ["p4d", "p4d"], run_id="bad-pin-1", node_env_overrides={"node2": {"VLLM_VERSION": "0.0.1"}}
    )
    assert head.returncode == 0
    assert worker.returncode == 1
    vllm = worker.results["vllm.version"]
    assert vllm.status == "fail"
    assert "pip install vllm==0.0.1 failed: ERROR: No matching distribution found for vllm==0.0.1" in vllm.detail
    assert "pip: ERROR: Could not find a version that satisfies the requirement vllm==0.0.1" in worker.stdout
    assert worker.status("nixl.version") == "pass" and worker.status("mlflow.write") == "pass"


def test_second_run_skips_done_work_and_reports_the_same(cluster: LocalCluster, p4d_runs: list[NodeRun]) -> None:
    again = cluster.run(["p4d", "p4d"], run_id="p4d-2")
    for first, second in zip(p4d_runs, again, strict=True):
        assert second.returncode == 0
        assert {c: r.status for c, r in first.results.items()} == {c: r.status for c, r in second.results.items()}
        assert "vllm 0.15.1 already installed, skipping" in second.stdout
        assert "mlflow 3.10.0 already installed, skipping" in second.stdout
        assert "installing" not in second.stdout and "creating venv" not in second.stdout
        for check in ("efa.domains", "gpu.devices", "vllm.version"):
            assert first.results[check].data == second.results[check].data
    assert "already running" in again[0].results["mlflow.server"].detail
