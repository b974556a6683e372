"""The fault matrix: the real console on the sandbox under each fault, with nothing lost and a clear message.

Every row runs the CLI as an operator would (`--auto`, a subprocess) and asserts the outcome, that the node
logs on disk hold every line the nodes printed (the simulated nodes keep their own copy of what they wrote,
as the SSM agent does), and what the operator is told. The table prints at the end of the test session.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.e2e.conftest import CONSOLE, ConsoleRun, clean_env, find_run_dir, no_aws_env, record_fault, run_console

pytestmark = pytest.mark.slow


# -- what "nothing lost" means ---------------------------------------------------------------------
def assert_nothing_lost(run_dir: Path, nodes: tuple[str, ...] = ("node1", "node2")) -> int:
    """Each node log holds exactly the lines the node printed for the run's command, once and in order
    (stdout and stderr compared separately: their interleaving is not defined). Returns the lines checked."""
    state = json.loads((run_dir / "state.json").read_text())
    checked = 0
    for node in nodes:
        work = run_dir / "sandbox" / "nodes" / node / "work"
        log = (run_dir / f"{node}.log").read_text().splitlines() if (run_dir / f"{node}.log").exists() else []
        for kind in ("stdout", "stderr"):
            truth_file = work / f"ssm-{state['command_id']}.{kind}"
            truth = truth_file.read_text().splitlines() if truth_file.exists() else []
            got = (
                [line.removeprefix("[stderr] ") for line in log if line.startswith("[stderr] ")]
                if kind == "stderr"
                else [line for line in log if not line.startswith("[stderr] ")]
            )
            assert got == truth, f"{node} {kind}: {len(got)} lines on disk, the node printed {len(truth)}"
            checked += len(truth)
    return checked


def checks_by_node(report: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {n["name"]: {c["id"]: c["status"] for c in n["checks"]} for n in report["nodes"]}


def _last_line(text: str, needle: str) -> str:
    return next((line.strip() for line in reversed(text.splitlines()) if needle in line), "")


def _console(*args: str, env: dict[str, str] | None = None, timeout: float = 420) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CONSOLE, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or clean_env(),
        stdin=subprocess.DEVNULL,
        check=False,
    )


def _passes_losing_nothing(run: ConsoleRun, fault: str, expected: str, told: str = "result: OK") -> None:
    assert run.returncode == 0, run.stdout[-3000:]
    lines = assert_nothing_lost(run.run_dir)  # type: ignore[arg-type]
    record_fault(fault, expected, run.returncode, lines, told)


def _start_console(runs: Path, *args: str) -> tuple[subprocess.Popen[str], Path]:
    out = runs / "console.out"
    proc = subprocess.Popen(
        [CONSOLE, "--auto", "--runs-dir", str(runs), "--sandbox", *args],
        stdout=out.open("w"),
        stderr=subprocess.STDOUT,
        text=True,
        env=clean_env(),
        stdin=subprocess.DEVNULL,
    )
    return proc, out


def _wait_for_lines(runs: Path, lines: int, proc: subprocess.Popen[str], timeout: float = 300) -> Path:
    """The run directory, once node1's log has this many lines (the run stage is streaming)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run_dir = find_run_dir(runs)
        log = run_dir / "node1.log" if run_dir else None
        if log and log.exists() and len(log.read_text().splitlines()) >= lines:
            return run_dir  # type: ignore[return-value]
        assert proc.poll() is None, (runs / "console.out").read_text()[-3000:]
        time.sleep(0.2)
    raise AssertionError(f"node1 never printed {lines} lines: " + (runs / "console.out").read_text()[-3000:])


# -- the rows --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def baseline() -> ConsoleRun:
    return run_console("--sandbox")


def test_no_fault_baseline(baseline: ConsoleRun) -> None:
    _passes_losing_nothing(baseline, "none (baseline)", "exit 0, every check passes")


def test_deploy_failure_rolls_back_and_names_the_resource() -> None:
    run = run_console("--sandbox", "--sandbox-fail-deploy", "NodeRole")
    assert run.returncode == 3, run.stdout[-3000:]
    message = _last_line(run.stdout, "result: FAILED")
    assert "NodeRole" in message and "could not be created" in message
    assert any(s["name"] == "deploy" and s["status"] == "failed" for s in run.report["stages"])
    cdk_log = (run.run_dir / "cdk.log").read_text()  # type: ignore[operator]
    assert "ROLLBACK_COMPLETE" in cdk_log
    record_fault("deploy failure with rollback", "exit 3, first failed resource named", run.returncode, 0, message)


