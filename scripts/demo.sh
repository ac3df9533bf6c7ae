#!/usr/bin/env bash
# The demo: toolchain, 6 emulated hosts, `pulumi up` of examples/baremetal (etcd on 3, a Kubernetes
# control plane on 2 more behind haproxy on the sixth), and what it did.
# Leaves the hosts running for a look around (`npm run bed -- ssh 1 CMD`); `npm run bed -- down` ends them.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
log() { printf '[demo %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

bash scripts/setup.sh
log "toolchain (cold: ~6 min, cached: seconds)"
bin=$(bash scripts/toolchain.sh | tail -n 1)
log "bed: 6 Debian hosts"
bash scripts/bed.sh up 6
status=$(bash scripts/bed.sh status)

# The demo's stack lives in its own directory, outside the checkout: the state, and the stack's
# configuration (the bed's host keys and mirror, the encrypted SSH key) in $config, which every
# `pulumi config`/`up` below is given. examples/baremetal/Pulumi.example.yaml shows a user's config.
work=/var/tmp/pulumi-etcd-demo
config="$work/Pulumi.demo.yaml"
export PATH="$bin:$PATH" PULUMI_HOME="$work/home" PULUMI_BACKEND_URL="file://$work/state" \
  PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE:-demo} PULUMI_SKIP_UPDATE_CHECK=true \
  PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
# The bed was made anew: a new stack, forgetting the resources of hosts that no longer exist.
rm -rf "$work/state" "$work/init" "$config"
mkdir -p "$work/state" "$work/init"
# `pulumi stack init` has no --config-file: it writes the new stack's passphrase salt beside the
# project's Pulumi.yaml. Create the stack from a copy of that file in $work and keep the salt in $config.
cp examples/baremetal/Pulumi.yaml "$work/init/"
(cd "$work/init" && pulumi stack init demo --non-interactive >/dev/null)
mv "$work/init/Pulumi.demo.yaml" "$config"
rm -r "$work/init"
cd examples/baremetal
pulumi stack select demo --non-interactive
setcfg() { pulumi config set --config-file "$config" --non-interactive "$@"; }
# shellcheck disable=SC2016 # JavaScript
hosts=$(node -e 'const s=JSON.parse(process.argv[1]); console.log(JSON.stringify(s.hosts.slice(0,3).map((h,i)=>({name:`etcd-${i+1}`,ip:h.ip,hostKey:h.hostKey}))))' "$status")
setcfg hosts "$hosts"
# The bed's etcd is built from source and served by the bed's mirror, so it has its own checksum.
version=3.6.16
dist=$(node -e 'console.log(JSON.parse(process.argv[1]).etcdDist)' "$status")
mirror=$(node -e 'console.log(JSON.parse(process.argv[1]).mirror)' "$status")
setcfg version "$version"
setcfg sha256 "$(awk -v f="etcd-v$version-linux-amd64.tar.gz" '$2 == f {print $1}' "$dist/SHA256SUMS")"
setcfg downloadUrl "$mirror/etcd/etcd-v{version}-linux-{arch}.tar.gz"
# The control plane: the bed's mirror serves Kubernetes binaries built from source in dl.k8s.io's layout.
kube_version=$(sed -n 's/^KUBE_VERSIONS="\{0,1\}\([0-9.]*\).*/\1/p' "$repo/toolchain/versions.env")
# shellcheck disable=SC2016 # JavaScript
controlplane=$(node -e '
  const [s, v, dist] = [JSON.parse(process.argv[1]), process.argv[2], process.argv[3]];
  const fs = require("fs"), dir = `${dist}/../kube/release/v${v}/bin/linux/amd64`;
  const host = (h, name) => ({ name, ip: h.ip, hostKey: h.hostKey });
  const sha256 = Object.fromEntries(["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl"]
    .map((b) => [b, fs.readFileSync(`${dir}/${b}.sha256`, "utf8").trim()]));
  console.log(JSON.stringify({ version: v, sha256, downloadUrl: `${s.mirror}/kube/release/v{version}/bin/linux/{arch}/{binary}`,
    hosts: [host(s.hosts[3], "cp-1"), host(s.hosts[4], "cp-2")], lbHosts: [host(s.hosts[5], "lb-1")] }));' "$status" "$kube_version" "$dist")
setcfg controlPlane "$controlplane"
key=$(node -e 'console.log(JSON.parse(process.argv[1]).key)' "$status")
setcfg --secret sshKey <"$key"
log "pulumi up"
pulumi up --config-file "$config" --yes --skip-preview --non-interactive
log "the cluster, asked with etcdctl over mTLS:"
certs=$(mktemp -d)
trap 'rm -rf "$certs"' EXIT
pulumi stack output caCertPem >"$certs/ca.crt"
pulumi stack output adminCertPem >"$certs/admin.crt"
(umask 077 && pulumi stack output --show-secrets adminKeyPem >"$certs/admin.key")
"$bin/etcdctl" --endpoints "$(pulumi stack output clientEndpoints --json | node -e 'console.log(JSON.parse(require("fs").readFileSync(0)).join(","))')" \
  --cacert "$certs/ca.crt" --cert "$certs/admin.crt" --key "$certs/admin.key" endpoint status -w table
log "the control plane, asked with kubectl through the load balancer:"
(umask 077 && pulumi stack output --show-secrets kubeconfig >"$certs/kubeconfig")
"$bin/kubectl" --kubeconfig "$certs/kubeconfig" get --raw '/readyz?verbose'
"$bin/kubectl" --kubeconfig "$certs/kubeconfig" get ns
log "done. Hosts keep running: 'npm run bed -- down' ends them; state and config are in $work"
