#!/usr/bin/env bash
# nixl.transfer: a NIXL LIBFABRIC transfer from rank 1 to rank 0 when both nodes have EFA and GPUs.
set -euo pipefail
# shellcheck source=../lib/common.sh
source "$NIXL_LIB/common.sh"
log "step nixl.transfer"

missing=()
[ "$(check_status efa.provider)" = pass ] || missing+=("no EFA provider on this node")
[ "$(check_status gpu.devices)" = pass ] || missing+=("no usable GPU on this node")
[ "$(check_status nixl.version)" = pass ] || missing+=("NIXL not installed")
if grep -F '"check":"nixl.version"' "$NIXL_RESULTS" | grep -qF '"simulated":true'; then
  missing+=("NIXL is a simulated stand-in")
fi
if [ "${#missing[@]}" -gt 0 ]; then
  reason="$(IFS=';'; printf '%s' "${missing[*]}" | sed 's/;/; /g')"
  emit nixl.transfer skip "cannot run: $reason"
  exit 0
fi
# The two-node transfer (agent metadata exchange between rank 0 and rank 1, a registered GPU buffer,
# LIBFABRIC WRITE and a bandwidth figure) is not written yet: say so rather than pretend.
emit nixl.transfer skip "not implemented yet: the two-node NIXL LIBFABRIC transfer test is a follow-up"
