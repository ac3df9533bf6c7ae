#!/usr/bin/env bash
# bench/noop: a no-op `pulumi up` of a 3-member EtcdCluster (created once, untimed; every timed up
# must change nothing: --expect-no-changes) against a floor measured in the same run: the no-op
# `pulumi up` of an empty TypeScript program (it only imports @pulumi/pulumi, as every program
# does), same pulumi binary, backend, secrets provider and TypeScript options. Pairs alternate;
# prints medians and the ratio, and from the plugin's trace (PULUMI_ETCD_TRACE) how many plugin
# processes one up starts and when the plugin is ready.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runs=${BENCH_RUNS:-5}
version=3.6.16

status=$(bash "$repo/scripts/bed.sh" status)
mirror=$(node -e 'console.log(JSON.parse(process.argv[1]).mirror)' "$status")
dist=$(node -e 'console.log(JSON.parse(process.argv[1]).etcdDist)' "$status")
sha=$(awk -v f="etcd-v$version-linux-amd64.tar.gz" '$2 == f {print $1}' "$dist/SHA256SUMS")

# The floor: an empty program beside the cluster program, in the same backend.
mkdir -p "$work/empty"
cat >"$work/empty/Pulumi.yaml" <<'EOF'
name: noop-floor
runtime:
  name: nodejs
  options:
    typescript: true
EOF
printf '{ "name": "noop-floor", "private": true, "main": "index.ts" }\n' >"$work/empty/package.json"
printf 'import * as pulumi from "@pulumi/pulumi";\n\nexport const stack = pulumi.getStack();\n' >"$work/empty/index.ts"
cp "$repo/test/e2e/programs/cluster-ts/tsconfig.json" "$work/empty/tsconfig.json"

use_program cluster-ts
# shellcheck disable=SC2016 # JavaScript
pulumi config set members "$(node -e 'console.log(JSON.stringify(JSON.parse(process.argv[1]).hosts.slice(0, 3).map((h, i) => ({ name: `n${i}`, ip: h.ip, hostKey: h.hostKey }))))' "$status")"
pulumi config set version "$version"
pulumi config set sha256 "$sha"
pulumi config set downloadUrl "$mirror/etcd/etcd-v{version}-linux-{arch}.tar.gz"
pulumi config set purgeDataOnDestroy true
quiet pulumi up --yes --skip-preview --non-interactive
resources=$(pulumi stack export | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).deployment.resources.length))')

(cd "$work/empty" && pulumi stack init bench --non-interactive >/dev/null && quiet pulumi up --yes --skip-preview --non-interactive)

: >"$work/pulumi.times"
: >"$work/floor.times"
: >"$work/plugins.count"
: >"$work/loaded.ms"
: >"$work/listening.ms"
for ((r = 1; r <= runs; r++)); do
  export PULUMI_ETCD_TRACE="$work/trace.$r"
  t0=$(now)
  quiet pulumi up --yes --skip-preview --non-interactive --expect-no-changes
  sub "$(now)" "$t0" >>"$work/pulumi.times"
  unset PULUMI_ETCD_TRACE
  grep -c ' started at ' "$work/trace.$r" >>"$work/plugins.count" || echo 0 >>"$work/plugins.count"
  sed -n 's/.* modules loaded after \([0-9]*\) ms.*/\1/p' "$work/trace.$r" >>"$work/loaded.ms"
  sed -n 's/.* listening after \([0-9]*\) ms.*/\1/p' "$work/trace.$r" >>"$work/listening.ms"
  t0=$(now)
  (cd "$work/empty" && quiet pulumi up --yes --skip-preview --non-interactive --expect-no-changes)
  sub "$(now)" "$t0" >>"$work/floor.times"
done
quiet pulumi destroy --yes --skip-preview --non-interactive

p=$(median <"$work/pulumi.times")
f=$(median <"$work/floor.times")
printf 'bench/noop (3 members, %s resources in the stack): %d runs, pairs alternated in one run\n' "$resources" "$runs"
printf '  no-op pulumi up (EtcdCluster): median %.2f s (all: %s)\n' "$p" "$(paste -sd' ' "$work/pulumi.times")"
printf '  floor (no-op up of an empty TypeScript program): median %.2f s (all: %s)\n' "$f" "$(paste -sd' ' "$work/floor.times")"
awk -v p="$p" -v f="$f" 'BEGIN { printf "  ratio pulumi/floor: %.2f\n", p / f }'
printf '  provider plugin processes per up: %s; modules loaded after (median) %s ms; listening after (median) %s ms\n' \
  "$(paste -sd' ' "$work/plugins.count")" "$(median <"$work/loaded.ms")" "$(median <"$work/listening.ms")"
