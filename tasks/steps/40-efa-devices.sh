#!/usr/bin/env bash
# efa.devices: EFA devices in sysfs (vendor 0x1d0f) and ibv_devices, against the type's expected count.
set -euo pipefail
# shellcheck source=../lib/common.sh
source "$NIXL_LIB/common.sh"
log "step efa.devices"

capture ibv_devices ibv_devices
nodecheck efa-devices --sysfs-root "${NIXL_SYSFS_ROOT:-/sys}" --ibv-out "$NIXL_RAW/ibv_devices.out" \
  --ibv-err "$NIXL_RAW/ibv_devices.err" --ibv-rc "$(rc_of ibv_devices)" \
  --instance-type "${NIXL_INSTANCE_TYPE:-}" --expected "${NIXL_EXPECTED_EFA:-}"
