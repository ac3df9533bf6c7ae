#!/usr/bin/env bash
# kube-control-plane-stop: stops kube-apiserver, kube-controller-manager and kube-scheduler on this
# host (scheduler first, apiserver last) before the control plane's data moves: no write reaches
# etcd from here until they start again. The units stay in place and enabled: the start after the
# move (kube-control-plane) or the resume after a failed move (kube-control-plane-resume) brings
# them back.
#
# Parameters (environment): none.
# Stdin: none.
# Outputs:
#   ::output stopped=<the components that were running and are now stopped, comma-separated, or none>
# Idempotence: stopping what is stopped (or absent, on a host not yet set up) does nothing.
# rerun-revision: 1
set -euo pipefail
# include: common/lib/common.sh
# include: kube/lib/kube-host.sh
stopped=()
for ((i = ${#PE_KUBE_UNITS[@]} - 1; i >= 0; i--)); do
  u=${PE_KUBE_UNITS[$i]}
  managed_unit "$u.service" || continue
  systemctl is-active --quiet "$u.service" || continue
  systemctl stop "$u.service"
  stopped+=("$u")
  log "stopped $u"
done
if ((${#stopped[@]} == 0)); then
  log "no control-plane component was running"
  output stopped none
else
  output stopped "$(IFS=,; echo "${stopped[*]}")"
fi
