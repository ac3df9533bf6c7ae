#!/usr/bin/env bash
# kube-bootstrap: creates the cluster objects kubeadm creates for joining nodes (the bootstrap token,
# the cluster-info ConfigMap, the kubeadm-config and kubelet-config ConfigMaps `kubeadm join` reads,
# their RBAC) with kubectl on a control-plane host, and waits until the controller-manager's
# bootstrapsigner has signed cluster-info for the token (not for a token that has expired: the
# tokencleaner deletes it, and nothing signs for it again). Token Secrets this package made for an
# earlier token (label app.kubernetes.io/managed-by=pulumi-etcd) are deleted: a rotation revokes the
# old token. Tokens made otherwise (kubeadm token create) are left alone.
#
# Parameters (environment):
#   PE_SERVER     the apiserver URL kubectl uses (this host's own apiserver)
#   PE_TOKEN_ID   the bootstrap token's id (public part): its signature in cluster-info is awaited
#   PE_TOKEN_EXPIRATION  when the token expires (RFC 3339 UTC), or empty for never
#   PE_TIMEOUT    seconds to wait for the signature (default 120)
# Stdin (secret): the objects as a JSON List (it holds the token secret).
# Outputs:
#   ::output clusterInfoSigned=true (false when the token has expired)
# Idempotence: server-side apply of the same objects changes nothing; nothing restarts.
# rerun-revision: 1
set -euo pipefail
# include: common/lib/common.sh
# include: kube/lib/kube-host.sh
: "${PE_SERVER:?}" "${PE_TOKEN_ID:?}" "${PE_TIMEOUT:=120}" "${PE_TOKEN_EXPIRATION:=}"
[[ $PE_TOKEN_ID =~ ^[a-z0-9]{6}$ ]] || die "bad token id"
[[ -z $PE_TOKEN_EXPIRATION || $PE_TOKEN_EXPIRATION =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] || die "bad token expiration"
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
if ! "${kc[@]}" -n kube-system delete secret -l app.kubernetes.io/managed-by=pulumi-etcd \
  --field-selector "type=bootstrap.kubernetes.io/token,metadata.name!=bootstrap-token-$PE_TOKEN_ID" >/tmp/pe-kubectl.log 2>&1; then
  sed 's/^/    kubectl: /' /tmp/pe-kubectl.log >&2
  die "deleting the earlier join tokens failed: they stay valid until their Secrets are deleted"
fi
while read -r line; do
  log "earlier join token revoked: $line"
done < <(grep -v '^No resources found' /tmp/pe-kubectl.log || true)
if [[ -n $PE_TOKEN_EXPIRATION ]] && (($(date -u -d "$PE_TOKEN_EXPIRATION" +%s) <= $(date -u +%s))); then
  log "WARNING: join token $PE_TOKEN_ID expired at $PE_TOKEN_EXPIRATION: nodes cannot join with it; change joinTokenRotation to mint a new one"
  output clusterInfoSigned false
  exit 0
fi
deadline=$((SECONDS + PE_TIMEOUT))
sig=""
while ((SECONDS < deadline)) && [[ -z $sig ]]; do
  sig=$("${kc[@]}" -n kube-public get configmap cluster-info -o "jsonpath={.data.jws-kubeconfig-$PE_TOKEN_ID}" 2>/dev/null || true)
  [[ -n $sig ]] || sleep 0.5
done
[[ -n $sig ]] || die "cluster-info was not signed for token $PE_TOKEN_ID within $PE_TIMEOUT s: is kube-controller-manager running with the bootstrapsigner controller (it needs the leader lease)?"
log "cluster-info is signed for token $PE_TOKEN_ID (bootstrapsigner)"
output clusterInfoSigned true
