"""mlflow.write / mlflow.read: log a run to the head node's server over its private IP, read it back.

Runs in the node's venv (needs mlflow). Prints two protocol lines.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from protocol import CheckResult


def emit(check: str, node: str, status: str, detail: str, **data: object) -> None:
    print(CheckResult(check, node, status, detail, dict(data)).to_line(), flush=True)


def main(argv: list) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--tracking-uri", required=True)
    p.add_argument("--experiment", required=True)
    p.add_argument("--node", required=True)
    p.add_argument("--params", required=True, help="JSON object of run parameters")
    p.add_argument("--metrics", required=True, help="JSON object of run metrics")
    p.add_argument("--tags", required=True, help="JSON object of run tags")
    a = p.parse_args(argv)

    import mlflow
    from mlflow.tracking import MlflowClient

    params, metrics, tags = json.loads(a.params), json.loads(a.metrics), json.loads(a.tags)
    try:
        mlflow.set_tracking_uri(a.tracking_uri)
        experiment = mlflow.set_experiment(a.experiment)
        # The experiment id explicitly: when nodes create the experiment at the same moment, MLflow's
        # set_experiment returns it on the losing side without making it active (MLflow 3.10 fluent.py),
        # and the run would land in the Default experiment while this check reported the other one.
        with mlflow.start_run(experiment_id=experiment.experiment_id, run_name=f"verify-{a.node}", tags=tags) as run:
            mlflow.log_params(params)
            mlflow.log_metrics(metrics)
        experiment_id, run_id = experiment.experiment_id, run.info.run_id
    except Exception as err:  # any failure is the check's result, with MLflow's words
        emit(
            "mlflow.write",
            a.node,
            "fail",
            f"logging a run to {a.tracking_uri} failed: {err}",
            tracking_uri=a.tracking_uri,
        )
        emit("mlflow.read", a.node, "skip", "nothing was written (see mlflow.write)")
        return 0
    ids = {"tracking_uri": a.tracking_uri, "experiment_id": experiment_id, "run_id": run_id}
    emit("mlflow.write", a.node, "pass", f"run {run_id} in experiment {experiment_id}", **ids)

    try:
        # A fresh client: the read goes over the network again, not through the fluent API's cache.
        back = MlflowClient(tracking_uri=a.tracking_uri).get_run(run_id)
    except Exception as err:
        emit("mlflow.read", a.node, "fail", f"reading run {run_id} back failed: {err}", **ids)
        return 0
    want_params = {k: str(v) for k, v in params.items()}
    got_metrics = {k: float(v) for k, v in back.data.metrics.items()}
    problems = [f"param {k}" for k, v in want_params.items() if back.data.params.get(k) != v]
    problems += [f"metric {k}" for k, v in metrics.items() if got_metrics.get(k) != float(v)]
    problems += [f"tag {k}" for k, v in tags.items() if back.data.tags.get(k) != str(v)]
    if problems:
        emit("mlflow.read", a.node, "fail", f"run {run_id} read back differs: {', '.join(problems)}", **ids)
    else:
        emit(
            "mlflow.read",
            a.node,
            "pass",
            f"read back {len(want_params)} params, {len(metrics)} metrics, {len(tags)} tags",
            **ids,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
