# Shared by the simulated-node shims: where the node's recordings are.
# shellcheck shell=bash
SIM_ROOT="${NIXL_SIM_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
# replay NAME: print the recording NAME.txt (to stderr when NAME.rc is non-zero) and exit with NAME.rc.
replay() {
  local rc=0
  [ -f "$SIM_ROOT/$1.rc" ] && rc="$(cat "$SIM_ROOT/$1.rc")"
  if [ ! -f "$SIM_ROOT/$1.txt" ]; then
    echo "$(basename "$0"): command not found (simulated node $SIM_ROOT has no $1 recording)" >&2
    exit 127
  fi
  if [ "$rc" -ne 0 ]; then cat "$SIM_ROOT/$1.txt" >&2; else cat "$SIM_ROOT/$1.txt"; fi
  exit "$rc"
}
