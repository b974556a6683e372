"""An SSM agent for the sandbox: SendCommand really runs on the simulated nodes.

The emulator's SSM accepts commands but runs nothing, ignores CloudWatchOutputConfig and lacks
DescribeInstanceInformation, ListCommandInvocations and CancelCommand. Here every target instance
runs the command's script in a local process with its node's simulated hardware; stdout and stderr
go line by line to the CloudWatch Logs streams `{CommandId}/{InstanceId}/aws-runShellScript/stdout|stderr`
as the real agent writes them, and the invocation's status, exit code, timeout and cancel behave as
SSM documents them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.ec2.models import ec2_backends
from moto.logs.models import logs_backends
from moto.ssm.models import ssm_backends
from moto.ssm.responses import SimpleSystemManagerResponse

PLUGIN = "aws-runShellScript"
STDOUT_LIMIT, STDERR_LIMIT = 24_000, 8_000  # what GetCommandInvocation returns at most
DEFAULT_LOG_GROUP = "/aws/ssm/AWS-RunShellScript"


class InvalidInstanceId(ServiceException):
    code = "InvalidInstanceId"


class InvalidCommandId(ServiceException):
    code = "InvalidCommandId"


@dataclass
class SimulatedInstance:
    """How one EC2 instance of the sandbox behaves as a node."""

    node: str
    hardware_dir: Path
    work_dir: Path
    env: dict[str, str]
    registers: bool = True
    fail_task: bool = False


@dataclass
class Fleet:
    """The sandbox's nodes: resolved lazily from each EC2 instance's `nixl:node` tag."""

    resolve: Callable[[str, str], SimulatedInstance | None]  # (instance id, node name) -> behaviour
    loopback_for: Callable[[], dict[str, str]] = dict  # private IP -> loopback address
    instances: dict[str, SimulatedInstance] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def lookup(self, account: str, region: str, instance_id: str) -> SimulatedInstance | None:
        with self.lock:
            if instance_id in self.instances:
                return self.instances[instance_id]
            try:
                instance = ec2_backends[account][region].get_instance(instance_id)
            except Exception:
                return None
            tags = {t["key"]: t["value"] for t in instance.get_tags()}
            node = tags.get("nixl:node", "")
            sim = self.resolve(instance_id, node) if node else None
            if sim is not None:
                self.instances[instance_id] = sim
            return sim


_fleet: Fleet | None = None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Invocation:
    """One instance's run of one command: a local process, its log streams and its SSM status."""

    def __init__(
        self,
        account: str,
        region: str,
        command: Any,
        instance_id: str,
        sim: SimulatedInstance,
        script: str,
        log_group: str | None,
        timeout: int,
    ) -> None:
        self.account, self.region, self.command, self.instance_id = account, region, command, instance_id
        self.sim, self.script, self.log_group, self.timeout = sim, script, log_group, timeout
        self.record: dict[str, Any] = next(i for i in command.invocations if i["InstanceId"] == instance_id)
        self.record.update(
            Status="Pending",
            StatusDetails="Pending",
            ResponseCode=-1,
            StandardOutputContent="",
            StandardErrorContent="",
            ExecutionStartDateTime="",
            ExecutionEndDateTime="",
            ExecutionElapsedTime="",
        )
        self.proc: subprocess.Popen[bytes] | None = None
        self.cancelled = False
        self.out: list[str] = []
        self.err: list[str] = []
        self.thread = threading.Thread(target=self._run, name=f"ssm-{instance_id}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _stream(self, kind: str) -> str:
        return f"{self.command.command_id}/{self.instance_id}/{PLUGIN}/{kind}"

    def _put(self, kind: str, line: str) -> None:
        if not self.log_group:
            return
        backend = logs_backends[self.account][self.region]
        if self.log_group not in backend.groups:
            backend.create_log_group(self.log_group, tags={})
        group = backend.groups[self.log_group]
        stream = self._stream(kind)
        if stream not in group.streams:  # streams are created with their first data, as the agent does
            backend.create_log_stream(self.log_group, stream)
        backend.put_log_events(self.log_group, stream, [{"timestamp": int(time.time() * 1000), "message": line}])

    def _pump(self, pipe: Any, kind: str, sink: list[str]) -> None:
        for raw in iter(pipe.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            sink.append(line)
            self._put(kind, line)
        pipe.close()

    def _run(self) -> None:
        started = _now()
        self.record.update(Status="InProgress", StatusDetails="InProgress", ExecutionStartDateTime=started.isoformat())
        self.sim.work_dir.mkdir(parents=True, exist_ok=True)
        script_path = self.sim.work_dir / f"ssm-{self.command.command_id}.sh"
        script = self.script
        for private_ip, loopback in _fleet.loopback_for().items() if _fleet else []:
            # The sandbox's network: every node's private IP is this machine's loopback.
            script = script.replace(private_ip, loopback)
        if self.sim.fail_task:
            script = 'echo "sandbox fault: this node\'s task fails" >&2\nexit 1\n'
        script_path.write_text(script)
        # The real agent tells the command which instance and region it runs on.
        env = {**self.sim.env, "AWS_SSM_INSTANCE_ID": self.instance_id, "AWS_SSM_REGION_NAME": self.region}
        self.proc = subprocess.Popen(
            ["bash", str(script_path)],
            cwd=self.sim.work_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        pumps = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, "stdout", self.out), daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, "stderr", self.err), daemon=True),
        ]
        for p in pumps:
            p.start()
        timed_out = False
        try:
            rc = self.proc.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            self._kill()
            rc = self.proc.wait()
        for p in pumps:
            p.join(timeout=10)
        ended = _now()
        if self.cancelled:
            status, code = "Cancelled", -1
        elif timed_out:
            status, code = "TimedOut", -1
        else:
            status, code = ("Success" if rc == 0 else "Failed"), rc
        self.record.update(
            Status=status,
            StatusDetails=status,
            ResponseCode=code,
            ExecutionEndDateTime=ended.isoformat(),
            ExecutionElapsedTime=f"PT{(ended - started).total_seconds():.3f}S",
            StandardOutputContent="\n".join(self.out)[:STDOUT_LIMIT],
            StandardErrorContent="\n".join(self.err)[:STDERR_LIMIT],
        )
        # What the node really printed, for comparison with what the console received (tests, debugging).
        stem = self.sim.work_dir / f"ssm-{self.command.command_id}"
        stem.with_suffix(".stdout").write_text("".join(line + "\n" for line in self.out))
        stem.with_suffix(".stderr").write_text("".join(line + "\n" for line in self.err))
        _refresh_command_status(self.command)

    def _kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)

    def cancel(self) -> None:
        if self.record["Status"] in ("Pending", "InProgress"):
            self.cancelled = True
            self.record.update(Status="Cancelling", StatusDetails="Cancelling")
            self._kill()


