# Shared by task_runner.sh and every step: logging, result lines, earlier results, tool capture.
# shellcheck shell=bash

# Plain output for humans and machines: no colour, no progress bars, no prompts.
export NO_COLOR=1 TERM=dumb PIP_PROGRESS_BAR=off PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
  PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1 DEBIAN_FRONTEND=noninteractive MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT=1

NIXL_LIB="${NIXL_LIB:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}"
NIXL_PYTHON="${NIXL_PYTHON:-python3}"

log() { printf '[%s] %s: %s\n' "$(date -u +%H:%M:%S)" "${NIXL_NODE:-node}" "$*"; }

# emit CHECK STATUS DETAIL [DATA_JSON]: one protocol line on stdout and in the results file.
emit() {
  local line
  line="$("$NIXL_PYTHON" "$NIXL_LIB/protocol.py" "$1" "$NIXL_NODE" "$2" "$3" "${4:-}")"
  printf '%s\n' "$line"
  printf '%s\n' "$line" >>"$NIXL_RESULTS"
}

# nodecheck SUBCOMMAND ARGS...: judge gathered outputs; its result lines go to stdout and the results file.
nodecheck() {
  local out
  out="$("$NIXL_PYTHON" "$NIXL_LIB/nodecheck.py" "$1" --node "$NIXL_NODE" "${@:2}")"
  printf '%s\n' "$out"
  printf '%s\n' "$out" >>"$NIXL_RESULTS"
}

# report_from ERR_FILE CHECK CMD...: run a helper that prints protocol lines (a Python script in the node
# venv); pass its output on, keep its result lines, and report CHECK as failed if it printed nothing.
report_from() {
  local err="$1" check="$2" out
  shift 2
  out="$("$@" 2>"$err")" || true
  if [ -z "$out" ]; then
    emit "$check" fail "$(basename "$2") crashed: $(tail -n 1 "$err")"
    return 0
  fi
  printf '%s\n' "$out"
  printf '%s\n' "$out" | grep '^NIXL-CHECK ' >>"$NIXL_RESULTS" || true
}

# check_status CHECK: the status an earlier step reported in this run ("" when none).
check_status() {
  grep -F "\"check\":\"$1\"" "$NIXL_RESULTS" 2>/dev/null | tail -n 1 | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p'
}

# capture NAME CMD...: run a tool, keeping stdout, stderr and the exit code under $NIXL_RAW/NAME.*
capture() {
  local name="$1" rc=0
  shift
  "$@" >"$NIXL_RAW/$name.out" 2>"$NIXL_RAW/$name.err" || rc=$?
  printf '%s\n' "$rc" >"$NIXL_RAW/$name.rc"
  return 0
}
rc_of() { cat "$NIXL_RAW/$1.rc"; }

# http_ok URL [TIMEOUT]: true when URL answers 2xx within TIMEOUT seconds.
http_ok() {
  "$NIXL_PYTHON" - "$1" "${2:-3}" <<'PY'
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=float(sys.argv[2])) as r:
        sys.exit(0 if 200 <= r.status < 300 else 1)
except Exception:
    sys.exit(1)
PY
}

# wait_http URL DEADLINE_SECONDS: poll until URL answers (short polls, no fixed sleep); false on timeout.
wait_http() {
  local url="$1" deadline=$((SECONDS + $2))
  while ((SECONDS < deadline)); do
    http_ok "$url" 2 && return 0
    sleep 0.5
  done
  return 1
}

# imds PATH: an IMDSv2 read (token first), empty on failure.
imds() {
  local base="${NIXL_IMDS_ENDPOINT:-http://169.254.169.254}" token
  token="$(curl -sf -m 2 -X PUT "$base/latest/api/token" -H 'X-aws-ec2-metadata-token-ttl-seconds: 60')" || return 0
  curl -sf -m 2 -H "X-aws-ec2-metadata-token: $token" "$base/latest/meta-data/$1" || true
}
