#!/usr/bin/env bash
# efa.gdr: GPUDirect RDMA hints (efa module gdr flag, nvidia_peermem); warns, never fails.
set -euo pipefail
# shellcheck source=../lib/common.sh
source "$NIXL_LIB/common.sh"
log "step efa.gdr"

capture modinfo_efa modinfo efa
capture lsmod lsmod
nodecheck efa-gdr --modinfo "$NIXL_RAW/modinfo_efa.out" --lsmod "$NIXL_RAW/lsmod.out" \
  --fi-version "$NIXL_RAW/fi_version.out" --env-device-rdma "${FI_EFA_USE_DEVICE_RDMA:-}"