_invocations: dict[tuple[str, str], Invocation] = {}  # (command id, instance id) -> run


def _refresh_command_status(command: Any) -> None:
    statuses = [i["Status"] for i in command.invocations]
    done = [s for s in statuses if s in ("Success", "Failed", "TimedOut", "Cancelled")]
    command.completed_count = len(done)
    command.error_count = sum(s in ("Failed", "TimedOut") for s in statuses)
    if len(done) < len(statuses):
        command.status = "InProgress"
    elif "Cancelled" in statuses:
        command.status = "Cancelled"
    elif "TimedOut" in statuses:
        command.status = "TimedOut"
    elif command.error_count:
        command.status = "Failed"
    else:
        command.status = "Success"
    command.status_details = command.status


def _send_command(self: SimpleSystemManagerResponse) -> ActionResult:
    account, region = self.current_account, self.region
    instance_ids = self._get_param("InstanceIds", [])
    fleet = _fleet
    sims = {}
    for instance_id in instance_ids:
        sim = fleet.lookup(account, region, instance_id) if fleet else None
        if sim is None or not sim.registers:
            raise InvalidInstanceId(f"Instances [[{instance_id}]] not in a valid state for account {account}")
        sims[instance_id] = sim
    result = _original_send_command(self)
    command = ssm_backends[account][region].get_command_by_id(result.result["Command"]["CommandId"])  # type: ignore[index]
    params = self._get_param("Parameters", {})
    script = "\n".join(params.get("commands", [])) + "\n"
    timeout = int((params.get("executionTimeout") or ["3600"])[0])
    cw = self._get_param("CloudWatchOutputConfig") or {}
    log_group = (cw.get("CloudWatchLogGroupName") or DEFAULT_LOG_GROUP) if cw.get("CloudWatchOutputEnabled") else None
    command.status = "InProgress"
    for instance_id, sim in sims.items():
        run = Invocation(account, region, command, instance_id, sim, script, log_group, timeout)
        _invocations[(command.command_id, instance_id)] = run
        run.start()
    result.result["Command"].update(Status="InProgress", StatusDetails="InProgress")  # type: ignore[index]
    return result


