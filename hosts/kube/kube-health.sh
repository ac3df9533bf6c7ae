#!/usr/bin/env bash
# kube-health: the control plane's health gate, run on a control-plane host: every apiserver's
# /readyz (verified with the cluster CA), /readyz through the load balancer, and the
# kube-controller-manager and kube-scheduler leader leases held in kube-system. Once healthy, the
# apiserver identity leases no live apiserver renews (renewed over PE_STALE_SECONDS ago; a live one
# renews every 10 s) are deleted: they are left by hosts that left the control plane or come with
# restored data, and kube-apiserver itself only collects them after an hour.
#
# Parameters (environment):
#   PE_APISERVERS   the apiservers as "name=https://address:port ...", space-separated
#   PE_LB_URL       the load balancer's URL as this host reaches it ("" when it cannot: not checked)
#   PE_SERVER       the apiserver URL kubectl uses for the lease checks
#   PE_TIMEOUT      seconds to wait for all checks to pass (default 180)
#   PE_GENERATION   what changed (digests of the members' steps): a new value re-runs the gate
#   PE_STALE_SECONDS  an identity lease not renewed for this long is stale (default 120)
# Stdin: none.
# Outputs:
#   ::output controllerManagerLeader=<holder of the kube-controller-manager lease>
#   ::output schedulerLeader=<holder of the kube-scheduler lease>
# Idempotence: changes only stale identity leases (which a second run finds gone).
# rerun-revision: 1
set -euo pipefail
# include: common/lib/common.sh
# include: kube/lib/kube-host.sh
: "${PE_APISERVERS:?}" "${PE_LB_URL:=}" "${PE_SERVER:?}" "${PE_TIMEOUT:=180}" "${PE_GENERATION:=}" "${PE_STALE_SECONDS:=120}"
[[ $PE_TIMEOUT =~ ^[0-9]+$ ]] || die "bad timeout"
[[ $PE_STALE_SECONDS =~ ^[0-9]+$ ]] || die "bad stale seconds"
ca=$PE_KUBE_DIR/pki/ca.crt
kc=(kubectl --kubeconfig "$PE_KUBE_DIR/admin.conf" --server "$PE_SERVER" --request-timeout=5s)
deadline=$((SECONDS + PE_TIMEOUT))
problems=()
check_all() {
  problems=()
  local pair name url
  for pair in $PE_APISERVERS; do
    name=${pair%%=*}
    url=${pair#*=}
    [[ $(curl -fsS --max-time 3 --cacert "$ca" "$url/readyz" 2>/dev/null || true) == ok ]] || problems+=("apiserver $name ($url) is not ready")
  done
  if [[ -n $PE_LB_URL ]]; then
    [[ $(curl -fsS --max-time 3 --cacert "$ca" "$PE_LB_URL/readyz" 2>/dev/null || true) == ok ]] || problems+=("the load balancer $PE_LB_URL does not answer /readyz")
  fi
  cm=$("${kc[@]}" -n kube-system get lease kube-controller-manager -o 'jsonpath={.spec.holderIdentity}' 2>/dev/null || true)
  sch=$("${kc[@]}" -n kube-system get lease kube-scheduler -o 'jsonpath={.spec.holderIdentity}' 2>/dev/null || true)
  [[ -n $cm ]] || problems+=("no kube-controller-manager holds its lease")
  [[ -n $sch ]] || problems+=("no kube-scheduler holds its lease")
  ((${#problems[@]} == 0))
}
next_note=$((SECONDS + 10))
until check_all; do
  if ((SECONDS >= deadline)); then
    for p in "${problems[@]}"; do log "ERROR: $p"; done
    die "the control plane is not healthy after $PE_TIMEOUT s: ${problems[*]}"
  fi
  if ((SECONDS >= next_note)); then
    log "waiting: ${problems[*]}"
    next_note=$((SECONDS + 10))
  fi
  sleep 0.5
done
log "healthy: every apiserver ready${PE_LB_URL:+, the load balancer answers}, leases held by $cm (controller-manager) and $sch (scheduler)"
# name → renewTime of every identity lease not renewed for PE_STALE_SECONDS.
stale_leases() {
  local now lease renewed at
  now=$(date +%s)
  while read -r lease renewed; do
    [[ -n $lease ]] || continue
    at=$(date -d "${renewed:-1970-01-01T00:00:00Z}" +%s 2>/dev/null || echo 0)
    if ((now - at > PE_STALE_SECONDS)); then echo "$lease ${renewed:-never}"; fi
  done < <("${kc[@]}" -n kube-system get leases -l apiserver.kubernetes.io/identity=kube-apiserver \
    -o 'jsonpath={range .items[*]}{.metadata.name} {.spec.renewTime}{"\n"}{end}')
}
candidates=$(stale_leases)
if [[ -n $candidates ]]; then
  # Restored data brings this control plane's own leases with old times too: their apiservers renew
  # them within 10 s, so only what is still stale after that is deleted.
  sleep 12
  stale=0
  while read -r lease renewed; do
    grep -q "^$lease " <<<"$candidates" || continue
    "${kc[@]}" -n kube-system delete lease "$lease" --ignore-not-found >/dev/null
    log "deleted the stale apiserver identity lease $lease (last renewed $renewed)"
    stale=$((stale + 1))
  done < <(stale_leases)
  log "$stale stale apiserver identity lease(s) deleted"
fi
output controllerManagerLeader "$cm"
output schedulerLeader "$sch"
