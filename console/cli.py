"""`nixl-console`: the command line. Bad input ends in one clear line and exit 2, never a traceback.

Imports of boto3, the emulator and the engine happen inside the commands, so `--help` stays instant.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from console.context import UsageError, parse_overrides, resolve_config
from stack.cdk_env import PROJECT_ROOT

if TYPE_CHECKING:  # the engine imports boto3: only at run time, never for --help
    from console.engine import Engine
    from console.events import Event
    from console.run_state import RunState
    from console.sandbox.runtime import SandboxSpec

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-c",
        "--context",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="CDK context override (README: context keys); repeatable",
    )
    return common


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nixl-console",
        description="Deploy, verify and operate an AWS EFA GPU cluster for NIXL-over-EFA disaggregated inference.",
        parents=[_common()],
    )
    parser.add_argument("--auto", action="store_true", help="headless: plain lines, no TUI (also when not a tty)")
    parser.add_argument("--sandbox", action="store_true", help="run on the local sandbox (no AWS account)")
    parser.add_argument("--report", type=Path, metavar="FILE", help="also write report.json here")
    parser.add_argument("--junit", type=Path, metavar="FILE", help="also write junit.xml here")
    parser.add_argument(
        "--runs-dir",
        type=Path,
        default=PROJECT_ROOT / "runs",
        metavar="DIR",
        help="where run directories go (default: runs/)",
    )
    parser.add_argument("--show-cdk", action="store_true", help="print the CDK CLI's own output too")
    parser.add_argument("--no-mouse", action="store_true", help="TUI: keyboard only, no mouse tracking")
    parser.add_argument(
        "--existing", action="store_true", help="TUI: open on the deployed stack and show its state; r runs the tasks"
    )
    parser.add_argument(
        "--resume",
        nargs="?",
        const="latest",
        metavar="RUN_DIR",
        help="continue a failed or interrupted run from its first unfinished stage (default: the latest run)",
    )
    parser.add_argument(
        "--rerun-failed", action="store_true", help="with --resume of a finished run: the tasks again on failed nodes"
    )
    sb = parser.add_argument_group("sandbox")
    sb.add_argument("--sandbox-profile", metavar="NAME", help="simulated hardware for every node (p4d, p5, ...)")
    sb.add_argument(
        "--sandbox-node",
        action="append",
        default=[],
        metavar="NODE=PROFILE_OR_DIR",
        help="simulated hardware for one node; repeatable",
    )
    sb.add_argument("--sandbox-fail", action="append", default=[], metavar="NODE", help="this node's task fails")
    sb.add_argument(
        "--sandbox-unregistered",
        action="append",
        default=[],
        metavar="NODE",
        help="this node's SSM agent never registers",
    )
    sb.add_argument(
        "--sandbox-throttle",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="throttle this share of AWS API calls (0..0.99)",
    )
    sb.add_argument(
        "--sandbox-flaky-logs",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="this share of log polls fail with ServiceUnavailableException (0..0.99)",
    )
    sb.add_argument(
        "--sandbox-fail-deploy",
        metavar="LOGICAL_ID",
        help="this stack resource (logical id prefix, e.g. NodeRole) fails to create: the deploy rolls back",
    )
    sb.add_argument("--sandbox-timeout", type=int, metavar="SECONDS", help="SSM execution timeout for the tasks")
    sb.add_argument(
        "--sandbox-register-timeout",
        type=float,
        default=30,
        metavar="SECONDS",
        help="how long to wait for the nodes to register with SSM (default 30)",
    )
    sb.add_argument(
        "--sandbox-linger",
        type=float,
        default=900,
        metavar="SECONDS",
        help="a sandbox whose run failed or whose console died waits this long for --resume/attach (default 900)",
    )
    sub = parser.add_subparsers(dest="command")
    attach = sub.add_parser(
        "attach", help="pick up the command of a run whose console was closed or killed (default: the latest run)"
    )
    attach.add_argument("run_dir", nargs="?", default="latest", metavar="RUN_DIR")
    attach.add_argument("--auto", action="store_true", default=argparse.SUPPRESS, help="plain lines, no TUI")
    attach.add_argument("--runs-dir", type=Path, default=argparse.SUPPRESS, metavar="DIR")
    synth = sub.add_parser("synth", parents=[_common()], help="synthesize the stack offline and summarize it")
    synth.add_argument("--output", default="cdk.out", help="cloud assembly directory (default: cdk.out)")
    for name, text in OPERATIONS.items():
        op = sub.add_parser(name, parents=[_common()], help=text)
        op.add_argument("--runs-dir", type=Path, default=PROJECT_ROOT / "runs", metavar="DIR")
        if name in ("rerun", "stop", "start"):
            op.add_argument("--nodes", metavar="NODE,...", help="only these nodes (default: all)")
    return parser


# Operations on an existing stack in your AWS account (the sandbox lives only as long as one run).
OPERATIONS = {
    "status": "show the deployed stack and each node's state",
    "diff": "cdk diff: what a deploy would change",
    "rerun": "upload and run the tasks again on the deployed nodes (e.g. --nodes node2)",
    "stop": "stop the nodes (EC2 stop; disks kept)",
    "start": "start stopped nodes",
    "destroy": "delete the stack",
}


def cmd_operation(args: argparse.Namespace) -> int:
    from console.auto import AutoView
    from console.aws_clients import CredentialsError
    from console.engine import Engine
    from console.run_dir import RunRecorder, new_run_dir
    from console.targets import aws_target

    overrides = parse_overrides(args.context)
    config = resolve_config(overrides)
    try:
        target, account = aws_target(config.region)
    except CredentialsError as err:
        raise UsageError(str(err)) from None
    only = [n.strip() for n in args.nodes.split(",") if n.strip()] if getattr(args, "nodes", None) else None
    recorder = RunRecorder(new_run_dir(args.runs_dir, config.stack_name))
    view = AutoView(show_cdk=True)
    events: list[Event] = []

    def emit(event: Event) -> None:
        events.append(event)
        view(event)

    engine = Engine(config, overrides, target, recorder, emit, only=only)
    print(f"AWS account {account}, region {config.region}: {args.command} {config.stack_name}", flush=True)
    try:
        if args.command == "status":
            engine.status()
            return EXIT_OK
        if args.command == "diff":
            return engine.diff()
        if args.command == "rerun":
            exit_code = engine.run(deploy=False)
            write_run_reports(engine, events, recorder.path, sandbox=False, only=engine.only)
            return exit_code
        if args.command in ("stop", "start"):
            return engine.set_power(args.command == "start")
        engine.synth()
        return engine.destroy()
    finally:
        recorder.close()


def write_run_reports(
    engine: Engine,
    events: list[Event],
    run_dir: Path,
    *,
    sandbox: bool,
    only: list[str] | None = None,
    copies: tuple[Path | None, Path | None] = (None, None),
) -> None:
    """report.json and junit.xml in the run directory (and copies where asked), for the nodes that ran."""
    from console.auto import write_reports
    from console.report import build_report, junit_xml

    report = build_report(
        events,
        stack=engine.config.stack_name,
        region=engine.config.region,
        sandbox=sandbox,
        run_dir=str(run_dir),
        nodes=[n for n in engine.node_infos() if only is None or n.name in only],
    )
    write_reports(report, run_dir, junit_xml(report), *copies)


def cmd_synth(args: argparse.Namespace) -> int:
    import json
    import time

    from console.cdk_cli import run_cdk
    from console.context import context_args
    from console.stack_summary import summarize_template

    overrides = parse_overrides(args.context)
    config = resolve_config(overrides)
    started = time.monotonic()
    result = run_cdk(["synth", "--quiet", "--output", args.output, *context_args(overrides)])
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        print(f"error: cdk synth failed (exit {result.returncode})", file=sys.stderr)
        return EXIT_FAILED
    template_path = PROJECT_ROOT / args.output / f"{config.stack_name}.template.json"
    template = json.loads(template_path.read_text())
    for line in summarize_template(config.stack_name, template):
        print(line)
    print(f"  template:   {template_path} (synth {time.monotonic() - started:.1f}s)")
    return EXIT_OK


def _node_choices(pairs: list[str]) -> dict[str, str]:
    nodes = {}
    for pair in pairs:
        node, sep, value = pair.partition("=")
        if not sep or not node.startswith("node") or not node[4:].isdigit() or not value:
            raise UsageError(f"--sandbox-node {pair!r}: expected NODE=PROFILE_OR_DIR, for example node2=no-efa")
        nodes[node] = value
    return nodes


def rerun(engine: Engine, nodes: list[str]) -> int:
    """The console's "re-run failed": the tasks again on these nodes of the deployed stack."""
    engine.only = nodes
    try:
        return engine.run(deploy=False)
    finally:
        engine.only = None