def _list_command_invocations(self: SimpleSystemManagerResponse) -> ActionResult:
    backend = ssm_backends[self.current_account][self.region]
    command_id = self._get_param("CommandId")
    instance_id = self._get_param("InstanceId")
    details = self._get_bool_param("Details", False)
    commands = [backend.get_command_by_id(command_id)] if command_id else backend._commands
    rows = []
    for command in commands:
        for inv in command.invocations:
            if instance_id and inv["InstanceId"] != instance_id:
                continue
            row = {
                "CommandId": command.command_id,
                "InstanceId": inv["InstanceId"],
                "DocumentName": command.document_name,
                "Status": inv["Status"],
                "StatusDetails": inv["StatusDetails"],
                "RequestedDateTime": command.requested_date_time,
            }
            if details:
                row["CommandPlugins"] = [
                    {
                        "Name": PLUGIN,
                        "Status": inv["Status"],
                        "StatusDetails": inv["StatusDetails"],
                        "ResponseCode": inv["ResponseCode"],
                        "Output": inv["StandardOutputContent"][:2500],
                    }
                ]
            rows.append(row)
    return ActionResult({"CommandInvocations": rows})


def _cancel_command(self: SimpleSystemManagerResponse) -> ActionResult:
    command_id = self._get_param("CommandId")
    instance_ids = self._get_param("InstanceIds") or None
    found = False
    for (cid, iid), run in list(_invocations.items()):
        if cid == command_id and (instance_ids is None or iid in instance_ids):
            found = True
            run.cancel()
    if not found:
        raise InvalidCommandId("Invalid command id.")
    return ActionResult({})


def _describe_instance_information(self: SimpleSystemManagerResponse) -> ActionResult:
    account, region = self.current_account, self.region
    wanted: list[str] = []
    for f in self._get_param("Filters", []) or []:
        if f.get("Key") in ("InstanceIds", "InstanceId"):
            wanted += f.get("Values", [])
    for f in self._get_param("InstanceInformationFilterList", []) or []:
        if f.get("key") == "InstanceIds":
            wanted += f.get("valueSet", [])
    backend = ec2_backends[account][region]
    rows = []
    for instance in backend.all_instances():
        if wanted and instance.id not in wanted:
            continue
        if instance.state != "running":
            continue
        sim = _fleet.lookup(account, region, instance.id) if _fleet else None
        if sim is None or not sim.registers:
            continue
        rows.append(
            {
                "InstanceId": instance.id,
                "PingStatus": "Online",
                "LastPingDateTime": _now(),
                "AgentVersion": "3.3.0.0-sandbox",
                "IsLatestVersion": True,
                "PlatformType": "Linux",
                "PlatformName": "Ubuntu (simulated)",
                "PlatformVersion": "22.04",
                "ResourceType": "EC2Instance",
                "IPAddress": instance.private_ip,
                "ComputerName": sim.node,
            }
        )
    return ActionResult({"InstanceInformationList": rows})


_original_send_command = SimpleSystemManagerResponse.send_command


def install(fleet: Fleet) -> None:
    """Make the emulator's SSM run commands on `fleet` (idempotent; the last fleet wins)."""
    global _fleet
    _fleet = fleet
    SimpleSystemManagerResponse.send_command = _send_command  # type: ignore[method-assign]
    SimpleSystemManagerResponse.list_command_invocations = _list_command_invocations  # type: ignore[attr-defined]
    SimpleSystemManagerResponse.cancel_command = _cancel_command  # type: ignore[attr-defined]
    SimpleSystemManagerResponse.describe_instance_information = _describe_instance_information  # type: ignore[attr-defined]


def stop_all() -> None:
    """Cancel every running invocation (sandbox shutdown)."""
    for run in list(_invocations.values()):
        run.cancel()
