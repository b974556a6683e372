#!/usr/bin/env bash
# vllm.version, nixl.version, mlflow.version: a dedicated venv with the pinned versions.
# Installs only what is missing or different, so a re-run on a ready node takes seconds.
set -euo pipefail
# shellcheck source=../lib/common.sh
source "$NIXL_LIB/common.sh"
log "step python environment ($NIXL_VENV)"

if [ ! -x "$NIXL_VENV/bin/python" ]; then
  log "creating venv $NIXL_VENV"
  "${NIXL_NODE_PYTHON:-python3}" -m venv "$NIXL_VENV"
else
  log "venv $NIXL_VENV exists"
fi
py="$NIXL_VENV/bin/python"
if [ -n "${NIXL_SIM_SITE_PACKAGES:-}" ]; then
  # Simulation only: the simulated node reuses the console's own MLflow install (see tasks/README.md).
  site="$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  printf '%s\n' "$NIXL_SIM_SITE_PACKAGES" >"$site/nixl-simulation.pth"
fi

installed_version() {
  "$py" -c 'import importlib.metadata as m, sys
try:
    print(m.version(sys.argv[1]))
except m.PackageNotFoundError:
    pass' "$1"
}

# ensure CHECK DIST REQUIREMENT VERSION MODULE
ensure() {
  local check="$1" dist="$2" requirement="$3" want="$4" module="$5" have action start rc reason
  have="$(installed_version "$dist")"
  if [ "$have" = "$want" ]; then
    action="already installed"
    log "$dist $want already installed, skipping"
  else
    log "installing $requirement (found: ${have:-none})"
    start=$SECONDS rc=0
    "$py" -m pip install --no-cache-dir --progress-bar off "$requirement" >"$NIXL_RAW/pip-$dist.log" 2>&1 || rc=$?
    sed 's/^/  pip: /' "$NIXL_RAW/pip-$dist.log"
    if [ "$rc" -ne 0 ]; then
      reason="$(grep -E '^ERROR:' "$NIXL_RAW/pip-$dist.log" | tail -n 1)"
      emit "$check" fail "pip install $requirement failed: ${reason:-exit $rc}" \
        "{\"expected_version\":\"$want\",\"version\":\"${have}\"}"
      return 0
    fi
    action="installed in $((SECONDS - start))s"
  fi
  # Verify by importing the module and reading the distribution's version.
  local verify
  if ! verify="$("$py" -c 'import importlib, importlib.metadata as m, sys
mod = importlib.import_module(sys.argv[2])
print(m.version(sys.argv[1]), "simulated" if getattr(mod, "SIMULATED", False) else "real")' \
    "$dist" "$module" 2>"$NIXL_RAW/import-$dist.err")"; then
    reason="$(tail -n 1 "$NIXL_RAW/import-$dist.err")"
    emit "$check" fail "import $module failed: $reason" "{\"expected_version\":\"$want\"}"
    return 0
  fi
  local got="${verify% *}" kind="${verify#* }" note=""
  [ "$kind" = simulated ] && note=" (SIMULATED stand-in)"
  if [ "$got" != "$want" ]; then
    emit "$check" fail "$dist $got installed, $want pinned" "{\"version\":\"$got\",\"expected_version\":\"$want\"}"
  else
    emit "$check" pass "$dist $got, $action$note" \
      "{\"version\":\"$got\",\"expected_version\":\"$want\",\"simulated\":$([ "$kind" = simulated ] && echo true || echo false)}"
  fi
}

ensure vllm.version vllm "vllm==$VLLM_VERSION" "$VLLM_VERSION" vllm
ensure nixl.version nixl "nixl[cu12]==$NIXL_VERSION" "$NIXL_VERSION" nixl
ensure mlflow.version mlflow "mlflow==$MLFLOW_VERSION" "$MLFLOW_VERSION" mlflow
