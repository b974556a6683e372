#!/usr/bin/env bash
# mlflow.server (head node only): the tracking server 35-mlflow-server-start.sh started answers /health
# within a deadline (polled), on loopback and on the private IP the other nodes use.
set -euo pipefail
# shellcheck source=../lib/common.sh
source "$NIXL_LIB/common.sh"

if [ "$NIXL_RANK" != 0 ]; then
  emit mlflow.server skip "runs on the head node (rank 0) at $NIXL_HEAD_IP:$NIXL_MLFLOW_PORT"
  exit 0
fi
log "step mlflow.server"
if [ "$(check_status mlflow.version)" != pass ]; then
  emit mlflow.server fail "MLflow is not installed (see mlflow.version)"
  exit 0
fi
port="$NIXL_MLFLOW_PORT" data="$NIXL_WORK_DIR/mlflow"
local_url="http://127.0.0.1:$port" private_url="http://$NIXL_HEAD_IP:$port"
how="$(cat "$NIXL_RAW/mlflow_start.how" 2>/dev/null || echo "not started")"
if wait_http "$local_url/health" "${NIXL_MLFLOW_START_TIMEOUT:-180}"; then
  if http_ok "$private_url/health"; then
    emit mlflow.server pass "healthy on $private_url and loopback ($how)" \
      "{\"tracking_uri\":\"$private_url\",\"port\":$port}"
  else
    emit mlflow.server fail "healthy on loopback but not on $private_url (allowed hosts or bind address)" \
      "{\"tracking_uri\":\"$private_url\",\"port\":$port}"
  fi
else
  reason="$(tail -n 3 "$data/server.log" 2>/dev/null | tr '\n' ' ')"
  emit mlflow.server fail "no answer on $local_url/health within ${NIXL_MLFLOW_START_TIMEOUT:-180}s ($how) ${reason}" \
    "{\"tracking_uri\":\"$private_url\",\"port\":$port}"
fi
