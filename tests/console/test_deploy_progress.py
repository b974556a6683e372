"""Deploy progress over stack events recorded from a real sandbox deploy, and a failure."""

from __future__ import annotations

import json
from pathlib import Path

from console.deploy_progress import DeployProgressModel

RECORDED = json.loads((Path(__file__).parent / "fixtures" / "sandbox-deploy-stack-events.json").read_text())


def test_recorded_deploy_reaches_every_resource() -> None:
    model = DeployProgressModel("nixl-efa-dev-east-1", total=23)
    seen = []
    for ev in RECORDED:
        model.apply(ev["logical_id"], ev["status"], ev["reason"])
        seen.append(model.done)
    assert seen == sorted(seen), "progress never goes backwards"
    assert model.done == model.total == 23
    assert not model.failed


def test_first_failure_and_its_reason_win() -> None:
    model = DeployProgressModel("s", total=3)
    model.apply("s", "CREATE_IN_PROGRESS", "User Initiated")
    model.apply("Vpc", "CREATE_COMPLETE")
    model.apply("Node1", "CREATE_FAILED", "We currently do not have sufficient p5.48xlarge capacity")
    model.apply("Node2", "CREATE_FAILED", "Resource creation cancelled")
    model.apply("Vpc", "DELETE_COMPLETE")
    assert model.failed
    assert model.first_failure == ("Node1", "We currently do not have sufficient p5.48xlarge capacity")
