"""The result protocol: what the nodes print is what the console reads, and the schema agrees."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from tasks.lib import protocol
from tasks.lib.protocol import CHECK_IDS, PREFIX, CheckResult, ProtocolError, parse_line

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "tasks" / "protocol" / "check-result.schema.json").read_text()
)


def validate_line(line: str) -> CheckResult:
    """Validate a protocol line against the JSON Schema and parse it (used by the runner tests too)."""
    assert line.startswith(PREFIX)
    jsonschema.validate(json.loads(line[len(PREFIX) :]), SCHEMA)
    result = parse_line(line)
    assert result is not None
    return result


def test_round_trip_and_schema() -> None:
    result = CheckResult("efa.domains", "node1", "pass", "2 RDM domains", {"count": 2, "domains": ["a-rdm", "b-rdm"]})
    line = result.to_line()
    assert "\n" not in line
    assert validate_line(line) == result


def test_schema_and_module_agree_on_ids_and_statuses() -> None:
    assert tuple(SCHEMA["properties"]["check"]["enum"]) == CHECK_IDS
    assert tuple(SCHEMA["properties"]["status"]["enum"]) == protocol.STATUSES


def test_detail_is_one_bounded_line() -> None:
    line = CheckResult("gpu.devices", "n", "fail", "a\nb\r\n" + "x" * 1000).to_line()
    parsed = validate_line(line)
    assert "\n" not in parsed.detail and len(parsed.detail) == protocol.MAX_DETAIL


def test_other_lines_are_not_results() -> None:
    assert parse_line("[12:00:00] node1: step gpu.devices") is None
    assert parse_line("NIXL-CHECKS are great") is None


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (PREFIX + "{not json", "not JSON"),
        (PREFIX + '{"v": 2}', "unsupported"),
        (PREFIX + '{"v": 1, "check": "gpu.devices"}', "lacks"),
        (
            PREFIX + '{"v":1,"check":"gpu.magic","node":"n","status":"pass","detail":"","data":{}}',
            "unknown check",
        ),
        (PREFIX + '{"v":1,"check":"gpu.devices","node":"n","status":"ok","detail":"","data":{}}', "status"),
    ],
)
def test_malformed_lines_raise(line: str, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        parse_line(line)


def test_shell_entry_point_prints_one_valid_line() -> None:
    script = Path(protocol.__file__)
    out = subprocess.run(
        [sys.executable, str(script), "efa.provider", "node2", "fail", "fi_getinfo: -61", '{"rc": 61}'],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.count("\n") == 1
    result = validate_line(out.strip())
    assert (result.check, result.node, result.status, result.data) == (
        "efa.provider",
        "node2",
        "fail",
        {"rc": 61},
    )
