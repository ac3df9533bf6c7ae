#!/usr/bin/env bash
# kube-upgrade: one step of a control plane's version rollout (etcd:kube:Rollout): brings ONE
# component on this host to the unit of the target version and waits until it is ready before it
# returns, so the provider moves on to the next host or component only then. kube-apiserver must
# answer /readyz through its own address and report the target version on /version, then the load
# balancer is given PE_SETTLE_SECONDS to take it back into rotation; the controller-manager and the
# scheduler must answer /healthz. A component that does not come up gets its previous unit back
# (restarted), and the step fails saying so.
#
# Parameters (environment):
#   PE_COMPONENT       kube-apiserver, kube-controller-manager or kube-scheduler
#   PE_VERSION         the target Kubernetes version, x.y.z (its binaries are installed beside the old ones)
#   PE_UNIT            the text of the component's unit for the target version
#   PE_READYZ_URL      this apiserver's /readyz URL (https://<advertise address>:<port>/readyz)
#   PE_START_TIMEOUT   seconds the component may take to be ready (default 180)
#   PE_SETTLE_SECONDS  seconds to wait after kube-apiserver is ready, for the load balancer (default 0)
#   PE_CHECK_ONLY      1: change nothing, only report whether this host's kube-apiserver runs and is
#                      ready (checked on every host before a rollout's first restart) (default "")
# Stdin: none.
# Outputs:
#   ::output state=<absent: no unit yet (the member's start writes it) | current: already the target
#                   unit, active and ready | restarted>
#   ::output seconds=<restart to ready, when restarted>
#   ::output pid=<the component's MainPID afterwards>
#   ::output ready=<yes|no> (check only: no unit yet counts as yes, there is nothing to take out)
#   ::output why=<what is not ready> (check only, when not ready)
# Idempotence: a re-run with the same parameters finds the unit current and restarts nothing, so an
#   interrupted rollout resumes where it stopped.
# rerun-revision: 1
set -euo pipefail
# include: common/lib/common.sh
# include: kube/lib/kube-host.sh
: "${PE_COMPONENT:?}" "${PE_VERSION:?}" "${PE_UNIT:?}" "${PE_READYZ_URL:?}" "${PE_START_TIMEOUT:=180}" "${PE_SETTLE_SECONDS:=0}"
: "${PE_CHECK_ONLY:=}"
case $PE_COMPONENT in
kube-apiserver | kube-controller-manager | kube-scheduler) ;;
*) die "unknown component $PE_COMPONENT" ;;
esac
[[ $PE_VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "bad version $PE_VERSION"
[[ $PE_START_TIMEOUT =~ ^[0-9]+$ ]] || die "bad start timeout"
[[ $PE_SETTLE_SECONDS =~ ^[0-9]+$ ]] || die "bad settle seconds"
[[ $PE_READYZ_URL =~ ^https://[^[:space:]]+/readyz$ ]] || die "bad readyz URL $PE_READYZ_URL"
[[ $PE_UNIT == *"$PE_MANAGED_MARK"* ]] || die "the unit text lacks the managed mark"

unit=$PE_COMPONENT.service
path=/etc/systemd/system/$unit
ca=$PE_KUBE_DIR/pki/ca.crt
version_url=${PE_READYZ_URL%/readyz}/version

if [[ $PE_CHECK_ONLY == 1 ]]; then
  if [[ ! -f $path ]]; then
    output ready yes
  elif ! systemctl is-active --quiet "$unit"; then
    output ready no
    output why "$PE_COMPONENT is not running ($(systemctl is-active "$unit" || true))"
  elif wait_ok "$PE_READYZ_URL" 10 --cacert "$ca" >/dev/null; then
    output ready yes
  else
    output ready no
    output why "$PE_COMPONENT does not answer ok on $PE_READYZ_URL"
  fi
  exit 0
fi
if [[ ! -f $path ]]; then
  log "no $unit yet: the member's start writes it"
  output state absent
  exit 0
fi
binary=/opt/kubernetes/v$PE_VERSION/$PE_COMPONENT
[[ -x $binary ]] || die "$binary is not installed (the kube-install step installs it before the rollout)"

# Ready: /readyz (apiserver, verified with the cluster CA) or /healthz (self-signed: -k), and the
# apiserver serving the target version.
ready() {
  local timeout=$1
  if [[ $PE_COMPONENT == kube-apiserver ]]; then
    wait_ok "$PE_READYZ_URL" "$timeout" --cacert "$ca" >/dev/null || return 1
    local served
    served=$(curl -fsS --max-time 3 --cacert "$ca" "$version_url" 2>/dev/null | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p')
    [[ $served == "v$PE_VERSION" ]] || {
      log "ERROR: $version_url reports ${served:-nothing}, not v$PE_VERSION"
      return 1
    }
  elif [[ $PE_COMPONENT == kube-controller-manager ]]; then
    wait_ok https://127.0.0.1:10257/healthz "$timeout" -k >/dev/null
  else
    wait_ok https://127.0.0.1:10259/healthz "$timeout" -k >/dev/null
  fi
}

backup=$(mktemp -d /tmp/pe-kube-upgrade.XXXXXX)
trap 'rm -rf "$backup"' EXIT
cp -p "$path" "$backup/$unit"
if [[ $(printf '%s\n' "$PE_UNIT" | install_content "$path" 0644 root:root) == unchanged ]] && systemctl is-active --quiet "$unit" &&
  ready "$PE_START_TIMEOUT"; then
  log "$PE_COMPONENT already runs $PE_VERSION"
  output state current
  output pid "$(systemctl show -p MainPID --value "$unit")"
  exit 0
fi
systemctl daemon-reload
started=$(date +%s%N)
log "restarting $PE_COMPONENT on $PE_VERSION"
systemctl restart "$unit"
if ! ready "$PE_START_TIMEOUT"; then
  log "ERROR: $PE_COMPONENT did not become ready on $PE_VERSION within ${PE_START_TIMEOUT} s; its journal:"
  journal_tail_of "$unit" 25
  cp -p "$backup/$unit" "$path"
  systemctl daemon-reload
  systemctl restart "$unit" || true
  ready "$PE_START_TIMEOUT" || log "ERROR: the previous $PE_COMPONENT is not ready again either"
  die "$PE_COMPONENT failed on $PE_VERSION; its previous unit was put back and restarted"
fi
seconds=$(awk -v ns=$(($(date +%s%N) - started)) 'BEGIN {printf "%.1f", ns / 1e9}')
log "$PE_COMPONENT $PE_VERSION ready after $seconds s"
if [[ $PE_COMPONENT == kube-apiserver ]] && ((PE_SETTLE_SECONDS > 0)); then
  log "waiting ${PE_SETTLE_SECONDS} s for the load balancer to take kube-apiserver back into rotation"
  sleep "$PE_SETTLE_SECONDS"
fi
output state restarted
output seconds "$seconds"
output pid "$(systemctl show -p MainPID --value "$unit")"
