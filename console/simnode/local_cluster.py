"""Runs the real tasks/task_runner.sh on simulated nodes on this machine, all nodes at once.

Each node gets its own hardware directory (profiles.py) and work directory; node1 is the head (rank 0)
and runs a real MLflow server on a loopback port. Used by the tests and, through SSM, the sandbox.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from console.simnode.profiles import PROFILES, Profile, build_node, node_env
from console.simnode.standins import build_wheelhouse
from console.versions import pinned_versions
from stack.instance_types import lookup
from tasks.lib.protocol import CheckResult, parse_line

TASKS_DIR = Path(__file__).resolve().parents[2] / "tasks"
HEAD_IP = "127.0.0.1"  # every simulated node shares the loopback: the head's "private IP"


@dataclass
class NodeRun:
    node: str
    rank: int
    returncode: int
    stdout: str
    stderr: str
    results: dict[str, CheckResult] = field(default_factory=dict)

    def status(self, check: str) -> str:
        return self.results[check].status


class LocalCluster:
    def __init__(self, root: Path, *, mlflow_port: int, stack: str = "sim") -> None:
        self.root = root
        self.mlflow_port = mlflow_port
        self.stack = stack
        versions = pinned_versions()
        self.wheelhouse = build_wheelhouse(
            root / "wheelhouse", vllm=versions["VLLM_VERSION"], nixl=versions["NIXL_VERSION"]
        )

    def work_dir(self, node: str) -> Path:
        return self.root / "work" / node

    def run(
        self,
        profiles: list[str | Profile],
        *,
        run_id: str = "run",
        env: dict[str, str] | None = None,
        node_env_overrides: dict[str, dict[str, str]] | None = None,
        ranks: list[int] | None = None,
        timeout: float = 600,
    ) -> list[NodeRun]:
        """Run the task runner on one simulated node per profile, concurrently; node i+1 has rank i."""
        procs = []
        for i, profile in enumerate(profiles):
            p = PROFILES[profile] if isinstance(profile, str) else profile
            node, rank = f"node{i + 1}", (ranks[i] if ranks else i)
            hw = build_node(p, self.root / "nodes" / node)
            info = lookup(p.instance_type)
            node_environ = node_env(hw, self.wheelhouse, dict(os.environ))
            node_environ.update(NIXL_MLFLOW_WAIT="120", NIXL_MLFLOW_START_TIMEOUT="120", **(env or {}))
            node_environ.update((node_env_overrides or {}).get(node, {}))
            args = [
                "bash",
                str(TASKS_DIR / "task_runner.sh"),
                "--source",
                str(TASKS_DIR),
                "--node",
                node,
                "--rank",
                str(rank),
                "--head-ip",
                HEAD_IP,
                "--run-id",
                run_id,
                "--stack",
                self.stack,
                "--instance-type",
                p.instance_type,
                "--expected-efa",
                str(info.efa_interfaces if info else ""),
                "--expected-gpus",
                str(info.gpus if info else ""),
                "--work-dir",
                str(self.work_dir(node)),
                "--mlflow-port",
                str(self.mlflow_port),
            ]
            proc = subprocess.Popen(
                args,
                env=node_environ,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                stdin=subprocess.DEVNULL,
            )
            procs.append((node, rank, proc))
        runs = []
        for node, rank, proc in procs:
            out, err = proc.communicate(timeout=timeout)
            results = {r.check: r for r in map(parse_line, out.splitlines()) if r is not None}
            runs.append(NodeRun(node, rank, proc.returncode, out, err, results))
        return runs

    def stop(self) -> None:
        """Stop every MLflow server a head node started (their pid files)."""
        for pid_file in (self.root / "work").glob("*/mlflow/server.pid"):
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.killpg(int(pid_file.read_text()), signal.SIGTERM)