def test_one_node_task_fails() -> None:
    run = run_console("--sandbox", "--sandbox-fail", "node2")
    assert run.returncode == 1, run.stdout[-3000:]
    assert run.node("node2")["command_status"] == "Failed" and run.node("node1")["command_status"] == "Success"
    lines = assert_nothing_lost(run.run_dir)  # type: ignore[arg-type]
    message = _last_line(run.stdout, "result: FAILED")
    assert "node2" in message
    record_fault("one node's task fails", "exit 1, that node Failed, others pass", run.returncode, lines, message)


def test_node_that_never_registers_exits_4_naming_it() -> None:
    run = run_console("--sandbox", "--sandbox-unregistered", "node2", "--sandbox-register-timeout", "3")
    assert run.returncode == 4, run.stdout[-2000:]
    message = _last_line(run.stdout, "never registered with SSM")
    assert "node2 (i-" in message and "node1 (i-" not in message
    record_fault("a node never registers", "exit 4, the node and what to check named", run.returncode, 0, message)


def test_task_over_its_timeout_then_resume_runs_the_failed_nodes_again() -> None:
    run = run_console("--sandbox", "--sandbox-timeout", "6", "--sandbox-linger", "300")
    assert run.returncode == 1
    assert {n["command_status"] for n in run.report["nodes"]} == {"TimedOut"}
    lines = assert_nothing_lost(run.run_dir)  # type: ignore[arg-type]
    message = _last_line(run.stdout, "result: FAILED")
    assert "TimedOut" in run.stdout and "--resume" in run.stdout  # the sandbox waits for a resume
    record_fault("command timeout", "exit 1, every node TimedOut", run.returncode, lines, message)

    def resume(*extra: str) -> subprocess.CompletedProcess[str]:
        return _console("--auto", "--resume", str(run.run_dir), *extra)

    finished = resume()
    assert finished.returncode == 2, finished.stdout + finished.stderr
    assert "nothing to resume; --rerun-failed runs the tasks again on node1, node2" in finished.stderr
    again = resume("--rerun-failed")
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-2000:]
    assert "resuming" in again.stdout and "from attach" in again.stdout
    assert "== deploy" not in again.stdout and "== synth" not in again.stdout  # the stack is not deployed again
    assert "0 of 22 files changed" in again.stdout  # nor the tasks uploaded again
    report = json.loads((run.run_dir / "report.json").read_text())  # type: ignore[operator]
    assert report["ok"] and {n["command_status"] for n in report["nodes"]} == {"Success"}
    told = _last_line(again.stdout, "resuming")
    record_fault("  then --resume --rerun-failed", "exit 0, no redeploy, no re-upload", again.returncode, 0, told)


def test_throttled_calls_lose_and_repeat_nothing() -> None:
    run = run_console("--sandbox", "--sandbox-throttle", "0.2")
    _passes_losing_nothing(run, "20% of AWS calls throttled", "exit 0, retried")


def test_log_poll_errors_lose_and_repeat_nothing() -> None:
    run = run_console("--sandbox", "--sandbox-flaky-logs", "0.4")
    warning = _last_line(run.stdout, "poll failed (ServiceUnavailableException), trying again")
    assert warning, "the console says when a poll failed"
    _passes_losing_nothing(run, "40% of log polls fail", "exit 0, polls retried", warning)


def test_sigint_mid_run_cancels_commands_keeps_logs_and_exits_130() -> None:
    runs = Path(tempfile.mkdtemp(prefix="runs-"))
    proc, out = _start_console(runs, "--sandbox-linger", "0")
    _wait_for_lines(runs, 5, proc)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=120)
    text = out.read_text()
    assert proc.returncode == 130, text[-3000:]
    run_dir = find_run_dir(runs)
    assert run_dir is not None
    report = json.loads((run_dir / "report.json").read_text())
    assert {n["command_status"] for n in report["nodes"]} == {"Cancelled"}
    lines = assert_nothing_lost(run_dir)
    record_fault("Ctrl-C mid-run", "exit 130, commands cancelled", proc.returncode, lines, _last_line(text, "result:"))


def test_sigkill_then_attach_gives_complete_logs_and_the_same_report(baseline: ConsoleRun) -> None:
    runs = Path(tempfile.mkdtemp(prefix="runs-"))
    proc, _ = _start_console(runs, "--sandbox-linger", "300")
    run_dir = _wait_for_lines(runs, 12, proc)
    proc.kill()  # SIGKILL: no handler, no cleanup, no report
    proc.wait()
    assert not (run_dir / "report.json").exists()
    sandbox_info = json.loads((run_dir / "sandbox" / "sandbox.json").read_text())
    attach = _console("attach", str(run_dir), "--auto")
    assert attach.returncode == 0, attach.stdout[-3000:] + attach.stderr[-2000:]
    assert "attached to command" in attach.stdout
    lines = assert_nothing_lost(run_dir)
    report = json.loads((run_dir / "report.json").read_text())
    assert report["ok"] and checks_by_node(report) == checks_by_node(baseline.report)
    assert [n["command_status"] for n in report["nodes"]] == ["Success", "Success"]
    assert len(report["mlflow"]) == len(baseline.report["mlflow"]) == 2
    with pytest.raises(ProcessLookupError):  # the attached console stopped the sandbox at the end
        for _ in range(100):
            os.kill(int(sandbox_info["pid"]), 0)
            time.sleep(0.1)
    record_fault("SIGKILL, then attach", "exit 0, logs complete, report as baseline", 0, lines, "attached to command")


