"""report.json and junit.xml from an event stream."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from console.events import CheckReported, MlflowRunLink, NodeCommandStatus, RunFinished, StageFinished
from console.report import NodeInfo, build_report, junit_xml

NODES = [
    NodeInfo("node1", 0, "i-1", "p5.48xlarge", "10.42.0.4", "/r/node1.log"),
    NodeInfo("node2", 1, "i-2", "p5.48xlarge", "10.42.0.5", "/r/node2.log"),
]
EVENTS = [
    StageFinished("deploy", "ok", 2.5),
    CheckReported("node1", "efa.devices", "pass", "32", {"count": 32, "expected": 32}),
    CheckReported("node1", "efa.provider", "pass", "efa"),
    CheckReported("node1", "efa.domains", "pass", "32", {"count": 32, "domains": ["d-rdm"]}),
    CheckReported("node2", "efa.provider", "fail", "fi_getinfo: -61 (No data available)"),
    CheckReported("node2", "nixl.transfer", "skip", "no EFA"),
    CheckReported("node2", "efa.gdr", "warn", "nvidia_peermem not loaded"),
    NodeCommandStatus("node1", "i-1", "Success", 0),
    NodeCommandStatus("node2", "i-2", "Failed", 1),
    MlflowRunLink(
        "node1", "1", "r1", "http://10.42.0.4:5000/#/experiments/1/runs/r1", "http://localhost:5000/x", "aws"
    ),
    RunFinished(False, 1, "node2: failed efa.provider"),
]


def test_report_fields() -> None:
    report = build_report(EVENTS, stack="s", region="us-east-1", sandbox=True, run_dir="/r", nodes=NODES)
    assert (report["ok"], report["exit_code"], report["sandbox"]) == (False, 1, True)
    assert report["stages"] == [{"name": "deploy", "status": "ok", "seconds": 2.5, "detail": ""}]
    n1, n2 = report["nodes"]
    assert n1["efa"] == {"devices": 32, "expected": 32, "provider": "pass", "domains": ["d-rdm"]}
    assert (n1["command_status"], n1["exit_code"], n1["instance_id"], n1["private_ip"]) == (
        "Success",
        0,
        "i-1",
        "10.42.0.4",
    )
    assert n2["efa"]["provider"] == "fail" and n2["command_status"] == "Failed"
    assert [c["id"] for c in n2["checks"]] == ["efa.provider", "nixl.transfer", "efa.gdr"]
    assert report["mlflow"][0]["run_id"] == "r1" and report["mlflow"][0]["node"] == "node1"


def test_junit_one_case_per_node_and_check() -> None:
    report = build_report(EVENTS, stack="s", region="r", sandbox=False, run_dir="/r", nodes=NODES)
    root = ET.fromstring(junit_xml(report).split("?>", 1)[1])
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("6", "1", "1")
    cases = {(c.get("classname"), c.get("name")): c for c in suite.iter("testcase")}
    failure = cases[("node2", "efa.provider")].find("failure")
    assert failure is not None and "-61" in failure.get("message", "")
    assert cases[("node2", "nixl.transfer")].find("skipped") is not None
    assert cases[("node1", "efa.devices")].find("failure") is None
