"""CDK context for the console: cdk.json's defaults plus `-c key=value` overrides, validated early.

Validating here (pure Python, no jsii) gives the operator the one-line error in milliseconds instead
of after a multi-second synth.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from stack.cdk_env import PROJECT_ROOT
from stack.config import CONTEXT_KEYS, ConfigError, StackConfig, load_config


class UsageError(ValueError):
    """Bad command-line input; the message says what was wrong and what to do."""


def parse_overrides(pairs: Iterable[str]) -> dict[str, str]:
    overrides: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"-c {pair!r}: expected key=value, for example -c nodeCount=2")
        if key not in CONTEXT_KEYS:
            raise UsageError(f"-c {key}: unknown context key; known keys: {', '.join(CONTEXT_KEYS)}")
        overrides[key] = value
    return overrides


def project_context(root: Path = PROJECT_ROOT) -> dict[str, Any]:
    return dict(json.loads((root / "cdk.json").read_text()).get("context", {}))


def resolve_config(overrides: dict[str, str], root: Path = PROJECT_ROOT) -> StackConfig:
    """The validated configuration the CDK app will see; raises UsageError with the config's line."""
    try:
        return load_config({**project_context(root), **overrides})
    except ConfigError as err:
        raise UsageError(str(err)) from None


def context_args(overrides: dict[str, str]) -> list[str]:
    """The `-c key=value` arguments to hand the CDK CLI."""
    return [arg for key, value in overrides.items() for arg in ("-c", f"{key}={value}")]
