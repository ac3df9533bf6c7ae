#!/usr/bin/env bash
# kube-preflight: checks a control-plane or load-balancer host before anything is written to any
# host (kubeadm's preflight): Linux amd64/arm64 with systemd, the ports free (or held by this
# package's own units), the clock past the certificates' start of validity, enough disk, and no
# other Kubernetes control plane (kubeadm static pods, a unit or process of another installation).
#
# Parameters (environment):
#   PE_ROLE          control-plane or load-balancer
#   PE_PORTS         TCP ports that must be free, space-separated (or held by our units)
#   PE_NOT_BEFORE    a time (ISO 8601) the host clock must be past: the certificates are valid from then
#   PE_MIN_FREE_MB   free MiB needed under /opt (binaries; default 600)
# Stdin: none.
# Outputs:
#   ::output arch=<amd64|arm64>
# Idempotence: reads only; changes nothing.
# rerun-revision: 1
set -euo pipefail
# include: common/lib/common.sh
# include: kube/lib/kube-host.sh
: "${PE_ROLE:?}" "${PE_PORTS:?}" "${PE_NOT_BEFORE:?}" "${PE_MIN_FREE_MB:=600}"
[[ $PE_ROLE == control-plane || $PE_ROLE == load-balancer ]] || die "bad role $PE_ROLE"
[[ $PE_MIN_FREE_MB =~ ^[0-9]+$ ]] || die "bad PE_MIN_FREE_MB"

[[ $(uname -s) == Linux ]] || die "this host runs $(uname -s); the control plane needs Linux"
arch=$(host_arch) || die "unsupported CPU architecture $(uname -m): amd64 or arm64 only"
[[ -d /run/systemd/system ]] || die "systemd is not running on this host; the components run as systemd units"
command -v ss >/dev/null || die "ss (iproute2) is missing; it is needed to check that the ports are free"
command -v curl >/dev/null || die "curl is missing (apt-get install curl): it downloads the binaries and checks readiness"

# The clock: a host behind the certificates' start would refuse every certificate.
now=$(date -u +%s)
not_before=$(date -u -d "$PE_NOT_BEFORE" +%s) || die "bad PE_NOT_BEFORE $PE_NOT_BEFORE"
((now >= not_before)) || die "this host's clock ($(date -u +%FT%TZ)) is $((not_before - now)) s behind the certificates' start of validity ($PE_NOT_BEFORE): sync the clock (NTP) and rerun"

# A port held by this package's own units (a re-run, or the local haproxy beside the apiserver) is fine.
ours() {
  local unit
  unit=$(unit_of_pid "$1")
  [[ -n $unit ]] || return 1
  managed_unit "$unit" && return 0
  [[ $unit == haproxy.service ]] && grep -q "$PE_MANAGED_MARK" /etc/haproxy/haproxy.cfg 2>/dev/null
}
for p in $PE_PORTS; do
  pid=$(port_holder "$p")
  [[ -z $pid ]] && continue
  ours "$pid" && continue
  die "port $p is in use by $(ps -o comm= -p "$pid" 2>/dev/null || echo "PID $pid") (PID $pid); free it or use another host"
done

if [[ $PE_ROLE == control-plane ]]; then
  for f in "$PE_KUBE_DIR"/manifests/kube-apiserver.yaml "$PE_KUBE_DIR"/manifests/etcd.yaml; do
    [[ -e $f ]] && die "$f exists: this host runs a kubeadm control plane (static pods). Reset it (kubeadm reset) or use another host; nothing was changed."
  done
  for u in "${PE_KUBE_UNITS[@]}"; do
    if [[ -e /etc/systemd/system/$u.service ]] && ! managed_unit "$u.service"; then
      die "/etc/systemd/system/$u.service exists and is not managed by pulumi-etcd (another installation); move it away and rerun"
    fi
    # Process names are cut at 15 characters: match the command line's first word instead.
    for pid in $(pgrep -f "^([^ ]*/)?$u( |\$)" || true); do
      ours "$pid" || die "a $u process (PID $pid) not started by pulumi-etcd runs on this host; stop it and rerun"
    done
  done
  swap=$(awk 'NR > 1 {n++} END {print n + 0}' /proc/swaps)
  ((swap == 0)) || log "note: swap is on ($swap device(s)); the control plane does not need it off (a kubelet would)"
fi

probe=/opt
[[ -d $probe ]] || probe=/
avail=$(($(free_kib "$probe") / 1024))
((avail >= PE_MIN_FREE_MB)) || die "only $avail MiB free under /opt; at least $PE_MIN_FREE_MB MiB needed for the binaries"
log "preflight ok ($PE_ROLE): Linux $arch, systemd, ports $PE_PORTS free, clock ok, $avail MiB free"
output arch "$arch"
