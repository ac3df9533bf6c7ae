#!/usr/bin/env bash
# kube/lib/kube-host.sh: what the control-plane host scripts share: the managed units, which unit
# holds a port, health probes. Needs common/lib/common.sh. Its functions take their inputs as arguments.
# Parameters (environment): none.
# Defines (constants, not parameters):
#   PE_KUBE_DIR      kubeadm's directory, /etc/kubernetes
#   PE_KUBE_UNITS    the control-plane units, in start order
#   PE_MANAGED_MARK  the line that marks a file as ours
# shellcheck disable=SC2034
PE_KUBE_DIR=/etc/kubernetes
# shellcheck disable=SC2034
PE_KUBE_UNITS=(kube-apiserver kube-controller-manager kube-scheduler)
PE_MANAGED_MARK='Managed by pulumi-etcd'

# The systemd unit a PID runs in ("" when none).
unit_of_pid() { sed -n 's#^[0-9]*:[^:]*:.*/\([^/]*\.service\)$#\1#p' "/proc/$1/cgroup" 2>/dev/null | head -n1; }

# True when the unit file exists and carries our mark.
managed_unit() { [[ -f /etc/systemd/system/$1 ]] && grep -q "$PE_MANAGED_MARK" "/etc/systemd/system/$1"; }

# Waits until URL answers 200 with body "ok" (curl options after the URL); prints the seconds waited.
# Returns 1 after $2 seconds.
wait_ok() {
  local url=$1 timeout=$2 started=$SECONDS body
  shift 2
  while ((SECONDS - started < timeout)); do
    body=$(curl -fsS --max-time 3 "$@" "$url" 2>/dev/null || true)
    if [[ $body == ok ]]; then
      echo $((SECONDS - started))
      return 0
    fi
    sleep 0.2
  done
  return 1
}

