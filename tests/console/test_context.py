"""`-c key=value` parsing and early validation in the console (no jsii)."""

from __future__ import annotations

import pytest

from console.context import UsageError, context_args, parse_overrides, resolve_config


def test_overrides_are_parsed_and_passed_on_to_the_cdk_cli() -> None:
    overrides = parse_overrides(["nodeCount=4", "sshCidr=203.0.113.7/32"])
    assert overrides == {"nodeCount": "4", "sshCidr": "203.0.113.7/32"}
    assert context_args(overrides) == ["-c", "nodeCount=4", "-c", "sshCidr=203.0.113.7/32"]
    assert resolve_config(overrides).node_count == 4


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        (["nodeCount"], "expected key=value"),
        (["=3"], "expected key=value"),
        (["nodes=3"], "unknown context key"),
    ],
)
def test_malformed_overrides_say_what_to_do(pairs: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_overrides(pairs)


def test_invalid_values_use_the_config_line() -> None:
    with pytest.raises(UsageError, match=r"invalid context volumeSize='20': a whole number from 100"):
        resolve_config({"volumeSize": "20"})
