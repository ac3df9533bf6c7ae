#!/usr/bin/env bash
# kube-control-plane: writes the units of kube-apiserver, kube-controller-manager and kube-scheduler
# and (re)starts what changed, apiserver first: each must be ready (/readyz, /healthz) before the
# next starts and before the step returns, so a rolling change (one host at a time) keeps the load
# balancer's other backends serving.
#
# Parameters (environment):
#   PE_PHASE                     create: a start that fails is rolled back (units stopped and removed);
#                                update: if the new units do not come up, the previous ones are put back
#   PE_UNIT_APISERVER            the text of kube-apiserver.service
#   PE_UNIT_CONTROLLER_MANAGER   the text of kube-controller-manager.service
#   PE_UNIT_SCHEDULER            the text of kube-scheduler.service
#   PE_FILES_DIGEST              the digest of /etc/kubernetes's files (kube-files): a new one restarts all
#   PE_DATA_EPOCH                changes when the data under the apiservers was replaced (a switch or
#                                restore of their etcd): a new one restarts all, as their caches are stale (default "")
#   PE_READYZ_URL                this apiserver's /readyz URL (https://<advertise address>:<port>/readyz)
#   PE_START_TIMEOUT             seconds each component may take to be ready (default 180)
#   PE_SETTLE_SECONDS            seconds to wait after a restarted apiserver is ready, so the load
#                                balancer takes it back into rotation before the next host restarts (default 0)
# Stdin: none.
# Outputs:
#   ::output restarted=<components (re)started by this run, comma-separated, or none>
#   ::output apiserverReadySeconds=<seconds from the apiserver's start to /readyz ok, when started>
# Idempotence: a re-run with the same parameters changes nothing and restarts nothing: a component
#   is (re)started only when its unit or the files digest changed or it is not active.
# rerun-revision: 1
set -euo pipefail
# include: common/lib/common.sh
# include: kube/lib/kube-host.sh
: "${PE_PHASE:?}" "${PE_UNIT_APISERVER:?}" "${PE_UNIT_CONTROLLER_MANAGER:?}" "${PE_UNIT_SCHEDULER:?}"
: "${PE_FILES_DIGEST:?}" "${PE_READYZ_URL:?}" "${PE_START_TIMEOUT:=180}" "${PE_SETTLE_SECONDS:=0}" "${PE_DATA_EPOCH:=}"
[[ $PE_START_TIMEOUT =~ ^[0-9]+$ ]] || die "bad start timeout"
[[ $PE_SETTLE_SECONDS =~ ^[0-9]+$ ]] || die "bad settle seconds"
[[ $PE_READYZ_URL =~ ^https://[^[:space:]]+/readyz$ ]] || die "bad readyz URL $PE_READYZ_URL"
for text in "$PE_UNIT_APISERVER" "$PE_UNIT_CONTROLLER_MANAGER" "$PE_UNIT_SCHEDULER"; do
  [[ $text == *"$PE_MANAGED_MARK"* ]] || die "a unit text lacks the managed mark"
done
[[ -f $PE_KUBE_DIR/pki/ca.crt ]] || die "$PE_KUBE_DIR/pki/ca.crt is missing (the kube-files step writes it)"

declare -A text=(
  [kube-apiserver]=$PE_UNIT_APISERVER
  [kube-controller-manager]=$PE_UNIT_CONTROLLER_MANAGER
  [kube-scheduler]=$PE_UNIT_SCHEDULER
)
declare -A health=(
  [kube-apiserver]=$PE_READYZ_URL
  [kube-controller-manager]=https://127.0.0.1:10257/healthz
  [kube-scheduler]=https://127.0.0.1:10259/healthz
)
digest_record=$PE_KUBE_DIR/.pe-files-digest
files_changed=0
[[ $(cat "$digest_record" 2>/dev/null || true) == "$PE_FILES_DIGEST" ]] || files_changed=1
epoch_record=$PE_KUBE_DIR/.pe-data-epoch
if [[ $(cat "$epoch_record" 2>/dev/null || true) != "$PE_DATA_EPOCH" ]]; then
  log "the data under the apiservers was replaced (epoch ${PE_DATA_EPOCH:-none}): every component restarts"
  files_changed=1
fi

backup=$(mktemp -d /tmp/pe-kube-units.XXXXXX)
trap 'rm -rf "$backup"' EXIT
declare -A unit_changed=()
reload=0
for u in "${PE_KUBE_UNITS[@]}"; do
  path=/etc/systemd/system/$u.service
  [[ -f $path ]] && cp -p "$path" "$backup/$u.service"
  if [[ $(printf '%s\n' "${text[$u]}" | install_content "$path" 0644 root:root) == changed ]]; then
    unit_changed[$u]=1
    reload=1
  fi
done
((reload)) && systemctl daemon-reload

restarted=()
ready_seconds=""
rollback() {
  log "ERROR: $1 did not become ready within ${PE_START_TIMEOUT} s; its journal:"
  journal_tail_of "$1.service" 25
  local u
  if [[ $PE_PHASE == create ]]; then
    for u in "${PE_KUBE_UNITS[@]}"; do
      systemctl disable --now "$u.service" >/dev/null 2>&1 || true
      rm -f "/etc/systemd/system/$u.service"
    done
    systemctl daemon-reload
    die "$1 failed to start; the control-plane units were stopped and removed (the certificates and binaries stay for the next attempt)"
  fi
  for u in "${PE_KUBE_UNITS[@]}"; do
    if [[ -f $backup/$u.service ]]; then cp -p "$backup/$u.service" "/etc/systemd/system/$u.service"; fi
  done
  systemctl daemon-reload
  for u in "${restarted[@]}"; do systemctl restart "$u.service" || true; done
  die "$1 failed with the new configuration; the previous units were put back and restarted (${restarted[*]})"
}

for u in "${PE_KUBE_UNITS[@]}"; do
  if [[ -z ${unit_changed[$u]:-} ]] && ((files_changed == 0)) && systemctl is-active --quiet "$u.service"; then continue; fi
  systemctl is-enabled --quiet "$u.service" 2>/dev/null || systemctl enable --quiet "$u.service"
  started=$(date +%s%N)
  log "(re)starting $u"
  systemctl restart "$u.service"
  restarted+=("$u")
  if [[ $u == kube-apiserver ]]; then
    wait_ok "${health[$u]}" "$PE_START_TIMEOUT" --cacert "$PE_KUBE_DIR/pki/ca.crt" >/dev/null || rollback "$u"
    ready_seconds=$(awk -v ns=$(($(date +%s%N) - started)) 'BEGIN {printf "%.2f", ns / 1e9}')
    log "kube-apiserver ready after ${ready_seconds} s"
  else
    # The component's serving certificate is self-signed in memory: only the local health probe skips verification.
    wait_ok "${health[$u]}" "$PE_START_TIMEOUT" -k >/dev/null || rollback "$u"
    log "$u healthy"
  fi
done
printf '%s\n' "$PE_FILES_DIGEST" | install_content "$digest_record" 0644 root:root >/dev/null
printf '%s\n' "$PE_DATA_EPOCH" | install_content "$epoch_record" 0644 root:root >/dev/null
if [[ -n $ready_seconds ]] && ((PE_SETTLE_SECONDS > 0)); then
  log "waiting ${PE_SETTLE_SECONDS} s for the load balancer to take kube-apiserver back into rotation"
  sleep "$PE_SETTLE_SECONDS"
fi
if ((${#restarted[@]} == 0)); then
  log "control plane unchanged and running"
  output restarted none
else
  output restarted "$(IFS=,; echo "${restarted[*]}")"
fi
if [[ -n $ready_seconds ]]; then output apiserverReadySeconds "$ready_seconds"; fi
