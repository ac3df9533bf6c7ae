#!/usr/bin/env bash
# kube-health: the control plane's health gate, run on a control-plane host: every apiserver's
# /readyz (verified with the cluster CA), /readyz through the load balancer, and the
# kube-controller-manager and kube-scheduler leader leases held in kube-system.
#
# Parameters (environment):
#   PE_APISERVERS   the apiservers as "name=https://address:port ...", space-separated
#   PE_LB_URL       the load balancer's URL as this host reaches it ("" when it cannot: not checked)
#   PE_SERVER       the apiserver URL kubectl uses for the lease checks
#   PE_TIMEOUT      seconds to wait for all checks to pass (default 180)
#   PE_GENERATION   what changed (digests of the members' steps): a new value re-runs the gate
# Stdin: none.
# Outputs:
#   ::output controllerManagerLeader=<holder of the kube-controller-manager lease>
#   ::output schedulerLeader=<holder of the kube-scheduler lease>
# Idempotence: reads only; changes nothing.
# rerun-revision: 1
set -euo pipefail
# include: common/lib/common.sh
# include: kube/lib/kube-host.sh
: "${PE_APISERVERS:?}" "${PE_LB_URL:=}" "${PE_SERVER:?}" "${PE_TIMEOUT:=180}" "${PE_GENERATION:=}"
[[ $PE_TIMEOUT =~ ^[0-9]+$ ]] || die "bad timeout"
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
output controllerManagerLeader "$cm"
output schedulerLeader "$sch"
