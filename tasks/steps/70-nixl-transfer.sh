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
if [ "$NIXL_RANK" -gt 1 ]; then
  emit nixl.transfer skip "the transfer test runs between rank 1 and rank 0 only"
  exit 0
fi
role=target
[ "$NIXL_RANK" = 1 ] && role=initiator
report_from "$NIXL_RAW/nixl_transfer.err" nixl.transfer "$NIXL_VENV/bin/python" "$NIXL_LIB/nixl_transfer.py" \
  --role "$role" --node "$NIXL_NODE" --peer-ip "$NIXL_HEAD_IP" --port "${NIXL_TRANSFER_PORT:-5601}" \
  --wait "${NIXL_TRANSFER_WAIT:-900}"
