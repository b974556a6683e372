"""The engine: synth -> deploy -> upload -> wait for SSM -> run the tasks on every node -> results.

No UI imports: it emits typed events (console.events) through one callback, and every event also goes
to the run directory. The `--auto` view and the TUI are two renderings of the same stream.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shlex
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from console.aws_clients import AwsClients
from console.cdk_cli import cdk_command
from console.context import context_args
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
from console.log_cursor import LogCursor
from console.report import NodeInfo
from console.run_dir import RunRecorder
from console.run_state import NodeRef, RunState, RunStateError
from console.versions import pinned_versions
from stack.cdk_env import PROJECT_ROOT, cdk_env
from stack.config import StackConfig
from tasks.lib.protocol import ProtocolError, parse_line

TASKS_DIR = PROJECT_ROOT / "tasks"
TASKS_PREFIX = "tasks/"
TERMINAL = ("Success", "Failed", "TimedOut", "Cancelled", "Undeliverable", "Terminated", "DeliveryTimedOut")

EXIT_OK, EXIT_CHECKS, EXIT_USAGE, EXIT_DEPLOY, EXIT_REGISTER, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
MAX_POLL_ERRORS = 20  # consecutive failed polls (each already retried by boto3) before the run gives up
STACK_CHECK_EVERY = 30  # polls between checks that the stack still exists (one call: constant per poll)


def _error_code(err: Exception) -> str:
    if isinstance(err, ClientError):
        return str(err.response.get("Error", {}).get("Code", "error"))
    return type(err).__name__


class StageFailed(Exception):
    def __init__(self, exit_code: int, message: str) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class Target:
    """Where the run goes: AWS, or the sandbox (endpoint, credentials, how MLflow is reached)."""

    clients: AwsClients
    env: dict[str, str]  # environment for CDK CLI subprocesses
    sandbox: bool
    mlflow_port: int = 5000
    register_timeout: float = 900
    command_timeout: int = 5400
    deploy_timeout: float = 3600
    mlflow_url: Callable[[str], str] | None = None  # head private IP -> URL the operator can open
    prepare: Callable[[Callable[[str], None]], None] | None = None  # e.g. sandbox bootstrap


@dataclass
class Node:
    name: str
    rank: int
    instance_id: str
    private_ip: str


@dataclass
class Engine:
    config: StackConfig
    overrides: dict[str, str]
    target: Target
    recorder: RunRecorder
    emit_view: Callable[[Event], None]
    nodes: list[Node] = field(default_factory=list)
    only: list[str] | None = None  # node names to run the tasks on (None: all)
    outputs: dict[str, str] = field(default_factory=dict)
    command_id: str | None = None
    run_id: str = ""
    _cancel: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _statuses: dict[str, str] = field(default_factory=dict)
    _fails: dict[str, list[str]] = field(default_factory=dict)
    state: RunState | None = None  # saved in the run directory as the run goes (attach / resume)
    sandbox_root: str | None = None  # the sandbox process serving this run, if any
    _log_group_missing: bool = False

    # -- events ---------------------------------------------------------------------------------
    def emit(self, event: Event) -> None:
        with self._lock:
            self.recorder.record(event)
            self._book(event)
        self.emit_view(event)

    def _book(self, event: Event) -> None:
        """What the verdict needs from an event (also for events replayed from disk on attach)."""
        if isinstance(event, CheckReported) and event.status == "fail":
            self._fails.setdefault(event.node, []).append(event.check)
        elif isinstance(event, NodeCommandStatus):
            self._statuses[event.node] = event.status

    def _save_state(self, **changes: Any) -> None:
        """Save the run state with the files' sizes it covers (under the lock: no event half-recorded)."""
        if self.state is None:
            return
        with self._lock:
            for key, value in changes.items():
                setattr(self.state, key, value)
            self.state.sizes = self.recorder.sizes()
            self.state.save(self.recorder.path)

    def node_infos(self) -> list[NodeInfo]:
        return [
            NodeInfo(
                n.name,
                n.rank,
                n.instance_id,
                self.config.instance_type,
                n.private_ip,
                str(self.recorder.log_path(n.name)),
            )
            for n in self.nodes
        ]

    # -- the whole flow -------------------------------------------------------------------------
    def run(self, *, deploy: bool = True) -> int:
        """The whole flow; with deploy=False, the existing stack's nodes (a re-run, e.g. failed nodes only)."""
        self.run_id = self.recorder.path.name
        # A new run (also a re-run in the same console) starts a clean verdict and a fresh cancel switch.
        self._statuses.clear()
        self._fails.clear()
        self._cancel.clear()
        self.command_id = None
        self.state = RunState(
            self.config.stack_name,
            self.config.region,
            self.target.sandbox,
            dict(self.overrides),
            self.run_id,
            sandbox_root=self.sandbox_root,
        )
        self._save_state()
        first: list[tuple[str, Callable[[], str]]] = (
            [("synth", self.synth), ("deploy", self.deploy)] if deploy else [("attach", self.attach)]
        )
        if deploy and self.target.prepare:
            # The sandbox's CDK bootstrap runs beside synth (two independent subprocesses).
            self._prepared = threading.Thread(target=self._prepare, daemon=True)
            self._prepared.start()
        return self._run_stages([*first, *self._task_stages()])

    def _task_stages(self) -> list[tuple[str, Callable[[], str]]]:
        return [("upload", self.upload), ("wait-ssm", self.wait_for_nodes), ("run", self.run_tasks)]

    def resume(self, state: RunState, events: list[Event], *, rerun_failed: bool = False) -> int:
        """Continue a run from its saved state: follow a command still in flight from the saved log
        positions, or go on from the first stage that did not finish (a deployed stack is not deployed
        again; upload sends only changed files). `events` are the run's events on disk, for the verdict."""
        self.state, self.run_id = state, state.run_id
        self._cancel.clear()
        for event in events:
            self._book(event)
        if state.in_flight:
            self._restore(state)
            self.emit(Notice("info", f"attached to command {state.command_id}: output continues where it was"))
            return self._run_stages([("run", self.follow_tasks)], announce=False)
        if "run" in state.stages_done or state.finished:
            failed = [n for n, status in self._statuses.items() if status != "Success"] + [
                n for n in self._fails if self._statuses.get(n) == "Success"
            ]
            if not (rerun_failed and failed):
                raise RunStateError(
                    f"{self.recorder.path}: this run finished (exit {state.exit_code}); nothing to resume"
                    + (f"; --rerun-failed runs the tasks again on {', '.join(sorted(failed))}" if failed else "")
                )
            self.only = sorted(set(failed))
            self._statuses.clear()
            self._fails.clear()
            state.stages_done = [s for s in state.stages_done if s in ("synth", "deploy")]
            state.command_id, state.finished = None, False
        deployed = "deploy" in state.stages_done
        first: list[tuple[str, Callable[[], str]]] = (
            [("attach", self.attach)] if deployed else [("synth", self.synth), ("deploy", self.deploy)]
        )
        self.emit(Notice("info", f"resuming {state.run_id} from {first[0][0]}"))
        return self._run_stages([*first, *self._task_stages()])

    def _restore(self, state: RunState) -> None:
        self.outputs = dict(state.outputs)
        self.nodes = [Node(n.name, n.rank, n.instance_id, n.private_ip) for n in state.nodes]
        self.only = list(state.run_nodes) or None
        self.command_id = state.command_id

    def _run_stages(self, stages: list[tuple[str, Callable[[], str]]], announce: bool = True) -> int:
        exit_code = EXIT_OK
        summary = ""
        for stage, fn in stages:
            started = time.monotonic()
            if announce or stage != "run":
                self.emit(StageStarted(stage))
            self._save_state(stage=stage)
            try:
                detail = fn()
            except StageFailed as err:
                self.emit(StageFinished(stage, "failed", time.monotonic() - started, str(err)))
                exit_code, summary = err.exit_code, str(err)
                break
            except (ClientError, BotoCoreError) as err:
                detail = f"AWS API error in {stage}: {err}"
                self.emit(StageFinished(stage, "failed", time.monotonic() - started, detail))
                exit_code = EXIT_DEPLOY if stage == "deploy" else EXIT_CHECKS
                summary = detail
                break
            except KeyboardInterrupt:
                self.emit(StageFinished(stage, "failed", time.monotonic() - started, "interrupted"))
                exit_code, summary = EXIT_INTERRUPTED, "interrupted: commands cancelled, logs kept"
                break
            self.emit(StageFinished(stage, "ok", time.monotonic() - started, detail))
            assert self.state is not None
            self._save_state(stages_done=[*self.state.stages_done, stage], **self._topology())
        if exit_code == EXIT_OK:
            exit_code, summary = self._verdict()
        self.emit(RunFinished(exit_code == EXIT_OK, exit_code, summary))
        self._save_state(finished=True, exit_code=exit_code)
        return exit_code

    def _topology(self) -> dict[str, Any]:
        return {
            "outputs": dict(self.outputs),
            "nodes": [NodeRef(n.name, n.rank, n.instance_id, n.private_ip) for n in self.nodes],
        }

    def cancel(self) -> None:
        """Ctrl-C: stop streaming and cancel the running command on every node."""
        self._cancel.set()

    # -- synth ----------------------------------------------------------------------------------
    @property
    def assembly(self) -> Path:
        return self.recorder.path / "cdk.out"

    def _cdk(self, args: list[str], timeout: float, tool: str = "cdk") -> int:
        proc = subprocess.Popen(
            cdk_command(args),
            cwd=PROJECT_ROOT,
            env=cdk_env(self.target.env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                self.emit(NodeOutputLine(tool, "stdout", line.rstrip("\n")))
            return proc.wait()
        finally:
            timer.cancel()

    def synth(self) -> str:
        rc = self._cdk(["synth", "--quiet", "--output", str(self.assembly), *context_args(self.overrides)], 600)
        if rc != 0:
            raise StageFailed(EXIT_USAGE, f"cdk synth failed (exit {rc}); see cdk.log in the run directory")
        template = json.loads((self.assembly / f"{self.config.stack_name}.template.json").read_text())
        self.total_resources = len(template.get("Resources", {}))
        return f"{self.total_resources} resources"

    # -- deploy ---------------------------------------------------------------------------------
    def _prepare(self) -> None:
        try:
            assert self.target.prepare is not None
            self.target.prepare(lambda line: self.emit(NodeOutputLine("cdk", "stdout", line)))
        except Exception as err:  # reported by deploy, which needs it
            self._prepare_error = err

    def deploy(self) -> str:
        prepared = getattr(self, "_prepared", None)
        if prepared is None and self.target.prepare:
            self._prepare()
        elif prepared is not None:
            prepared.join()
        if getattr(self, "_prepare_error", None):
            raise StageFailed(EXIT_DEPLOY, f"preparing the target failed: {self._prepare_error}")
        progress = DeployProgressModel(self.config.stack_name, self.total_resources)
        self.emit(DeployProgress(0, progress.total))
        started = time.time() - 5  # small clock skew allowance
        stop = threading.Event()
        watcher = threading.Thread(target=self._watch_stack_events, args=(progress, started, stop), daemon=True)
        watcher.start()
        outputs_file = self.recorder.path / "outputs.json"
        try:
            rc = self._cdk(
                [
                    "deploy",
                    "--app",
                    str(self.assembly),
                    "--require-approval",
                    "never",
                    "--outputs-file",
                    str(outputs_file),
                    "--no-notices",
                    "--progress",
                    "events",
                    self.config.stack_name,
                ],
                self.target.deploy_timeout,
            )
        finally:
            stop.set()
            watcher.join(timeout=10)
        if rc != 0:
            where = f": {progress.first_failure[0]}: {progress.first_failure[1]}" if progress.first_failure else ""
            raise StageFailed(EXIT_DEPLOY, f"deploy failed (cdk exit {rc}){where}")
        outputs = {}
        if outputs_file.exists():
            outputs = json.loads(outputs_file.read_text()).get(self.config.stack_name, {})
        self._use_outputs(outputs or self._stack_outputs())
        return f"{progress.done}/{progress.total} resources; {len(self.nodes)} nodes"

    def _stack_outputs(self) -> dict[str, str]:
        stack = self.target.clients.client("cloudformation").describe_stacks(StackName=self.config.stack_name)
        self.stack_status = stack["Stacks"][0]["StackStatus"]
        return {o["OutputKey"]: o["OutputValue"] for o in stack["Stacks"][0].get("Outputs", [])}

    def _use_outputs(self, outputs: dict[str, str]) -> None:
        self.outputs = outputs
        count = int(outputs.get("NodeCount", self.config.node_count))
        self.nodes = [
            Node(f"node{i}", i - 1, outputs[f"Node{i}InstanceId"], outputs[f"Node{i}PrivateIp"])
            for i in range(1, count + 1)
        ]
        unknown = sorted(set(self.only or []) - {n.name for n in self.nodes})
        if unknown:
            raise StageFailed(EXIT_USAGE, f"no such node in {self.config.stack_name}: {', '.join(unknown)}")

    def attach(self) -> str:
        """Use an existing stack (no deploy): its outputs and nodes."""
        try:
            self._use_outputs(self._stack_outputs())
        except ClientError as err:
            raise StageFailed(
                EXIT_USAGE,
                f"stack {self.config.stack_name} not found in {self.config.region}: "
                f"deploy it first ({err.response.get('Error', {}).get('Message', err)})",
            ) from None
        return f"stack {self.config.stack_name} {self.stack_status}, {len(self.nodes)} nodes"

    def _watch_stack_events(self, progress: DeployProgressModel, since: float, stop: threading.Event) -> None:
        """Per-resource progress from DescribeStackEvents: only this deploy's events, paging stops at
        older ones, backing off when throttled; one last poll after the deploy ends."""
        cfn = self.target.clients.client("cloudformation")
        seen: set[str] = set()
        delay = 1.0
        while True:
            final = stop.is_set()
            fresh = []
            try:
                for page in cfn.get_paginator("describe_stack_events").paginate(StackName=self.config.stack_name):
                    events = page["StackEvents"]
                    newer = [ev for ev in events if ev["Timestamp"].timestamp() >= since]
                    fresh += [ev for ev in newer if ev["EventId"] not in seen]
                    seen.update(ev["EventId"] for ev in newer)
                    if len(newer) < len(events):
                        break  # the rest is older than this deploy
                delay = 1.0
            except ClientError as err:
                code = err.response.get("Error", {}).get("Code", "")
                delay = min(delay * 2, 10) if "Throttl" in code else 2.0  # the stack may not exist yet
            fresh.sort(key=lambda ev: ev["Timestamp"])
            for ev in fresh:
                reason = ev.get("ResourceStatusReason", "") or ""
                progress.apply(ev["LogicalResourceId"], ev["ResourceStatus"], reason)
                self.emit(StackResourceEvent(ev["LogicalResourceId"], ev["ResourceType"], ev["ResourceStatus"], reason))
            if fresh:
                self.emit(DeployProgress(progress.done, progress.total))
            if final:
                return
            stop.wait(delay)

    # -- upload ---------------------------------------------------------------------------------
    def upload(self) -> str:
        s3 = self.target.clients.client("s3")
        bucket = self.outputs["ScriptsBucketName"]
        existing = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=TASKS_PREFIX):
            for obj in page.get("Contents", []):
                existing[obj["Key"]] = obj["ETag"].strip('"')
        sent, size, total = 0, 0, 0
        for path in sorted(p for p in TASKS_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            key = TASKS_PREFIX + path.relative_to(TASKS_DIR).as_posix()
            body = path.read_bytes()
            total += 1
            if existing.get(key) == hashlib.md5(body, usedforsecurity=False).hexdigest():
                continue  # unchanged (a single-part upload's ETag is its MD5)
            s3.put_object(Bucket=bucket, Key=key, Body=body, ServerSideEncryption="AES256")
            sent, size = sent + 1, size + len(body)
        return f"{sent} of {total} files changed, {size} bytes sent to s3://{bucket}/{TASKS_PREFIX}"

    # -- wait for SSM ---------------------------------------------------------------------------
    def wait_for_nodes(self) -> str:
        ssm = self.target.clients.client("ssm")
        ids = {n.instance_id: n for n in self.run_nodes}
        deadline = time.monotonic() + self.target.register_timeout
        online: set[str] = set()
        while True:
            info = ssm.describe_instance_information(Filters=[{"Key": "InstanceIds", "Values": list(ids)}])
            online = {i["InstanceId"] for i in info["InstanceInformationList"] if i.get("PingStatus") == "Online"}
            if online >= set(ids):
                return f"{len(online)} nodes online in SSM"
            if time.monotonic() > deadline or self._cancel.is_set():
                missing = ", ".join(f"{ids[i].name} ({i})" for i in ids if i not in online)
                raise StageFailed(
                    EXIT_REGISTER,
                    f"never registered with SSM within {self.target.register_timeout:.0f}s: {missing}; check the "
                    "instance is running, its role has AmazonSSMManagedInstanceCore, and it has outbound HTTPS",
                )
            time.sleep(1 if self.target.sandbox else 5)

    # -- run the tasks --------------------------------------------------------------------------
    def node_script(self) -> str:
        head = self.nodes[0]
        bucket = self.outputs["ScriptsBucketName"]
        cases = "\n".join(f"  {n.instance_id}) node={n.name} rank={n.rank} ;;" for n in self.nodes)
        versions = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(pinned_versions().items()))
        info = self.config.instance
        return f"""set -euo pipefail
# SSM sets AWS_SSM_INSTANCE_ID: one command for every node, each finds its own name and rank.
case "${{AWS_SSM_INSTANCE_ID:?not run by SSM}}" in
{cases}
  *) echo "instance $AWS_SSM_INSTANCE_ID is not a node of {self.config.stack_name}" >&2; exit 2 ;;
esac
export AWS_DEFAULT_REGION="${{AWS_SSM_REGION_NAME:-{self.config.region}}}"
work="${{NIXL_WORK_DIR:-/opt/nixl-efa}}"
mkdir -p "$work"
aws s3 cp --only-show-errors "s3://{bucket}/{TASKS_PREFIX}task_runner.sh" "$work/task_runner.sh"
exec env {versions} bash "$work/task_runner.sh" --source "s3://{bucket}/{TASKS_PREFIX.rstrip("/")}" \\
  --node "$node" --rank "$rank" --head-ip {head.private_ip} --run-id {shlex.quote(self.run_id)} \\
  --stack {self.config.stack_name} --instance-type {self.config.instance_type} \\
  --expected-efa {info.efa_interfaces} --expected-gpus {info.gpus} --mlflow-port {self.target.mlflow_port}
"""

    def run_tasks(self) -> str:
        ssm = self.target.clients.client("ssm")
        log_group = self.outputs["CommandLogGroupName"]
        sent = ssm.send_command(
            InstanceIds=[n.instance_id for n in self.run_nodes],
            DocumentName="AWS-RunShellScript",
            Comment=f"nixl-efa-console {self.run_id}"[:100],
            Parameters={
                "commands": self.node_script().splitlines(),
                "executionTimeout": [str(self.target.command_timeout)],
            },
            TimeoutSeconds=600,
            # Every node at once (the checks need the head node's MLflow server while the others write to it),
            # and one node's failure never stops the command on the others (SSM's default MaxErrors is 0).
            MaxConcurrency=str(len(self.run_nodes)),
            MaxErrors=str(len(self.run_nodes)),
            CloudWatchOutputConfig={"CloudWatchLogGroupName": log_group, "CloudWatchOutputEnabled": True},
        )
        self.command_id = sent["Command"]["CommandId"]
        self.emit(Notice("info", f"SSM command {self.command_id} sent to {len(self.run_nodes)} nodes"))
        self._save_state(
            command_id=self.command_id,
            run_nodes=[n.name for n in self.run_nodes],
            since_ms=int(time.time() * 1000) - 60_000,
            cursor={},
            statuses={},
            **self._topology(),
        )
        return self.follow_tasks()

    def follow_tasks(self) -> str:
        """Stream the command's output and statuses from the positions in the run state to the end."""
        assert self.state is not None
        final = self._stream(self.outputs["CommandLogGroupName"])
        ok = sum(s == "Success" for s in final.values())
        return f"command {self.command_id}: {ok}/{len(self.run_nodes)} nodes Success"

    @property
    def run_nodes(self) -> list[Node]:
        return [n for n in self.nodes if self.only is None or n.name in self.only]

    def _stream(self, log_group: str) -> dict[str, str]:
        """Poll output and statuses with a constant number of API calls per poll, whatever the node count."""
        ssm, logs = self.target.clients.client("ssm"), self.target.clients.client("logs")
        by_id = {n.instance_id: n for n in self.run_nodes}
        streams = {
            f"{self.command_id}/{n.instance_id}/aws-runShellScript/{kind}": (n, kind)
            for n in self.run_nodes
            for kind in ("stdout", "stderr")
        }
        assert self.state is not None
        cursor = self.state.load_cursor()
        since = self.state.since_ms
        calls_before, polls = self.target.clients.calls, 0
        statuses: dict[str, str] = dict(self.state.statuses)
        interval, idle_after_done = 0.5, 0
        cancelled = False
        poll_errors = 0
        self._log_group_missing = False
        while True:
            if self._cancel.is_set() and not cancelled:
                cancelled = True
                self.emit(Notice("warning", "cancelling the command on every node"))
                try:
                    ssm.cancel_command(CommandId=self.command_id)
                except ClientError as err:
                    self.emit(Notice("warning", f"cancel failed: {err}"))
            try:
                got = self._poll_logs(logs, log_group, streams, cursor, since)
                invocations = ssm.list_command_invocations(CommandId=self.command_id)["CommandInvocations"]
                poll_errors = 0
            except (ClientError, BotoCoreError) as err:
                # Past boto3's own retries: wait for the next poll, which starts from the last line seen.
                poll_errors += 1
                if poll_errors > MAX_POLL_ERRORS:
                    raise
                self.emit(Notice("warning", f"poll failed ({_error_code(err)}), trying again: nothing is lost"))
                got, invocations = 0, []
            if polls % STACK_CHECK_EVERY == STACK_CHECK_EVERY - 1 or self._log_group_missing:
                self._check_stack_alive(ssm)
            for inv in invocations:
                node = by_id.get(inv["InstanceId"])
                if node and statuses.get(node.name) != inv["Status"]:
                    statuses[node.name] = inv["Status"]
                    code = None
                    if inv["Status"] in TERMINAL:
                        detail = ssm.get_command_invocation(CommandId=self.command_id, InstanceId=node.instance_id)
                        code = detail.get("ResponseCode")
                    self.emit(NodeCommandStatus(node.name, node.instance_id, inv["Status"], code))
            if got or statuses != self.state.statuses:
                self.state.save_cursor(cursor)
                self._save_state(statuses=dict(statuses))
            done = len(statuses) == len(self.run_nodes) and all(s in TERMINAL for s in statuses.values())
            if done:
                # Output can trail the status (on AWS by up to ~30 s): drain until quiet.
                idle_after_done = 0 if got else idle_after_done + 1
                if idle_after_done >= (2 if self.target.sandbox else 6):
                    break
            polls += 1
            interval = 0.5 if got else min(interval * 1.5, 2.0 if self.target.sandbox else 10.0)
            time.sleep(interval)
        calls = self.target.clients.calls - calls_before
        self.stream_stats = {"polls": polls, "api_calls": calls, "nodes": len(self.nodes)}
        self.emit(
            Notice(
                "info",
                f"streamed {len(self.nodes)} nodes in {polls} polls with {calls} API calls "
                f"({calls / max(polls, 1):.2f} per poll, {len(self.nodes)} final status reads included)",
            )
        )
        if cancelled:
            raise KeyboardInterrupt
        return statuses

    def _poll_logs(
        self, logs: Any, log_group: str, streams: dict[str, tuple[Node, str]], cursor: LogCursor, since: int
    ) -> int:
        names = list(streams)
        kwargs: dict[str, Any] = {
            "logGroupName": log_group,
            "logStreamNames": names,
            "startTime": cursor.start_time(names, since),
        }
        events: list[dict[str, Any]] = []
        try:
            while True:
                page = logs.filter_log_events(**kwargs)
                events += page.get("events", [])
                token = page.get("nextToken")
                if not token or not page.get("events"):
                    break
                kwargs["nextToken"] = token
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                # No stream has data yet, or the log group is gone with its stack: the stream loop checks.
                self._log_group_missing = True
                return 0
            raise
        fresh = cursor.accept(events)
        for ev in fresh:
            node, kind = streams[ev["logStreamName"]]
            text = ev["message"]
            self.emit(NodeOutputLine(node.name, kind, text))
            if kind == "stdout":
                self._maybe_result(node, text)
        return len(fresh)

    def _check_stack_alive(self, ssm: Any) -> None:
        """A stack deleted outside the console while it watches: say so and stop, rather than wait for ever."""
        self._log_group_missing = False
        try:
            self._stack_outputs()
            status = self.stack_status
        except ClientError as err:
            if "does not exist" not in str(err):
                return  # a transient error: the next check will tell
            status = "gone"
        if status == "gone" or str(status).startswith("DELETE"):
            with contextlib.suppress(ClientError, BotoCoreError):
                ssm.cancel_command(CommandId=self.command_id)
            raise StageFailed(
                EXIT_DEPLOY,
                f"stack {self.config.stack_name} was deleted outside the console while the tasks ran ({status}): "
                f"its nodes are gone; the output received so far is kept in {self.recorder.path}",
            )

    def _maybe_result(self, node: Node, text: str) -> None:
        try:
            result = parse_line(text)
        except ProtocolError as err:
            self.emit(Notice("warning", f"{node.name}: malformed result line ({err})"))
            return
        if result is None:
            return
        self.emit(CheckReported(node.name, result.check, result.status, result.detail, result.data))
        if result.check == "mlflow.write" and result.status == "pass":
            self._link(node, result.data)

    def _link(self, node: Node, data: dict[str, Any]) -> None:
        head = self.nodes[0]
        port = self.target.mlflow_port
        path = f"/#/experiments/{data['experiment_id']}/runs/{data['run_id']}"
        base = self.target.mlflow_url(head.private_ip) if self.target.mlflow_url else f"http://{head.private_ip}:{port}"
        forward = (
            f"aws ssm start-session --target {head.instance_id} --document-name AWS-StartPortForwardingSession "
            f'--parameters \'{{"portNumber":["{port}"],"localPortNumber":["{port}"]}}\' '
            f"--region {self.config.region}"
        )
        self.emit(
            MlflowRunLink(
                node.name,
                str(data["experiment_id"]),
                str(data["run_id"]),
                base + path,
                f"http://localhost:{port}{path}",
                forward,
            )
        )

    # -- operate an existing stack ---------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """Stack status and each node's EC2 state and SSM ping, as notices and a dict."""
        self.attach()
        ec2 = self.target.clients.client("ec2")
        ids = [n.instance_id for n in self.nodes]
        states = {
            i["InstanceId"]: i["State"]["Name"]
            for r in ec2.describe_instances(InstanceIds=ids)["Reservations"]
            for i in r["Instances"]
        }
        info = self.target.clients.client("ssm").describe_instance_information(
            Filters=[{"Key": "InstanceIds", "Values": ids}]
        )["InstanceInformationList"]
        pings = {i["InstanceId"]: i.get("PingStatus", "?") for i in info}
        nodes = {
            n.name: {
                "instance_id": n.instance_id,
                "private_ip": n.private_ip,
                "state": states.get(n.instance_id, "?"),
                "ssm": pings.get(n.instance_id, "not registered"),
            }
            for n in self.nodes
        }
        self.emit(Notice("info", f"stack {self.config.stack_name}: {self.stack_status}"))
        for name, row in nodes.items():
            self.emit(
                Notice("info", f"{name} {row['instance_id']} {row['private_ip']} {row['state']}, SSM {row['ssm']}")
            )
        return {"stack": self.config.stack_name, "status": self.stack_status, "nodes": nodes}

    def set_power(self, running: bool, timeout: float = 600) -> int:
        """Stop or start every node and wait until they are stopped / running."""
        self.attach()
        ec2 = self.target.clients.client("ec2")
        ids = [n.instance_id for n in self.run_nodes]
        (ec2.start_instances if running else ec2.stop_instances)(InstanceIds=ids)
        want = "running" if running else "stopped"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            states = [
                i["State"]["Name"]
                for r in ec2.describe_instances(InstanceIds=ids)["Reservations"]
                for i in r["Instances"]
            ]
            if all(s == want for s in states):
                self.emit(Notice("info", f"{len(ids)} nodes {want}"))
                return EXIT_OK
            time.sleep(1 if self.target.sandbox else 10)
        self.emit(Notice("error", f"nodes not {want} after {timeout:.0f}s"))
        return EXIT_CHECKS

    def diff(self) -> int:
        """`cdk diff` of the synthesized stack against what is deployed; its output as cdk lines."""
        self.synth()
        rc = self._cdk(["diff", "--app", str(self.assembly), "--no-notices", self.config.stack_name], 600)
        return EXIT_OK if rc in (0, 1) else EXIT_DEPLOY  # cdk diff exits 1 when there are differences

    # -- destroy --------------------------------------------------------------------------------
    def destroy(self) -> int:
        """Delete the stack (its bucket and log group go with a dev stack; prod keeps them)."""
        started = time.monotonic()
        self.emit(StageStarted("destroy"))
        progress = DeployProgressModel(self.config.stack_name, 0)
        stop = threading.Event()
        watcher = threading.Thread(target=self._watch_stack_events, args=(progress, time.time() - 5, stop), daemon=True)
        watcher.start()
        try:
            rc = self._cdk(
                ["destroy", "--app", str(self.assembly), "--force", "--no-notices", self.config.stack_name],
                self.target.deploy_timeout,
            )
        finally:
            stop.set()
            watcher.join(timeout=10)
        status = "ok" if rc == 0 else "failed"
        detail = f"stack {self.config.stack_name} deleted" if rc == 0 else f"cdk destroy failed (exit {rc})"
        self.emit(StageFinished("destroy", status, time.monotonic() - started, detail))
        return EXIT_OK if rc == 0 else EXIT_DEPLOY

    # -- verdict --------------------------------------------------------------------------------
    def _verdict(self) -> tuple[int, str]:
        return verdict(self._statuses, self._fails, [n.name for n in self.run_nodes])


def verdict(statuses: dict[str, str], failed_checks: dict[str, list[str]], nodes: list[str]) -> tuple[int, str]:
    """Exit code and one-line summary from final command statuses and failed checks (pure)."""
    problems = []
    for node in nodes:
        status = statuses.get(node, "NotRun")
        fails = failed_checks.get(node, [])
        if fails:
            problems.append(f"{node}: failed {', '.join(fails)}")
        elif status != "Success":
            problems.append(f"{node}: command {status}")
    if problems:
        return EXIT_CHECKS, "; ".join(problems)
    return EXIT_OK, f"all {len(nodes)} nodes passed every required check"