def _sandbox_spec(args: argparse.Namespace) -> SandboxSpec:
    from console.sandbox.runtime import SandboxError, SandboxSpec

    spec = SandboxSpec(
        profile=args.sandbox_profile,
        nodes=_node_choices(args.sandbox_node),
        failing=set(args.sandbox_fail),
        unregistered=set(args.sandbox_unregistered),
        throttle=args.sandbox_throttle,
        command_timeout=args.sandbox_timeout,
        fail_resource=args.sandbox_fail_deploy,
        flaky_logs=args.sandbox_flaky_logs,
    )
    try:
        spec.validate()
    except SandboxError as err:
        raise UsageError(str(err)) from None
    return spec


def _resumed(args: argparse.Namespace) -> tuple[Path, RunState, list[Event]]:
    """The run directory to continue, its state, and its events on disk (cut back to what the state covers)."""
    from console.events import from_json
    from console.run_state import RunState, RunStateError, cut_back, latest_run

    if args.context:
        raise UsageError("--resume / attach continue a run with its own configuration: no -c overrides")
    try:
        run_dir = latest_run(args.runs_dir) if args.resume == "latest" else Path(args.resume)
        state = RunState.load(run_dir)
    except RunStateError as err:
        raise UsageError(str(err)) from None
    if args.command == "attach" and not state.in_flight:
        raise UsageError(
            f"{run_dir}: no command in flight to attach to (stage {state.stage or '-'}, "
            f"{'finished' if state.finished else 'interrupted'}); `nixl-console --auto --resume {run_dir}` continues it"
        )
    cut = cut_back(run_dir, state.sizes)
    if cut:
        print(f"attach: {', '.join(cut)} cut back to the last saved state (those lines are read again)", flush=True)
    lines = (run_dir / "events.jsonl").read_text(encoding="utf-8").splitlines()
    return run_dir, state, [from_json(line) for line in lines if line.strip()]


