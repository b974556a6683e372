#!/usr/bin/env bash
# system.facts: instance type and AZ (IMDSv2), kernel, OS, EFA installer and libfabric versions.
set -euo pipefail
# shellcheck source=../lib/common.sh
source "$NIXL_LIB/common.sh"
log "step system.facts"

instance_type="$(imds instance-type)"
az="$(imds placement/availability-zone)"
os_name="$(. /etc/os-release 2>/dev/null && printf '%s' "${PRETTY_NAME:-unknown}" || echo unknown)"
capture fi_version fi_info --version
nodecheck system-facts --instance-type "$instance_type" --az "$az" --kernel "$(uname -r)" \
  --os "$os_name" --efa-packages "${NIXL_EFA_PACKAGES_FILE:-/opt/amazon/efa_installed_packages}" \
  --fi-version "$NIXL_RAW/fi_version.out"
