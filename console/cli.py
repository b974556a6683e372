"""`nixl-console`: the command line. Bad input ends in one clear line and exit 2, never a traceback."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence

from console.cdk_cli import CdkCliMissing, run_cdk
from console.context import UsageError, context_args, parse_overrides, resolve_config
from console.stack_summary import summarize_template
from stack.cdk_env import PROJECT_ROOT

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nixl-console",
        description="Stand up and verify an AWS EFA GPU cluster for NIXL-over-EFA disaggregated inference.",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-c",
        "--context",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="CDK context override (see README: context keys), repeatable",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    synth = sub.add_parser("synth", parents=[common], help="synthesize the stack offline and summarize it")
    synth.add_argument("--output", default="cdk.out", help="cloud assembly directory (default: cdk.out)")
    return parser


def cmd_synth(args: argparse.Namespace) -> int:
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


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "synth":
            return cmd_synth(args)
    except (UsageError, CdkCliMissing) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