def cmd_run(args: argparse.Namespace) -> int:
    resume_state = None
    previous: list[Event] = []
    interactive = not args.auto and sys.stdout.isatty() and sys.stdin.isatty()
    if not args.resume:
        overrides = parse_overrides(args.context)
        config = resolve_config(overrides)
        if interactive and not args.existing:
            # The console opening on a stack with a run in flight attaches to it rather than start a second one.
            from console.run_state import run_in_flight
            from console.sandbox.process import sandbox_alive

            found = run_in_flight(args.runs_dir, config.stack_name, sandbox_alive, sandbox=args.sandbox)
            if found is not None:
                print(f"a run of this stack is in flight: attaching to {found}", flush=True)
                args.resume, args.context = str(found), []
    if args.resume:
        run_dir, resume_state, previous = _resumed(args)
        overrides = dict(resume_state.overrides)
        config = resolve_config(overrides)
        args.sandbox = resume_state.sandbox
    if args.existing and (args.sandbox or args.auto):
        raise UsageError("--existing opens the console on a stack deployed in AWS: not with --sandbox or --auto")
    if not args.sandbox and any(
        (
            args.sandbox_profile,
            args.sandbox_node,
            args.sandbox_fail,
            args.sandbox_unregistered,
            args.sandbox_throttle,
            args.sandbox_fail_deploy,
            args.sandbox_flaky_logs,
        )
    ):
        raise UsageError("--sandbox-* options need --sandbox")

    from console.auto import AutoView
    from console.aws_clients import CredentialsError
    from console.engine import Engine
    from console.run_dir import RunRecorder, new_run_dir
    from console.run_state import RunStateError
    from console.sandbox.runtime import SandboxError

    spec = _sandbox_spec(args) if args.sandbox and resume_state is None else None
    target = None
    if not args.sandbox:
        from console.targets import aws_target

        try:  # before anything is written: no credentials, no run directory
            target, account = aws_target(config.region)
        except CredentialsError as err:
            raise UsageError(str(err)) from None
    sandbox = None
    if args.sandbox:
        from console.sandbox.process import SandboxProcess

        if resume_state is not None:
            try:
                sandbox = SandboxProcess.connect(Path(resume_state.sandbox_root or run_dir / "sandbox"))
            except SandboxError as err:
                raise UsageError(str(err)) from None
    if resume_state is None:
        run_dir = new_run_dir(args.runs_dir, config.stack_name)
    recorder = RunRecorder(run_dir)
    use_tui = interactive
    auto_view = None if use_tui else AutoView(show_cdk=args.show_cdk)
    events: list[Event] = list(previous)
    app = None
    exit_code = EXIT_FAILED

    def emit(event: Event) -> None:
        events.append(event)
        if app is not None:
            app.post(event)  # thread-safe queue, drained by the UI's timer
        elif auto_view is not None:
            auto_view(event)

    try:
        if args.sandbox:
            from console.sandbox.process import SandboxProcess
            from console.targets import sandbox_target

            if sandbox is None:
                assert spec is not None
                try:
                    sandbox = SandboxProcess.start(run_dir / "sandbox", spec, config.region, args.sandbox_linger)
                except SandboxError as err:
                    raise UsageError(str(err)) from None
            target = sandbox_target(
                sandbox, register_timeout=args.sandbox_register_timeout, command_timeout=args.sandbox_timeout
            )
            print(f"sandbox: AWS API at {sandbox.endpoint_url}, run directory {run_dir}", flush=True)
        else:
            assert target is not None
            print(f"AWS account {account}, region {config.region}, run directory {run_dir}", flush=True)

        engine = Engine(config, overrides, target, recorder, emit)
        engine.sandbox_root = str(sandbox.root) if sandbox is not None else None

        refused: list[RunStateError] = []  # a resume with nothing to do: no new report

        def start(_post: object = None) -> int:
            if resume_state is None:
                return engine.run(deploy=not args.existing)
            try:
                return engine.resume(resume_state, previous, rerun_failed=args.rerun_failed)
            except RunStateError as err:
                refused.append(err)
                print(f"error: {err}", file=sys.stderr)
                return EXIT_USAGE

        if use_tui:
            # Build the app only with a terminal: Textual writes control codes and can hang without one.
            from console.tui.app import NixlConsoleApp
            from console.view_state import ViewState

            app = NixlConsoleApp(
                ViewState(config.stack_name, config.region, args.sandbox),
                config.node_names,
                run_dir=run_dir,
                start=start,
                cancel=engine.cancel,
                destroy=lambda _post: engine.destroy(),
                diff=lambda _post: engine.diff(),
                rerun=lambda nodes: rerun(engine, nodes),
                power=engine.set_power,
                on_open=engine.status if args.existing else None,
            )
            for event in previous:  # the run so far, then what follows
                app.post(event)
            result = app.run(mouse=not args.no_mouse)
            crashed = app.return_code not in (0, None)  # Textual printed why
            exit_code = 1 if crashed else (result if isinstance(result, int) else app.exit_code)
        else:
            if previous and auto_view is not None:
                print(f"attach: {len(previous)} events of {run_dir.name} already on disk", flush=True)

            def on_sigint(signum: int, frame: FrameType | None) -> None:
                if engine.command_id and not engine._cancel.is_set():
                    engine.cancel()  # the stream loop cancels the command, drains and stops
                else:
                    raise KeyboardInterrupt

            previous_handler = signal.signal(signal.SIGINT, on_sigint)
            try:
                exit_code = start()
            finally:
                signal.signal(signal.SIGINT, previous_handler)
        if refused:
            return exit_code
        write_run_reports(engine, events, run_dir, sandbox=args.sandbox, copies=(args.report, args.junit))
        print(f"report: {run_dir / 'report.json'}  junit: {run_dir / 'junit.xml'}  logs: {run_dir}", flush=True)
        return exit_code
    finally:
        recorder.close()
        if sandbox is not None:
            if exit_code == EXIT_OK or args.sandbox_linger <= 0:
                sandbox.stop()
            else:  # a failed or interrupted run keeps its sandbox a while, for --resume
                print(
                    f"sandbox kept {args.sandbox_linger / 60:.0f} min for `nixl-console --auto --resume {run_dir}`",
                    flush=True,
                )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "synth":
            return cmd_synth(args)
        if args.command in OPERATIONS:
            return cmd_operation(args)
        if args.command == "attach":
            args.resume = args.run_dir
        return cmd_run(args)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as err:  # StageFailed from an operation: its message is for the operator
        from console.engine import StageFailed

        if not isinstance(err, StageFailed):
            raise
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
