#!/usr/bin/env bash
# kube-bootstrap: creates the cluster objects kubeadm creates for joining nodes (the bootstrap token,
# the cluster-info ConfigMap, their RBAC bindings) with kubectl on a control-plane host, and waits
# until the controller-manager's bootstrapsigner has signed cluster-info for the token.
#
# Parameters (environment):
#   PE_SERVER     the apiserver URL kubectl uses (this host's own apiserver)
#   PE_TOKEN_ID   the bootstrap token's id (public part): its signature in cluster-info is awaited
#   PE_TIMEOUT    seconds to wait for the signature (default 120)
# Stdin (secret): the objects as a JSON List (it holds the token secret).
# Outputs:
#   ::output clusterInfoSigned=true
# Idempotence: server-side apply of the same objects changes nothing; nothing restarts.
# rerun-revision: 1
set -euo pipefail
# include: common/lib/common.sh
# include: kube/lib/kube-host.sh
: "${PE_SERVER:?}" "${PE_TOKEN_ID:?}" "${PE_TIMEOUT:=120}"
[[ $PE_TOKEN_ID =~ ^[a-z0-9]{6}$ ]] || die "bad token id"
[[ $PE_TIMEOUT =~ ^[0-9]+$ ]] || die "bad timeout"
kc=(kubectl --kubeconfig "$PE_KUBE_DIR/admin.conf" --server "$PE_SERVER" --request-timeout=10s)
manifests=$(mktemp /tmp/pe-kube-bootstrap.XXXXXX)
trap 'rm -f "$manifests"' EXIT
cat >"$manifests"
applied=0
for _ in $(seq 1 30); do
  if "${kc[@]}" apply --server-side --force-conflicts --field-manager=pulumi-etcd -f "$manifests" >/tmp/pe-kubectl.log 2>&1; then
    applied=1
    break
  fi
  sleep 1
done
((applied)) || { sed 's/^/    kubectl: /' /tmp/pe-kubectl.log >&2; die "kubectl apply of the bootstrap objects failed"; }
sed 's/^/    /' /tmp/pe-kubectl.log >&2
deadline=$((SECONDS + PE_TIMEOUT))
sig=""
while ((SECONDS < deadline)) && [[ -z $sig ]]; do
  sig=$("${kc[@]}" -n kube-public get configmap cluster-info -o "jsonpath={.data.jws-kubeconfig-$PE_TOKEN_ID}" 2>/dev/null || true)
  [[ -n $sig ]] || sleep 0.5
done
[[ -n $sig ]] || die "cluster-info was not signed for token $PE_TOKEN_ID within $PE_TIMEOUT s: is kube-controller-manager running with the bootstrapsigner controller (it needs the leader lease)?"
log "cluster-info is signed for token $PE_TOKEN_ID (bootstrapsigner)"
output clusterInfoSigned true
