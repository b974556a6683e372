"""The check-result protocol: the one contract between the node tasks and the console.

Each check prints exactly one line on stdout:

    NIXL-CHECK {"v": 1, "check": "efa.provider", "node": "node1", "status": "pass",
                "detail": "efa provider found", "data": {...}}

(one line; wrapped here for reading). The JSON Schema in tasks/protocol/check-result.schema.json says
the same thing for other tools. Standard library only, Python >= 3.8: this file runs on the nodes
and is imported by the console.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any

PREFIX = "NIXL-CHECK "
VERSION = 1
STATUSES = ("pass", "fail", "warn", "skip")
CHECK_IDS = (
    "system.facts",
    "gpu.devices",
    "vllm.version",
    "nixl.version",
    "mlflow.version",
    "mlflow.server",
    "mlflow.write",
    "mlflow.read",
    "efa.devices",
    "efa.provider",
    "efa.domains",
    "efa.gdr",
    "nixl.transfer",
)
MAX_DETAIL = 300


class ProtocolError(ValueError):
    pass


@dataclass(frozen=True)
class CheckResult:
    check: str
    node: str
    status: str
    detail: str
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.check not in CHECK_IDS:
            raise ProtocolError(f"unknown check id {self.check!r}")
        if self.status not in STATUSES:
            raise ProtocolError(f"status {self.status!r} is not one of {', '.join(STATUSES)}")
        if not self.node:
            raise ProtocolError("node is empty")
        if not isinstance(self.data, dict):
            raise ProtocolError("data must be an object")

    def to_line(self) -> str:
        payload = {
            "v": VERSION,
            "check": self.check,
            "node": self.node,
            "status": self.status,
            # One line, bounded: the detail is for a table cell; the full story is in the data and the log.
            "detail": " ".join(self.detail.split())[:MAX_DETAIL],
            "data": self.data,
        }
        return PREFIX + json.dumps(payload, sort_keys=True, separators=(",", ":"))


def parse_line(line: str) -> CheckResult | None:
    """The result on a protocol line, None for any other output line; ProtocolError when malformed."""
    text = line.rstrip("\r\n")
    if not text.startswith(PREFIX):
        return None
    try:
        payload = json.loads(text[len(PREFIX) :])
    except json.JSONDecodeError as err:
        raise ProtocolError(f"result line is not JSON: {err}") from None
    if not isinstance(payload, dict) or payload.get("v") != VERSION:
        raise ProtocolError(
            f"unsupported result line version: {payload.get('v') if isinstance(payload, dict) else None}"
        )
    missing = [k for k in ("check", "node", "status", "detail", "data") if k not in payload]
    if missing:
        raise ProtocolError(f"result line lacks {', '.join(missing)}")
    return CheckResult(
        check=payload["check"],
        node=payload["node"],
        status=payload["status"],
        detail=str(payload["detail"]),
        data=payload["data"],
    )


def main(argv: list) -> int:
    """`protocol.py CHECK NODE STATUS DETAIL [DATA_JSON]`: print one result line (for shell steps)."""
    if len(argv) not in (4, 5):
        print("usage: protocol.py CHECK NODE STATUS DETAIL [DATA_JSON]", file=sys.stderr)
        return 2
    data = json.loads(argv[4]) if len(argv) == 5 and argv[4] else {}
    print(CheckResult(argv[0], argv[1], argv[2], argv[3], data).to_line(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
