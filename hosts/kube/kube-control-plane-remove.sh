#!/usr/bin/env bash
# kube-control-plane-remove: stops and removes the control-plane units (the reset of a host; the
# certificates and binaries are removed by their own steps). Audit logs stay in /var/log/kubernetes.
#
# Parameters (environment): none.
# Stdin: none.
# Outputs: none.
# Idempotence: removing what is already gone does nothing.
# rerun-revision: 1
set -euo pipefail
# include: common/lib/common.sh
# include: kube/lib/kube-host.sh
removed=0
for ((i = ${#PE_KUBE_UNITS[@]} - 1; i >= 0; i--)); do
  u=${PE_KUBE_UNITS[$i]}
  managed_unit "$u.service" || continue
  systemctl disable --now "$u.service" >/dev/null 2>&1 || true
  rm -f "/etc/systemd/system/$u.service"
  removed=1
  log "stopped and removed $u"
done
if ((removed)); then systemctl daemon-reload; fi
rm -f "$PE_KUBE_DIR/.pe-files-digest" "$PE_KUBE_DIR/.pe-data-epoch"
