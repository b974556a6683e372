#!/usr/bin/env bash
# mlflow.server (head node only): a tracking server on $NIXL_MLFLOW_PORT with a SQLite store, under
# systemd where systemd runs (restart on failure, outlives the SSM command), else a detached process.
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
mkdir -p "$data/artifacts"
# MLflow >= 3.5 checks the Host header: allow the private IP and loopback, with and without the port.
allowed="$NIXL_HEAD_IP,$NIXL_HEAD_IP:$port,localhost,localhost:$port,127.0.0.1,127.0.0.1:$port"
# Bound on all interfaces; only the security group's own members can reach port 5000 (no other inbound).
args=(-m mlflow server --host 0.0.0.0 --port "$port" --workers 1
  --backend-store-uri "sqlite:///$data/mlflow.db" --artifacts-destination "$data/artifacts"
  --allowed-hosts "$allowed")

how=""
if http_ok "$local_url/health"; then
  how="already running"
  log "MLflow already healthy on $local_url"
elif [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
  how="systemd unit nixl-mlflow"
  {
    printf '[Unit]\nDescription=MLflow tracking server (nixl-efa-console)\nAfter=network-online.target\n\n'
    printf '[Service]\nExecStart=%s' "$NIXL_VENV/bin/python"
    printf ' %q' "${args[@]}"
    printf '\nWorkingDirectory=%s\nRestart=on-failure\nRestartSec=3\n\n[Install]\nWantedBy=multi-user.target\n' "$data"
  } >/etc/systemd/system/nixl-mlflow.service
  systemctl daemon-reload
  systemctl enable --now nixl-mlflow.service
  systemctl restart nixl-mlflow.service
else
  how="detached process (pid file $data/server.pid)"
  if [ -f "$data/server.pid" ] && kill -0 "$(cat "$data/server.pid")" 2>/dev/null; then
    log "MLflow process $(cat "$data/server.pid") exists but is not healthy yet"
  else
    # exec: the background pid IS the server, and no shell lingers holding this step's stdout (SSM
    # waits for every holder of the command's output pipe before it reports the command done).
    (cd "$data" && exec setsid nohup "$NIXL_VENV/bin/python" "${args[@]}") </dev/null >"$data/server.log" 2>&1 &
    echo $! >"$data/server.pid"
  fi
fi

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
