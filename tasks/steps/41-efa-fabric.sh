#!/usr/bin/env bash
# efa.provider and efa.domains: libfabric's efa provider and its distinct RDM domains.
set -euo pipefail
# shellcheck source=../lib/common.sh
source "$NIXL_LIB/common.sh"
log "step efa.provider / efa.domains"

capture fi_info fi_info -p efa -t FI_EP_RDM
devices="$(grep -F '"check":"efa.devices"' "$NIXL_RESULTS" | tail -n 1 | sed -n 's/.*"count":\([0-9]*\).*/\1/p')"
nodecheck efa-fabric --out "$NIXL_RAW/fi_info.out" --err "$NIXL_RAW/fi_info.err" \
  --rc "$(rc_of fi_info)" --devices "${devices:-}"
