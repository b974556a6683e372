#!/usr/bin/env bash
# Entry point that SSM Run Command runs on every node: fetch the tasks, run each step, report one
# NIXL-CHECK line per check, exit 0 only when no required check failed. Safe to re-run.
#
# Usage: task_runner.sh --source SRC --node NAME --rank N --head-ip IP --run-id ID [options]
#   --source SRC          s3://bucket/prefix (needs the aws CLI and the node role) or a local directory
#   --node NAME           node name (node1, node2, ...)           env NIXL_NODE
#   --rank N              0 for the head node                     env NIXL_RANK
#   --head-ip IP          the head node's private IP              env NIXL_HEAD_IP
#   --run-id ID           the console's run id                    env NIXL_RUN_ID
#   --stack NAME          the stack name (MLflow tags)            env NIXL_STACK
#   --instance-type T     expected EC2 type                       env NIXL_INSTANCE_TYPE
#   --expected-efa N      EFA devices the type has                env NIXL_EXPECTED_EFA
#   --expected-gpus N     GPUs the type has                       env NIXL_EXPECTED_GPUS
#   --work-dir DIR        state, venv, MLflow data (default /opt/nixl-efa)   env NIXL_WORK_DIR
#   --mlflow-port P       MLflow server port (default 5000)       env NIXL_MLFLOW_PORT
# Versions: VLLM_VERSION, NIXL_VERSION, MLFLOW_VERSION in the environment override tasks/versions.env.
set -euo pipefail

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "task_runner: $*" >&2; exit 2; }

source_uri="${NIXL_SOURCE:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --source) source_uri="$2" ;;
    --node) NIXL_NODE="$2" ;;
    --rank) NIXL_RANK="$2" ;;
    --head-ip) NIXL_HEAD_IP="$2" ;;
    --run-id) NIXL_RUN_ID="$2" ;;
    --stack) NIXL_STACK="$2" ;;
    --instance-type) NIXL_INSTANCE_TYPE="$2" ;;
    --expected-efa) NIXL_EXPECTED_EFA="$2" ;;
    --expected-gpus) NIXL_EXPECTED_GPUS="$2" ;;
    --work-dir) NIXL_WORK_DIR="$2" ;;
    --mlflow-port) NIXL_MLFLOW_PORT="$2" ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
  [ $# -ge 2 ] || die "$1 needs a value"
  shift 2
done

[ -n "$source_uri" ] || die "--source is required (s3://bucket/prefix or a directory)"
[ -n "${NIXL_NODE:-}" ] || die "--node is required"
[[ "${NIXL_RANK:-}" =~ ^[0-9]+$ ]] || die "--rank must be a whole number (0 for the head node)"
[ -n "${NIXL_HEAD_IP:-}" ] || die "--head-ip is required"
export NIXL_NODE NIXL_RANK NIXL_HEAD_IP
export NIXL_RUN_ID="${NIXL_RUN_ID:-manual-$(date -u +%Y%m%dT%H%M%SZ)}"
export NIXL_STACK="${NIXL_STACK:-unknown}"
export NIXL_INSTANCE_TYPE="${NIXL_INSTANCE_TYPE:-}" NIXL_EXPECTED_EFA="${NIXL_EXPECTED_EFA:-}"
export NIXL_EXPECTED_GPUS="${NIXL_EXPECTED_GPUS:-}"
export NIXL_WORK_DIR="${NIXL_WORK_DIR:-/opt/nixl-efa}" NIXL_MLFLOW_PORT="${NIXL_MLFLOW_PORT:-5000}"
export NIXL_VENV="${NIXL_VENV:-$NIXL_WORK_DIR/venv}"

tasks="$NIXL_WORK_DIR/tasks"
mkdir -p "$NIXL_WORK_DIR"
echo "task_runner: node $NIXL_NODE rank $NIXL_RANK head $NIXL_HEAD_IP run $NIXL_RUN_ID"
echo "task_runner: fetching tasks from $source_uri"
rm -rf "$tasks.new"
case "$source_uri" in
  s3://*) aws s3 cp --recursive --only-show-errors --no-progress "$source_uri" "$tasks.new" ;;
  *) [ -d "$source_uri" ] || die "--source $source_uri is neither s3://... nor a directory"
     cp -R "$source_uri/." "$tasks.new" ;;
esac
rm -rf "$tasks" && mv "$tasks.new" "$tasks"

export NIXL_LIB="$tasks/lib"
# shellcheck source=versions.env
source "$tasks/versions.env"
run_dir="$NIXL_WORK_DIR/runs/$NIXL_RUN_ID"
export NIXL_RAW="$run_dir/raw" NIXL_RESULTS="$run_dir/results.jsonl"
mkdir -p "$NIXL_RAW"
: >"$NIXL_RESULTS"
echo "task_runner: versions vllm $VLLM_VERSION, nixl[cu12] $NIXL_VERSION, mlflow $MLFLOW_VERSION"

for step in "$tasks"/steps/*.sh; do
  # A failed step does not stop the run: later checks that do not depend on it still report.
  if ! bash "$step"; then
    echo "task_runner: step $(basename "$step") exited non-zero" >&2
  fi
done

failed="$(grep -F '"status":"fail"' "$NIXL_RESULTS" | sed -n 's/.*"check":"\([^"]*\)".*/\1/p' | paste -sd, - || true)"
total="$(grep -c '^NIXL-CHECK ' "$NIXL_RESULTS" || true)"
if [ -n "$failed" ]; then
  echo "task_runner: $NIXL_NODE: $total checks, FAILED: $failed"
  exit 1
fi
echo "task_runner: $NIXL_NODE: $total checks, none failed"