def test_stack_deleted_outside_the_console_while_it_watches() -> None:
    runs = Path(tempfile.mkdtemp(prefix="runs-"))
    proc, out = _start_console(runs, "--sandbox-linger", "0")
    run_dir = _wait_for_lines(runs, 5, proc)
    port = json.loads((run_dir / "sandbox" / "sandbox.json").read_text())["port"]
    cfn = boto3.client(
        "cloudformation",
        endpoint_url=f"http://localhost:{port}",
        region_name="us-east-1",
        aws_access_key_id="sandbox",
        aws_secret_access_key="sandbox",
    )
    cfn.delete_stack(StackName="nixl-efa-dev-east-1")
    proc.wait(timeout=300)
    text = out.read_text()
    assert proc.returncode == 3, text[-3000:]
    message = _last_line(text, "result: FAILED")
    assert "was deleted outside the console" in message
    record_fault("stack deleted outside the console", "exit 3, said so, logs kept", proc.returncode, 0, message)


class _ExpiredSts(BaseHTTPRequestHandler):
    """STS as it answers an expired session token (no real expired token can exist here)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = (
            b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
            b"<Code>ExpiredToken</Code><Message>The security token included in the request is expired</Message>"
            b"</Error><RequestId>0</RequestId></ErrorResponse>"
        )
        self.send_response(400)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def expired_sts() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _ExpiredSts)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _console_without_aws(extra_env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return _console("--auto", "--runs-dir", tempfile.mkdtemp(), *args, env=no_aws_env(**extra_env), timeout=60)


def test_missing_credentials() -> None:
    proc = _console_without_aws({})
    assert proc.returncode == 2 and proc.stderr.startswith("error: no AWS credentials found"), proc.stderr
    assert "Traceback" not in proc.stderr
    record_fault("missing credentials", "exit 2, what to set", proc.returncode, 0, proc.stderr.strip())


def test_expired_credentials(expired_sts: str) -> None:
    creds = {"AWS_ACCESS_KEY_ID": "ASIAEXPIRED", "AWS_SECRET_ACCESS_KEY": "x", "AWS_SESSION_TOKEN": "old"}
    proc = _console_without_aws({**creds, "AWS_ENDPOINT_URL_STS": expired_sts})
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith("error: AWS rejected the credentials (ExpiredToken): refresh them"), proc.stderr
    record_fault("expired credentials", "exit 2, refresh them", proc.returncode, 0, proc.stderr.strip())


BAD_CONTEXT = [
    ("stackName=9bad", "invalid context stackName='9bad'"),
    ("region=mars-1", "invalid context region='mars-1'"),
    ("availabilityZone=us-west-2a", "invalid context availabilityZone='us-west-2a'"),
    ("profile=staging", "invalid context profile='staging'"),
    ("instanceType=m5.large", "invalid context instanceType='m5.large'"),
    ("nodeCount=17", "invalid context nodeCount='17'"),
    ("nodeCount=1", "invalid context nodeCount='1'"),
    ("volumeSize=50", "invalid context volumeSize='50'"),
    ("amiId=ami-xyz", "invalid context amiId='ami-xyz'"),
    ("amiSsmParameter=nope", "invalid context amiSsmParameter='nope'"),
    ("keyName=" + "k" * 300, "invalid context keyName="),
    ("sshCidr=10.0.0.0/99", "invalid context sshCidr='10.0.0.0/99'"),
    ("nodes=2", "-c nodes: unknown context key"),
    ("nodeCount", "-c 'nodeCount': expected key=value"),
]


@pytest.mark.parametrize(("override", "message"), BAD_CONTEXT, ids=[b[0][:24] for b in BAD_CONTEXT])
def test_bad_context_value(override: str, message: str) -> None:
    runs = Path(tempfile.mkdtemp())
    proc = _console("--auto", "--sandbox", "--runs-dir", str(runs), "-c", override, timeout=60)
    assert proc.returncode == 2 and proc.stderr.startswith(f"error: {message}"), proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert not list(runs.iterdir()), "a bad -c must fail before anything is started or written"
    record_fault(f"-c {override[:30]}", "exit 2, one line", proc.returncode, 0, proc.stderr.strip())
