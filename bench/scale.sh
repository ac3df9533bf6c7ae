#!/usr/bin/env bash
# bench/scale: the time `pulumi up` takes to add one member to a cluster holding 1 GiB of data,
# against a floor measured on the same bed in the same run: moving that much data between two
# hosts at the measured peer throughput, plus the time an empty etcd takes to start.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
version=3.6.16
size_mib=${BENCH_SCALE_MIB:-1024}

status=$(bash "$repo/scripts/bed.sh" status)
json() { node -e "const s=JSON.parse(process.argv[1]); console.log($1)" "$status"; }
mapfile -t ips < <(json 's.hosts.map(h => h.ip).join("\n")')
mirror=$(json 's.mirror')
dist=$(json 's.etcdDist')
sha=$(awk -v f="etcd-v$version-linux-amd64.tar.gz" '$2 == f {print $1}' "$dist/SHA256SUMS")
ssh_host() { ssh -i "$bed/id_ed25519" -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$bed/known_hosts" "root@$1" "$2"; }
members() { # host indexes → members config
  # shellcheck disable=SC2016 # JavaScript
  node -e 'const s=JSON.parse(process.argv[1]); console.log(JSON.stringify(process.argv.slice(2).map(i => ({ name: `s${i}`, ip: s.hosts[i].ip, hostKey: s.hosts[i].hostKey }))))' "$status" "$@"
}

use_program cluster-ts
pulumi config set version "$version"
pulumi config set sha256 "$sha"
pulumi config set downloadUrl "$mirror/etcd/etcd-v{version}-linux-{arch}.tar.gz"
pulumi config set tuning '{"quotaBackendBytes": 8589934592}'
pulumi config set allowUnsafeScaleDown true
pulumi config set purgeDataOnDestroy true
pulumi config set members "$(members 0)"
quiet pulumi up --yes --skip-preview --non-interactive

pulumi stack output --show-secrets --json >"$work/out.json"
node "$repo/bench/fill.mjs" "$repo" "$work/out.json" "$size_mib" constant

pulumi config set members "$(members 0 1)"
t0=$(now)
quiet pulumi up --yes --skip-preview --non-interactive
add=$(sub "$(now)" "$t0")
grep -E "s1-member (creating|created) \([0-9.]+s\)" "$work/step.log" | sed -n "1p;/adding/p;/starting s1/p;/ready/p;/promoted/p;/created/p" | sed "s/^/  (pulumi) /" | cut -c1-160 >&2

# Floor, part 1: the same amount of data from the first host to a third one, over TCP.
ssh_host "${ips[2]}" "timeout 300 python3 -c 'import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((\"0.0.0.0\", 5555)); s.listen(1)
c, _ = s.accept()
while c.recv(1 << 20): pass' >/dev/null 2>&1 &"
sleep 1
xfer=$(ssh_host "${ips[0]}" "python3 -c 'import socket, time
s = socket.create_connection((\"${ips[2]}\", 5555)); block = bytes(1 << 20); t = time.time()
for _ in range($size_mib): s.sendall(block)
s.shutdown(socket.SHUT_WR); s.recv(1); print(f\"{time.time() - t:.3f}\")'")
# Floor, part 2: an empty etcd's start, from exec to a healthy /health on the third host.
start=$(ssh_host "${ips[2]}" "set -e; d=\$(mktemp -d); cd \$d
curl -fsS -o e.tgz $mirror/etcd/etcd-v$version-linux-amd64.tar.gz; tar -xzf e.tgz
t=\$(date +%s.%N)
./etcd-v$version-linux-amd64/etcd --data-dir \$d/data --listen-client-urls http://127.0.0.1:12379 --advertise-client-urls http://127.0.0.1:12379 --listen-peer-urls http://127.0.0.1:12380 --initial-advertise-peer-urls http://127.0.0.1:12380 --initial-cluster default=http://127.0.0.1:12380 >/dev/null 2>&1 &
pid=\$!
for _ in \$(seq 1 300); do curl -fsS http://127.0.0.1:12379/health >/dev/null 2>&1 && break; sleep 0.02; done
e=\$(date +%s.%N); kill \$pid; wait \$pid 2>/dev/null || true; rm -rf \$d
awk -v a=\$e -v b=\$t 'BEGIN { printf \"%.3f\", a - b }'")
quiet pulumi destroy --yes --skip-preview --non-interactive

floor=$(awk -v x="$xfer" -v s="$start" 'BEGIN { printf "%.3f", x + s }')
printf 'bench/scale: add a member to a cluster holding %d MiB (etcd %s)\n' "$size_mib" "$version"
printf '  pulumi up (certs, preflight, install, PKI, learner add, snapshot, promote, health): %.2f s\n' "$add"
printf '  floor: %d MiB at the measured peer throughput %.2f s (%.0f MiB/s) + empty etcd start %.2f s = %.2f s\n' \
  "$size_mib" "$xfer" "$(awk -v m="$size_mib" -v x="$xfer" 'BEGIN { print m / x }')" "$start" "$floor"
awk -v p="$add" -v f="$floor" 'BEGIN { printf "  ratio pulumi/floor: %.1f\n", p / f }'
