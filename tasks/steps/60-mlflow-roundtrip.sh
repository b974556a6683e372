#!/usr/bin/env bash
# mlflow.write / mlflow.read: every node logs a run to the head's server over the private IP and reads it
# back; this also proves node-to-node traffic through the security group.
set -euo pipefail
# shellcheck source=../lib/common.sh
source "$NIXL_LIB/common.sh"
log "step mlflow.write / mlflow.read"

uri="http://$NIXL_HEAD_IP:$NIXL_MLFLOW_PORT"
if [ "$(check_status mlflow.version)" != pass ]; then
  emit mlflow.write fail "MLflow is not installed on this node (see mlflow.version)"
  emit mlflow.read skip "nothing was written (see mlflow.write)"
  exit 0
fi
# The nodes run at once: the head may still be installing, so wait for its server (bounded).
wait_s="${NIXL_MLFLOW_WAIT:-1800}"
if ! wait_http "$uri/health" "$wait_s"; then
  emit mlflow.write fail "no MLflow server at $uri/health after ${wait_s}s (head node down, or port $NIXL_MLFLOW_PORT blocked by the security group)" \
    "{\"tracking_uri\":\"$uri\"}"
  emit mlflow.read skip "nothing was written (see mlflow.write)"
  exit 0
fi

field() { grep -F "\"check\":\"$1\"" "$NIXL_RESULTS" | tail -n 1 | sed -n "s/.*\"$2\":\\([0-9]*\\).*/\\1/p"; }
version() { grep -F "\"check\":\"$1\"" "$NIXL_RESULTS" | tail -n 1 | sed -n 's/.*"version":"\([^"]*\)".*/\1/p'; }
instance_type="$(grep -F '"check":"system.facts"' "$NIXL_RESULTS" | tail -n 1 | sed -n 's/.*"instance_type":"\([^"]*\)".*/\1/p')"

params="$("$NIXL_PYTHON" -c 'import json, sys; print(json.dumps(dict(zip(sys.argv[1::2], sys.argv[2::2]))))' \
  node "$NIXL_NODE" rank "$NIXL_RANK" instance_type "${instance_type:-unknown}" \
  vllm "$(version vllm.version)" nixl "$(version nixl.version)" mlflow "$(version mlflow.version)")"
efa_count="$(field efa.devices count)" gpu_count="$(field gpu.devices count)"
metrics="{\"efa_device_count\":${efa_count:-0},\"gpu_count\":${gpu_count:-0}}"
tags="{\"nixl.stack\":\"$NIXL_STACK\",\"nixl.run_id\":\"$NIXL_RUN_ID\"}"
report_from "$NIXL_RAW/mlflow_roundtrip.err" mlflow.write "$NIXL_VENV/bin/python" "$NIXL_LIB/mlflow_roundtrip.py" \
  --tracking-uri "$uri" --experiment "nixl-efa-$NIXL_STACK" --node "$NIXL_NODE" --params "$params" \
  --metrics "$metrics" --tags "$tags"
