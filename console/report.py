"""The run report (report.json) and its JUnit rendering (junit.xml), built from the event stream (pure).

report.json schema (version 1):
  stack, region, sandbox (bool), ok (bool), exit_code (int), run_dir (str)
  stages: [{name, status: ok|failed|skipped, seconds, detail}]
  nodes:  [{name, rank, instance_id, instance_type, private_ip, command_status, exit_code, log,
            checks: [{id, status, detail, data}],
            efa: {devices, expected, provider, domains}}]
  mlflow: [{node, experiment_id, run_id, url, local_url, port_forward}]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree as ET

from console.events import (
    CheckReported,
    Event,
    MlflowRunLink,
    NodeCommandStatus,
    RunFinished,
    StageFinished,
)


@dataclass(frozen=True)
class NodeInfo:
    name: str
    rank: int
    instance_id: str
    instance_type: str
    private_ip: str
    log: str


def build_report(
    events: Iterable[Event], *, stack: str, region: str, sandbox: bool, run_dir: str, nodes: list[NodeInfo]
) -> dict[str, Any]:
    stages: list[dict[str, Any]] = []
    checks: dict[str, dict[str, dict[str, Any]]] = {n.name: {} for n in nodes}
    status: dict[str, tuple[str, int | None]] = {}
    links: list[dict[str, Any]] = []
    finished: RunFinished | None = None
    for event in events:
        if isinstance(event, StageFinished):
            stages.append(
                {
                    "name": event.stage,
                    "status": event.status,
                    "seconds": round(event.seconds, 3),
                    "detail": event.detail,
                }
            )
        elif isinstance(event, CheckReported):
            checks.setdefault(event.node, {})[event.check] = {
                "id": event.check,
                "status": event.status,
                "detail": event.detail,
                "data": event.data,
            }
        elif isinstance(event, NodeCommandStatus):
            status[event.node] = (event.status, event.exit_code)
        elif isinstance(event, MlflowRunLink):
            links.append(
                {
                    "node": event.node,
                    "experiment_id": event.experiment_id,
                    "run_id": event.run_id,
                    "url": event.url,
                    "local_url": event.local_url,
                    "port_forward": event.port_forward,
                }
            )
        elif isinstance(event, RunFinished):
            finished = event
    node_rows = []
    for n in nodes:
        by_id = checks.get(n.name, {})
        devices = by_id.get("efa.devices", {}).get("data", {})
        domains = by_id.get("efa.domains", {}).get("data", {})
        node_rows.append(
            {
                "name": n.name,
                "rank": n.rank,
                "instance_id": n.instance_id,
                "instance_type": n.instance_type,
                "private_ip": n.private_ip,
                "command_status": status.get(n.name, ("NotRun", None))[0],
                "exit_code": status.get(n.name, ("NotRun", None))[1],
                "log": n.log,
                "checks": list(by_id.values()),
                "efa": {
                    "devices": devices.get("count"),
                    "expected": devices.get("expected"),
                    "provider": by_id.get("efa.provider", {}).get("status"),
                    "domains": domains.get("domains", []),
                },
            }
        )
    return {
        "version": 1,
        "stack": stack,
        "region": region,
        "sandbox": sandbox,
        "ok": bool(finished and finished.ok),
        "exit_code": finished.exit_code if finished else None,
        "summary": finished.summary if finished else "",
        "run_dir": run_dir,
        "stages": stages,
        "nodes": node_rows,
        "mlflow": links,
    }


def junit_xml(report: dict[str, Any]) -> str:
    """One test case per node and check; fail is a failure, skip is skipped, warn passes with a note."""
    cases = [(node, check) for node in report["nodes"] for check in node["checks"]]
    suite = ET.Element(
        "testsuite",
        name=f"nixl-efa-console {report['stack']}",
        tests=str(len(cases)),
        failures=str(sum(c["status"] == "fail" for _, c in cases)),
        skipped=str(sum(c["status"] == "skip" for _, c in cases)),
        errors="0",
    )
    for node, check in cases:
        case = ET.SubElement(suite, "testcase", classname=node["name"], name=check["id"])
        if check["status"] == "fail":
            ET.SubElement(case, "failure", message=check["detail"]).text = check["detail"]
        elif check["status"] == "skip":
            ET.SubElement(case, "skipped", message=check["detail"])
        elif check["status"] == "warn":
            ET.SubElement(case, "system-out").text = f"warning: {check['detail']}"
    for node in report["nodes"]:
        if not node["checks"]:
            case = ET.SubElement(suite, "testcase", classname=node["name"], name="command")
            ET.SubElement(case, "error", message=f"no check results (command {node['command_status']})")
            suite.set("errors", str(int(suite.get("errors", "0")) + 1))
            suite.set("tests", str(int(suite.get("tests", "0")) + 1))
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
