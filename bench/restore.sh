#!/usr/bin/env bash
# bench/restore: the time `pulumi up` takes to restore a 3-member cluster from a snapshot of 1 GiB
# in S3 (download, sha256, gunzip, etcdutl status and restore on each member in parallel, stop,
# archive, swap, start, health and revision check), against a floor measured on the same bed in
# the same run: one `etcdutl snapshot restore` of the same db on one host plus one etcd start on it.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
version=3.6.16
size_mib=${BENCH_RESTORE_MIB:-1024}
runs=${BENCH_RESTORE_RUNS:-3}
bucket=bench-restore

status=$(bash "$repo/scripts/bed.sh" status)
json() { node -e "const s=JSON.parse(process.argv[1]); console.log($1)" "$status"; }
mapfile -t ips < <(json 's.hosts.map(h => h.ip).join("\n")')
mirror=$(json 's.mirror')
s3=$(json 's.s3')
dist=$(json 's.etcdDist')
sha=$(awk -v f="etcd-v$version-linux-amd64.tar.gz" '$2 == f {print $1}' "$dist/SHA256SUMS")
ssh_host() { ssh -i "$bed/id_ed25519" -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$bed/known_hosts" "root@$1" "$2"; }
members() {
  # shellcheck disable=SC2016 # JavaScript
  node -e 'const s=JSON.parse(process.argv[1]); console.log(JSON.stringify(process.argv.slice(2).map(i => ({ name: `r${i}`, ip: s.hosts[i].ip, hostKey: s.hosts[i].hostKey }))))' "$status" "$@"
}
curl -fsS -X PUT "$s3/$bucket" >/dev/null

use_program restore-ts
pulumi config set clusterName bench
pulumi config set members "$(members 0 1 2)"
pulumi config set version "$version"
pulumi config set sha256 "$sha"
pulumi config set downloadUrl "$mirror/etcd/etcd-v{version}-linux-{arch}.tar.gz"
pulumi config set s3Endpoint "$s3"
pulumi config set s3Bucket "$bucket"
pulumi config set s3AccessKey S3RVER
pulumi config set --secret s3SecretKey <<<"S3RVER"
quiet pulumi up --yes --skip-preview --non-interactive

pulumi stack output --show-secrets --json >"$work/out.json"
node "$repo/bench/fill.mjs" "$repo" "$work/out.json" "$size_mib" random
pulumi config set snapshotTrigger bench
quiet pulumi up --yes --skip-preview --non-interactive
file=$(pulumi stack output snapshot --json | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).file)')
echo "snapshot: ondemand/$file ($(curl -fsSI "$s3/$bucket/ondemand/$file" | tr -d '\r' | awk 'tolower($1) == "content-length:" {printf "%.0f MiB", $2 / 1048576}'))" >&2

# The floor's input, prepared untimed on the first host (idle between runs): the same db, downloaded and unpacked.
ssh_host "${ips[0]}" "set -e; rm -rf /var/tmp/bench-restore; mkdir -p /var/tmp/bench-restore; cd /var/tmp/bench-restore
curl -fsS -o e.tgz $mirror/etcd/etcd-v$version-linux-amd64.tar.gz; tar -xzf e.tgz
curl -fsS $s3/$bucket/ondemand/$file | gzip -dc > snapshot.db"

floor_run() {
  ssh_host "${ips[0]}" "set -e; cd /var/tmp/bench-restore; rm -rf data; b=etcd-v$version-linux-amd64
t=\$(date +%s.%N)
\$b/etcdutl snapshot restore snapshot.db --name default --initial-cluster default=http://127.0.0.1:12380 --initial-advertise-peer-urls http://127.0.0.1:12380 --data-dir data --bump-revision 1000000000 --mark-compacted >/dev/null 2>&1
\$b/etcd --data-dir data --listen-client-urls http://127.0.0.1:12379 --advertise-client-urls http://127.0.0.1:12379 --listen-peer-urls http://127.0.0.1:12380 --initial-advertise-peer-urls http://127.0.0.1:12380 --initial-cluster default=http://127.0.0.1:12380 >/dev/null 2>&1 &
pid=\$!
for _ in \$(seq 1 1500); do curl -fsS http://127.0.0.1:12379/health >/dev/null 2>&1 && break; sleep 0.02; done
e=\$(date +%s.%N); kill \$pid; wait \$pid 2>/dev/null || true
awk -v a=\$e -v b=\$t 'BEGIN { printf \"%.3f\n\", a - b }'"
}

: >"$work/pulumi.times"
: >"$work/floor.times"
for ((g = 1; g <= runs; g++)); do
  pulumi config set restore "{\"generation\": $g, \"key\": \"ondemand/$file\"}"
  t0=$(now)
  quiet pulumi up --yes --skip-preview --non-interactive
  sub "$(now)" "$t0" >>"$work/pulumi.times"
  { grep -o "restore staged in .*" "$work/step.log" | head -n 3; grep -o "restored bench (generation $g).*" "$work/step.log" | head -n 1; } | sed 's/sha256 [0-9a-f]\{64\} //' | cut -c1-200 | sed 's/^/  (pulumi) /' >&2 || true
  floor_run >>"$work/floor.times"
  # Each restore archives the earlier data (~1 GiB per member): keep the bed's disk in bounds.
  for i in 0 1 2; do ssh_host "${ips[$i]}" "rm -rf /var/lib/etcd.pre-restore*"; done
done
ssh_host "${ips[0]}" "rm -rf /var/tmp/bench-restore"
pulumi config set purgeDataOnDestroy true 2>/dev/null || true
quiet pulumi destroy --yes --skip-preview --non-interactive
for i in 0 1 2; do ssh_host "${ips[$i]}" "rm -rf /var/lib/etcd.archived-* /var/lib/etcd.pre-restore*"; done

p=$(median <"$work/pulumi.times")
f=$(median <"$work/floor.times")
printf 'bench/restore: restore a 3-member cluster from a %d MiB snapshot in S3 (etcd %s), %d runs alternated\n' "$size_mib" "$version" "$runs"
printf '  pulumi up (download + sha256 + gunzip + status + restore on 3 members in parallel, stop, archive, swap, start, health): median %.2f s (all: %s)\n' "$p" "$(paste -sd' ' "$work/pulumi.times")"
printf '  floor (one etcdutl snapshot restore + one etcd start to /health, same db, same bed): median %.2f s (all: %s)\n' "$f" "$(paste -sd' ' "$work/floor.times")"
awk -v p="$p" -v f="$f" 'BEGIN { printf "  ratio pulumi/floor: %.1f\n", p / f }'
