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
hosts=$(node -e 'const s=JSON.parse(process.argv[1]); console.log(JSON.stringify(s.hosts.map(h=>({ip:h.ip,hostKey:h.hostKey}))))' "$status")
pulumi config set hosts "$hosts" --non-interactive
key=$(node -e 'console.log(JSON.parse(process.argv[1]).key)' "$status")
pulumi config set --secret sshKey --non-interactive <"$key"
log "pulumi up"
pulumi up --yes --skip-preview --non-interactive
log "on the hosts:"
for i in 1 2 3; do bash "$repo/scripts/bed.sh" ssh "$i" 'printf "%s: " "$(hostname)"; stat -c "%n %a %U:%G" /etc/etcd/pki/ca.crt'; done
log "done. Hosts keep running: 'npm run bed -- down' ends them; state is in $work"
