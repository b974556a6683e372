"""The one place that sets the CDK/jsii environment hygiene for every CDK command we run.

Node 20 is past end of life: without these, jsii prints a banner on every run, and the CLI phones
home for notices, telemetry and version checks (which also stall with no network).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

QUIET_CDK_ENV: dict[str, str] = {
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1",
    "NODE_NO_WARNINGS": "1",
    "CDK_DISABLE_VERSION_CHECK": "1",
    "CDK_DISABLE_CLI_TELEMETRY": "true",
}

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CDK_CLI = PROJECT_ROOT / "node_modules" / ".bin" / "cdk"


def apply_quiet_env() -> None:
    """Set the hygiene variables in this process (before `import aws_cdk`), keeping explicit ones."""
    for key, value in QUIET_CDK_ENV.items():
        os.environ.setdefault(key, value)


def cdk_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """An environment for a CDK CLI subprocess: `base` (default os.environ) plus the hygiene."""
    env = dict(os.environ if base is None else base)
    for key, value in QUIET_CDK_ENV.items():
        env.setdefault(key, value)
    return env


def main(argv: list[str]) -> None:
    """`python -m stack.cdk_env ARGS`: exec the project's CDK CLI with the hygiene applied."""
    if not CDK_CLI.exists():
        raise SystemExit(f"error: the CDK CLI is not installed at {CDK_CLI}: run scripts/setup first")
    os.execve(str(CDK_CLI), [str(CDK_CLI), *argv], cdk_env())


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
