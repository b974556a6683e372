"""Synthesize each stack configuration once per test session (each synth costs seconds of jsii)."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stack.cdk_env import PROJECT_ROOT, apply_quiet_env

apply_quiet_env()

from aws_cdk.assertions import Template  # noqa: E402

from stack.app import build_app  # noqa: E402


@dataclass
class Synth:
    template: Template
    raw: dict[str, Any]
    outdir: Path

    def resources(self, cfn_type: str) -> dict[str, dict[str, Any]]:
        return self.template.find_resources(cfn_type)

    def only(self, cfn_type: str) -> dict[str, Any]:
        found = list(self.resources(cfn_type).values())
        assert len(found) == 1, f"expected one {cfn_type}, found {len(found)}"
        return found[0]["Properties"]


def _defaults() -> dict[str, Any]:
    return json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"]


@pytest.fixture(scope="session")
def synth() -> Callable[..., Synth]:
    cache: dict[tuple[tuple[str, str], ...], Synth] = {}

    def run(**overrides: Any) -> Synth:
        key = tuple(sorted((k, str(v)) for k, v in overrides.items()))
        if key not in cache:
            outdir = Path(tempfile.mkdtemp(prefix="synth-"))
            app, stack = build_app({**_defaults(), **overrides}, outdir=str(outdir))
            assembly = app.synth()
            raw = assembly.get_stack_by_name(stack.stack_name).template
            cache[key] = Synth(Template.from_json(raw), raw, outdir)
        return cache[key]

    return run
