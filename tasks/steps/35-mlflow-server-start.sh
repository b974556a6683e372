#!/usr/bin/env bash
# Starts the head node's MLflow tracking server (no check here: 50-mlflow-server.sh waits for its health,
# so the EFA steps run while it boots). SQLite store; under systemd where systemd runs (restart on
# failure, outlives the SSM command), else a detached process with a pid file.
set -euo pipefail
# shellcheck source=../lib/common.sh
source "$NIXL_LIB/common.sh"

if [ "$NIXL_RANK" != 0 ] || [ "$(check_status mlflow.version)" != pass ]; then
  exit 0  # 50-mlflow-server.sh reports why
fi
log "starting the MLflow server"

port="$NIXL_MLFLOW_PORT" data="$NIXL_WORK_DIR/mlflow"
local_url="http://127.0.0.1:$port"
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
    printf '[Service]\nEnvironment=MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false\nExecStart=%s' "$NIXL_VENV/bin/python"
    printf ' %q' "${args[@]}"
    printf '\nWorkingDirectory=%s\nRestart=on-failure\nRestartSec=3\n\n[Install]\nWantedBy=multi-user.target\n' "$data"
  } >/etc/systemd/system/nixl-mlflow.service
  systemctl daemon-reload
  systemctl enable nixl-mlflow.service
  systemctl restart nixl-mlflow.service
else
  how="detached process (pid file $data/server.pid)"
  if [ -f "$data/server.pid" ] && kill -0 "$(cat "$data/server.pid")" 2>/dev/null; then
    log "MLflow process $(cat "$data/server.pid") exists but is not healthy yet"
  else
    # exec: the background pid IS the server, and no shell lingers holding this step's stdout (SSM
    # waits for every holder of the command's output pipe before it reports the command done).
    # MLflow's job runner (GenAI evaluation jobs) is not used here: one process less to boot.
    (cd "$data" && MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false exec setsid nohup "$NIXL_VENV/bin/python" "${args[@]}") \
      </dev/null >"$data/server.log" 2>&1 &
    echo $! >"$data/server.pid"
  fi
fi

printf '%s\n' "$how" >"$NIXL_RAW/mlflow_start.how"
