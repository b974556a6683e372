#!/usr/bin/env bash
# gpu.devices: GPU count, model and driver from nvidia-smi; fails when there is no GPU.
set -euo pipefail
# shellcheck source=../lib/common.sh
source "$NIXL_LIB/common.sh"
log "step gpu.devices"

if command -v nvidia-smi >/dev/null; then
  capture nvidia_smi nvidia-smi
else
  printf 'nvidia-smi: command not found (no NVIDIA driver)\n' >"$NIXL_RAW/nvidia_smi.err"
  : >"$NIXL_RAW/nvidia_smi.out"
  echo 127 >"$NIXL_RAW/nvidia_smi.rc"
fi
nodecheck gpu --out "$NIXL_RAW/nvidia_smi.out" --err "$NIXL_RAW/nvidia_smi.err" \
  --rc "$(rc_of nvidia_smi)" --expected "${NIXL_EXPECTED_GPUS:-}"
