#!/usr/bin/env bash
# The demo: toolchain, 3 emulated hosts, `pulumi up` of examples/baremetal, and what it did.
# Leaves the hosts running for a look around (`npm run bed -- ssh 1 CMD`); `npm run bed -- down` ends them.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
log() { printf '[demo %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

bash scripts/setup.sh
log "toolchain (cold: ~6 min, cached: seconds)"
bin=$(bash scripts/toolchain.sh | tail -n 1)
log "bed: 3 Debian hosts"
bash scripts/bed.sh up 3
status=$(bash scripts/bed.sh status)

work=/var/tmp/pulumi-etcd-demo
mkdir -p "$work/state"
export PATH="$bin:$PATH" PULUMI_HOME="$work/home" PULUMI_BACKEND_URL="file://$work/state" \
  PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE:-demo} PULUMI_SKIP_UPDATE_CHECK=true \
  PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
cd examples/baremetal
pulumi stack select --create demo --non-interactive >/dev/null
# The bed was made anew: forget resources on hosts that no longer exist.
pulumi destroy --yes --skip-preview --non-interactive >/dev/null 2>&1 || pulumi state delete --all --yes >/dev/null 2>&1 || true
# shellcheck disable=SC2016 # JavaScript
hosts=$(node -e 'const s=JSON.parse(process.argv[1]); console.log(JSON.stringify(s.hosts.map((h,i)=>({name:`etcd-${i+1}`,ip:h.ip,hostKey:h.hostKey}))))' "$status")
pulumi config set hosts "$hosts" --non-interactive
# The bed's etcd is built from source and served by the bed's mirror, so it has its own checksum.
version=3.6.16
dist=$(node -e 'console.log(JSON.parse(process.argv[1]).etcdDist)' "$status")
mirror=$(node -e 'console.log(JSON.parse(process.argv[1]).mirror)' "$status")
pulumi config set version "$version" --non-interactive
pulumi config set sha256 "$(awk -v f="etcd-v$version-linux-amd64.tar.gz" '$2 == f {print $1}' "$dist/SHA256SUMS")" --non-interactive
pulumi config set downloadUrl "$mirror/etcd/etcd-v{version}-linux-{arch}.tar.gz" --non-interactive
key=$(node -e 'console.log(JSON.parse(process.argv[1]).key)' "$status")
pulumi config set --secret sshKey --non-interactive <"$key"
log "pulumi up"
pulumi up --yes --skip-preview --non-interactive
log "the cluster, asked with etcdctl over mTLS:"
certs=$(mktemp -d)
trap 'rm -rf "$certs"' EXIT
pulumi stack output caCertPem >"$certs/ca.crt"
pulumi stack output adminCertPem >"$certs/admin.crt"
(umask 077 && pulumi stack output --show-secrets adminKeyPem >"$certs/admin.key")
"$bin/etcdctl" --endpoints "$(pulumi stack output clientEndpoints --json | node -e 'console.log(JSON.parse(require("fs").readFileSync(0)).join(","))')" \
  --cacert "$certs/ca.crt" --cert "$certs/admin.crt" --key "$certs/admin.key" endpoint status -w table
log "done. Hosts keep running: 'npm run bed -- down' ends them; state is in $work"
