#!/usr/bin/env bash
# bench/switch: the write downtime of a KubeControlPlane's data switch (stacked → external etcd, one
# `pulumi up`) with ~100 MiB of Kubernetes objects, against a floor measured on the same bed, with the
# same data, in the same run: the same move done by hand over ssh.
#
# Topology (test/e2e/kube-switch.test.ts's, with the kube-ts program): Kubernetes on bed hosts 1-3
# (cp1-cp3) with a stacked etcd and a local haproxy on each, an external 3-member EtcdCluster on
# hosts 4-6 (e1-e3), declared from the start. The API endpoint (the stack's `endpoint` output) is
# cp1's apiserver: with a local load balancer each host's haproxy listens on 127.0.0.1 only.
#
# Data: ConfigMaps of 950 KiB of random base64 each (BENCH_SWITCH_MIB, default 100 MiB: 108 of them)
# created with kubectl through the endpoint before anything is measured; the etcd db size and key
# count are printed.
#
# Write downtime: a writer on this machine (bench/switch-writer.mjs) patches one ConfigMap through
# the endpoint every 100 ms (a new TLS connection each time, 3 s timeout, started on a timer so a
# hanging request does not hide the recovery). It runs from before the move until 3 s of writes in a
# row have succeeded after it. The downtime is the longest gap between two successful writes; the
# failed writes are counted. Both sides are measured by the same writer in the same way.
#
# The pulumi side: `pulumi config set etcdMode external` + `pulumi up` (the package's checks, stop,
# state saved on every control-plane host, restore of the 3 external members, components restarted
# one host at a time, the stacked etcd removed). Its wall time is printed too.
#
# The floor, by hand over ssh, with what the package does but a hand-written script would skip left
# out (checks, the saved state, sha256s, rollback, one-host-at-a-time restarts). Prepared untimed
# before the writer starts (the package also prepares these before it stops anything): the
# apiservers' client certificate for the external etcd (its admin certificate, from the stack's
# outputs) and a copy of each kube-apiserver unit with the external etcd's --etcd-servers and
# --etcd-*file flags. Then, timed and under the writer:
#   1. stop kube-scheduler, kube-controller-manager and kube-apiserver on cp1-cp3 (in parallel);
#   2. `etcdctl snapshot save` on cp1's stacked member;
#   3. copy the snapshot to e1-e3 (cp1 → here → each, three ssh pipes in parallel);
#   4. on each of e1-e3 in parallel: `etcdutl snapshot restore` (a new token, --bump-revision
#      1000000000 --mark-compacted, the member's name and peer URLs from its config) into a fresh
#      data dir beside the running member; then on each member: kill etcd (SIGKILL: its data is
#      replaced, and kept aside; members stopped gracefully all at once can wait ~7 s, etcd's
#      request timeout, for a leadership transfer to a member that is going away), swap the data
#      dirs, start etcd; then `etcdctl endpoint health` of all 3 from here;
#   5. on cp1 (the endpoint) first, then on cp2 and cp3 together (as the package, the endpoint's
#      host is not slowed down by the others filling their caches): the new unit in place, start
#      kube-apiserver, wait for its /readyz (polled every 0.1 s), start kube-controller-manager and
#      kube-scheduler.
# The floor's write downtime is the writer's, as for the pulumi side; it ends when cp1's apiserver
# serves writes on e1-e3. Its wall time is from 1 to the last apiserver ready. Afterwards (untimed) the floor is
# undone: the original units back, the external members' data dirs put back (they hold no
# Kubernetes key again, which is checked, as the package's check requires), the control plane
# restarted on its stacked etcd and every object checked to be there. Only then comes the pulumi
# side, so both move the same data from the same state.
#
# One pair per run: the switch leaves the data on the external etcd and the stacked etcd removed.
# The closing line is the ratio of the two write downtimes.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
etcd_version=3.6.16
kube_version=$(sed -n 's/^KUBE_VERSIONS="\{0,1\}\([0-9.]*\).*/\1/p' "$repo/toolchain/versions.env" | head -n 1)
kube_version=${kube_version:-1.37.2}
size_mib=${BENCH_SWITCH_MIB:-100}
value_bytes=972800 # 950 KiB of base64 per ConfigMap (a ConfigMap holds at most 1 MiB)
binaries=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
kubectl="$bin/kubectl"
etcdctl="$(dirname "$bin")/etcd/$etcd_version/etcdctl"
[[ -x $etcdctl ]] || etcdctl="$bin/etcdctl"

status=$(bash "$repo/scripts/bed.sh" status)
json() { node -e "const s=JSON.parse(process.argv[1]); console.log($1)" "$status"; }
(($(json 's.hosts.length') >= 6)) || { echo "bench/switch needs 6 bed hosts (bed.sh up 6)" >&2; exit 1; }
mapfile -t ips < <(json 's.hosts.slice(0, 6).map(h => h.ip).join("\n")')
cp_ips=("${ips[@]:0:3}")
e_ips=("${ips[@]:3:3}")
mirror=$(json 's.mirror')
dist=$(json 's.etcdDist')
etcd_sha=$(awk -v f="etcd-v$etcd_version-linux-amd64.tar.gz" '$2 == f {print $1}' "$dist/SHA256SUMS")
kube_dir="$(dirname "$dist")/kube/release/v$kube_version/bin/linux/amd64"
ssh_host() { timeout "${SSH_TIMEOUT:-600}" ssh -i "$bed/id_ed25519" -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$bed/known_hosts" "root@$1" "$2"; }
hosts_config() { # NAME=INDEX ... → [{name, ip, hostKey}]
  # shellcheck disable=SC2016 # JavaScript
  node -e 'const s=JSON.parse(process.argv[1]); console.log(JSON.stringify(process.argv.slice(2).map(a => { const [name, i] = a.split("="); return { name, ip: s.hosts[+i].ip, hostKey: s.hosts[+i].hostKey }; })))' "$status" "$@"
}
say() { printf '[bench/switch %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
# on_all "IP..." SCRIPT: the script on every host at once; fails if any failed.
on_all() {
  local ip pids=() rc=0
  for ip in $1; do
    ssh_host "$ip" "$2" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
  return "$rc"
}

# --- Cleanup: the writer, the stack, what the switch and the floor leave on the hosts ---
writer_pid=""
stack_made=""
cleanup() {
  local rc=$?
  [[ -z $writer_pid ]] || { kill "$writer_pid" 2>/dev/null || true; wait "$writer_pid" 2>/dev/null || true; }
  if [[ -n $stack_made ]]; then
    say "destroying the stack (untimed)"
    (cd "$work/program" && timeout 900 pulumi destroy --yes --skip-preview --non-interactive >"$work/destroy.log" 2>&1) ||
      { say "pulumi destroy failed (the bed's teardown removes the hosts):"; tail -n 20 "$work/destroy.log" >&2; }
    # States and archived data dirs are never deleted by the package; the floor's files are ours.
    SSH_TIMEOUT=60 on_all "${ips[*]}" 'rm -rf /var/lib/pulumi-etcd/kube-states /var/lib/etcd.* /var/tmp/pe-kube-switch /var/tmp/bench-floor* /root/bench-floor' ||
      say "removing the leftovers failed on some host"
  fi
  # BENCH_SWITCH_LOG_DIR keeps the logs (pulumi's, the writers') for a look afterwards.
  if [[ -n ${BENCH_SWITCH_LOG_DIR:-} ]]; then
    mkdir -p "$BENCH_SWITCH_LOG_DIR"
    cp "$work"/*.log "$work"/*.writes "$BENCH_SWITCH_LOG_DIR/" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT

# --- The stack: kube-ts with a stacked etcd, the external EtcdCluster declared beside it ---
use_program kube-ts
# One more output, for the floor and the checks: the external etcd's endpoints, CA and admin client certificate.
cat >>"$work/program/index.ts" <<'EOF'
export const benchTargetEtcd = etcd && {
  endpoints: etcd.clientEndpoints,
  caCertPem: etcd.caCertPem,
  certPem: etcd.admin.certPem,
  keyPem: etcd.admin.privateKeyPem,
};
EOF
sums=""
for b in "${binaries[@]}"; do sums+="${sums:+,}\"$b\":\"$(awk '{print $1}' "$kube_dir/$b.sha256")\""; done
pulumi config set version "$kube_version"
pulumi config set sha256 "{$sums}"
pulumi config set downloadUrl "$mirror/kube/release/v{version}/bin/linux/{arch}/{binary}"
pulumi config set etcdVersion "$etcd_version"
pulumi config set etcdSha256 "$etcd_sha"
pulumi config set etcdDownloadUrl "$mirror/etcd/etcd-v{version}-linux-{arch}.tar.gz"
pulumi config set cpHosts "$(hosts_config cp1=0 cp2=1 cp3=2)"
pulumi config set etcdHosts "$(hosts_config e1=3 e2=4 e3=5)"
pulumi config set localLb true
pulumi config set etcdMode stacked
say "pulumi up: Kubernetes $kube_version on cp1-cp3 with a stacked etcd, an external etcd on e1-e3 (untimed)"
stack_made=1
quiet timeout 1800 pulumi up --yes --skip-preview --non-interactive

out() { node -e "const o=JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8')); console.log($1)" "$work/out.json"; }
pulumi stack output --show-secrets --json >"$work/out.json"
endpoint=$(out 'o.endpoint')
mkdir -p "$work/pki" && chmod 0700 "$work/pki"
out 'o.adminKubeconfig' >"$work/admin.conf"
out 'o.caCertPem' >"$work/pki/kube-ca.crt"
# shellcheck disable=SC2016 # JavaScript
kc_field() { out "Buffer.from(/$1: (\\S+)/.exec(o.adminKubeconfig)[1], 'base64').toString()"; }
kc_field client-certificate-data >"$work/pki/admin.crt"
kc_field client-key-data >"$work/pki/admin.key"
# The stacked etcd (source) and the external one (target): endpoints and admin credentials.
out 'o.etcdCaCertPem' >"$work/pki/src-ca.crt"
out 'o.etcdAdminCertPem' >"$work/pki/src.crt"
out 'o.etcdAdminKeyPem' >"$work/pki/src.key"
src_endpoints=$(out 'o.etcdEndpoints.join(",")')
out 'o.benchTargetEtcd.caCertPem' >"$work/pki/dst-ca.crt"
out 'o.benchTargetEtcd.certPem' >"$work/pki/dst.crt"
out 'o.benchTargetEtcd.keyPem' >"$work/pki/dst.key"
dst_endpoints=$(out 'o.benchTargetEtcd.endpoints.join(",")')
chmod 0600 "$work"/pki/*.key "$work/admin.conf"
src_etcdctl() { "$etcdctl" --endpoints "$src_endpoints" --cacert "$work/pki/src-ca.crt" --cert "$work/pki/src.crt" --key "$work/pki/src.key" --command-timeout 30s "$@"; }
dst_etcdctl() { "$etcdctl" --endpoints "$dst_endpoints" --cacert "$work/pki/dst-ca.crt" --cert "$work/pki/dst.crt" --key "$work/pki/dst.key" --command-timeout "${BENCH_ETCDCTL_TIMEOUT:-30s}" "$@"; }
kc() { "$kubectl" --kubeconfig "$work/admin.conf" --request-timeout=60s "$@"; }

# --- The data: ~100 MiB of ConfigMaps ---
count=$(((size_mib * 1048576 + value_bytes - 1) / value_bytes))
say "creating $count ConfigMaps of $((value_bytes / 1024)) KiB (random base64) in namespace bench-data with kubectl (untimed)"
kc create namespace bench-data >/dev/null
kc create namespace bench-writer >/dev/null
# shellcheck disable=SC2016 # JavaScript
node -e 'const { randomBytes } = require("crypto"); const [n, bytes] = process.argv.slice(1).map(Number);
  process.stdout.write(`{"apiVersion": "v1", "kind": "List", "items": [\n`);
  for (let i = 0; i < n; i++) process.stdout.write((i ? ",\n" : "") + JSON.stringify({ apiVersion: "v1", kind: "ConfigMap",
    metadata: { name: `data-${i}`, namespace: "bench-data" }, data: { blob: randomBytes(bytes * 3 / 4).toString("base64") } }));
  process.stdout.write("\n]}\n");' \
  "$count" "$value_bytes" >"$work/data.json"
t0=$(now)
quiet kc create -f "$work/data.json"
fill_s=$(sub "$(now)" "$t0")
rm -f "$work/data.json"
db_size() { # ETCDCTL_FN: the largest member db size, MiB
  "$1" endpoint status -w json | node -e 'const s=JSON.parse(require("fs").readFileSync(0, "utf8")); console.log((Math.max(...s.map(m => Number(m.Status.dbSize))) / 1048576).toFixed(0))'
}
keys() { "$1" get "$2" --prefix --count-only -w fields | awk '$1 == "\"Count\"" { print $3 }'; } # ETCDCTL_FN PREFIX
registry_keys() { keys "$1" /registry/; }
data_keys=$(keys src_etcdctl /registry/configmaps/bench-data/data-)
src_db=$(db_size src_etcdctl)
src_keys=$(registry_keys src_etcdctl)
say "filled in ${fill_s} s: $data_keys ConfigMaps in bench-data; the stacked etcd holds $src_keys /registry/ keys, db size $src_db MiB"
objects_ok() { [[ $(kc get configmaps -n bench-data -o name | grep -c '^configmap/data-') == "$count" ]]; }

# --- The writer and its figures ---
writer_start() { # LOG
  node "$repo/bench/switch-writer.mjs" "$endpoint" "$work/pki/kube-ca.crt" "$work/pki/admin.crt" "$work/pki/admin.key" bench-writer w >"$1" 2>"$1.err" &
  writer_pid=$!
  local deadline=$((SECONDS + 60))
  until grep -q '^ok ' "$1"; do
    ((SECONDS < deadline)) || { say "the writer has no successful write after 60 s:"; tail -n 5 "$1" "$1.err" >&2; exit 1; }
    sleep 0.2
  done
  sleep 2 # a baseline of writes before the move
}
# writer_stop LOG: once 3 s of writes in a row succeeded (at most 300 s), stop the writer.
writer_stop() {
  local deadline=$((SECONDS + 300)) since
  while :; do
    # Epoch ms of the first success after the last failure (or of the first success at all).
    since=$(awk '$1 == "fail" { o = 0 } $1 == "ok" && !o { o = $2 } END { printf "%.0f\n", o }' "$1")
    ((since > 0 && $(date +%s%3N) - since >= 3000)) && break
    ((SECONDS < deadline)) || { say "writes still failing 300 s after the move:"; tail -n 5 "$1" >&2; break; }
    sleep 0.5
  done
  kill "$writer_pid"
  wait "$writer_pid" || true
  writer_pid=""
}
# gap LOG → "downtime_s failed ok from_ms to_ms": the longest gap between two successful writes.
gap() {
  local failed
  failed=$(grep -c '^fail ' "$1" || true)
  awk '$1 == "ok" { print $2 }' "$1" | sort -n |
    awk -v f="$failed" 'NR > 1 && $1 - p > g { g = $1 - p; a = p; b = $1 } { p = $1; n++ } END { printf "%.2f %d %d %.0f %.0f\n", g / 1000, f, n, a, b }'
}

# --- The floor, prepared untimed ---
say "floor: preparing the apiservers' etcd client files and units for e1-e3 (untimed)"
cp_unit=/etc/systemd/system/kube-apiserver.service
for i in 0 1 2; do
  tar -C "$work/pki" -c dst-ca.crt dst.crt dst.key |
    ssh_host "${cp_ips[$i]}" "set -e; install -d -m 0700 /root/bench-floor /etc/kubernetes/pki/bench-floor; tar -x -C /etc/kubernetes/pki/bench-floor
cp -p $cp_unit /root/bench-floor/kube-apiserver.service.orig
sed -e 's#--etcd-servers=[^ ]*#--etcd-servers=$dst_endpoints#' -e 's#--etcd-cafile=[^ ]*#--etcd-cafile=/etc/kubernetes/pki/bench-floor/dst-ca.crt#' \
  -e 's#--etcd-certfile=[^ ]*#--etcd-certfile=/etc/kubernetes/pki/bench-floor/dst.crt#' -e 's#--etcd-keyfile=[^ ]*#--etcd-keyfile=/etc/kubernetes/pki/bench-floor/dst.key#' \
  $cp_unit >/root/bench-floor/kube-apiserver.service.floor
[[ \$(grep -c -e '--etcd-servers=$dst_endpoints' -e 'bench-floor/dst' /root/bench-floor/kube-apiserver.service.floor) == 4 ]]"
done

# On a cp host: a kube-apiserver unit in place, the apiserver started and ready (polled every 0.1 s on
# its own address: 127.0.0.1:6443 is the local haproxy), then the controller-manager and scheduler.
# shellcheck disable=SC2016 # expanded on the host
cp_start='set -euo pipefail; ip=$1 unit=$2
cp "$unit" /etc/systemd/system/kube-apiserver.service
systemctl daemon-reload
t0=$(date +%s%N)
systemctl start kube-apiserver
until [[ $(curl -fsS --max-time 3 --cacert /etc/kubernetes/pki/ca.crt "https://$ip:6443/readyz" 2>/dev/null) == ok ]]; do
  if (($(date +%s%N) - t0 > 300000000000)); then journalctl -u kube-apiserver -n 25 --no-pager -o cat >&2; exit 1; fi
  sleep 0.1
done
systemctl start kube-controller-manager kube-scheduler
awk -v ns=$(($(date +%s%N) - t0)) "BEGIN { printf \"%.2f\n\", ns / 1e9 }"'
# On an external member: the snapshot restored as a new cluster beside the running member, then
# etcd stopped, the data dirs swapped (the old one kept aside for the undo), etcd started.
# shellcheck disable=SC2016 # expanded on the host
floor_e_restore='set -euo pipefail; token=$1
conf=/etc/etcd/etcd.conf.yml
val() { sed -n "s/^$1: '"'"'\(.*\)'"'"'\$/\1/p" $conf; }
name=$(val name) dir=$(val data-dir) cluster=$(val initial-cluster) peers=$(val initial-advertise-peer-urls)
[[ -n $name && -n $dir && -n $cluster && -n $peers ]] || { echo "cannot read $conf" >&2; exit 1; }
t=$(date +%s%N)
etcdutl snapshot restore /var/tmp/bench-floor.db --name "$name" --initial-cluster "$cluster" --initial-cluster-token "$token" \
  --initial-advertise-peer-urls "$peers" --data-dir "$dir.bench-floor-new" --bump-revision 1000000000 --mark-compacted >/var/tmp/bench-floor-restore.log 2>&1
chown -R etcd:etcd "$dir.bench-floor-new"
chmod 0700 "$dir.bench-floor-new"
echo "$(hostname) restore $((($(date +%s%N) - t) / 1000000)) ms"'
# Then: the old member killed (its data is replaced, kept aside; etcd is crash-safe), swap, start.
# shellcheck disable=SC2016 # expanded on the host
floor_e_swap='set -euo pipefail
dir=$(sed -n "s/^data-dir: '"'"'\(.*\)'"'"'\$/\1/p" /etc/etcd/etcd.conf.yml)
t=$(date +%s%N)
systemctl kill --signal=SIGKILL etcd.service
systemctl stop etcd.service
mv "$dir" "$dir.bench-floor-orig"
mv "$dir.bench-floor-new" "$dir"
swap=$((($(date +%s%N) - t) / 1000000))
timeout 300 systemctl start etcd.service
echo "$(hostname) kill + swap $swap ms, start $((($(date +%s%N) - t) / 1000000 - swap)) ms"'
# shellcheck disable=SC2016 # expanded on the host
floor_e_undo='set -euo pipefail
dir=$(sed -n "s/^data-dir: '"'"'\(.*\)'"'"'\$/\1/p" /etc/etcd/etcd.conf.yml)
rm -rf "$dir"
mv "$dir.bench-floor-orig" "$dir"
rm -f /var/tmp/bench-floor.db /var/tmp/bench-floor-restore.log
timeout 300 systemctl start etcd.service'

floor() {
  local t0 t1 t2 t3 t4 t5 t6 i pids=() token
  token="bench-floor-$(openssl rand -hex 4)"
  t0=$(now)
  floor_t0=$t0
  on_all "${cp_ips[*]}" 'systemctl stop kube-scheduler kube-controller-manager kube-apiserver'
  t1=$(now)
  ssh_host "${cp_ips[0]}" 'etcdctl --endpoints https://127.0.0.1:2379 --cacert /etc/etcd/pki/ca.crt --cert /etc/etcd/pki/server.crt --key /etc/etcd/pki/server.key snapshot save /var/tmp/bench-floor.db >/var/tmp/bench-floor-save.log 2>&1 ||
    { cat /var/tmp/bench-floor-save.log >&2; exit 1; }'
  t2=$(now)
  for i in 0 1 2; do
    ssh_host "${cp_ips[0]}" 'cat /var/tmp/bench-floor.db' | ssh_host "${e_ips[$i]}" 'cat >/var/tmp/bench-floor.db' &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  t3=$(now)
  on_all "${e_ips[*]}" "bash -c $(printf %q "$floor_e_restore") floor $token" >"$work/floor.members"
  on_all "${e_ips[*]}" "bash -c $(printf %q "$floor_e_swap")" >>"$work/floor.members"
  local deadline=$((SECONDS + 120))
  until BENCH_ETCDCTL_TIMEOUT=1s dst_etcdctl endpoint health >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { say "floor: the restored external etcd is not healthy after 120 s"; return 1; }
    sleep 0.1
  done
  t4=$(now)
  # cp1 (the endpoint) alone first, as the package does: 3 apiservers filling their caches at once
  # share the cores and each is ready later.
  ssh_host "${cp_ips[0]}" "bash -c $(printf %q "$cp_start") floor ${cp_ips[0]} /root/bench-floor/kube-apiserver.service.floor" >"$work/floor.ready.0"
  t5=$(now)
  pids=()
  for i in 1 2; do
    ssh_host "${cp_ips[$i]}" "bash -c $(printf %q "$cp_start") floor ${cp_ips[$i]} /root/bench-floor/kube-apiserver.service.floor" >"$work/floor.ready.$i" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  t6=$(now)
  floor_phases="stop $(sub "$t1" "$t0") s, snapshot save $(sub "$t2" "$t1") s, copy to 3 members $(sub "$t3" "$t2") s, restore + etcd start + health $(sub "$t4" "$t3") s ($(sort -s -k1,1 "$work/floor.members" | paste -sd';' | sed 's/;/; /g')), cp1's apiserver ready $(sub "$t5" "$t4") s, then cp2 and cp3 together $(sub "$t6" "$t5") s (start-to-ready: $(cat "$work"/floor.ready.* | paste -sd' '))"
  floor_wall=$(sub "$t6" "$t0")
}
floor_undo() {
  local i pids=()
  on_all "${cp_ips[*]}" 'systemctl stop kube-scheduler kube-controller-manager kube-apiserver; rm -f /var/tmp/bench-floor.db'
  # Every member of the restored cluster stopped before any original one starts.
  on_all "${e_ips[*]}" 'systemctl stop etcd.service'
  on_all "${e_ips[*]}" "bash -c $(printf %q "$floor_e_undo")"
  for i in 0 1 2; do
    ssh_host "${cp_ips[$i]}" "bash -c $(printf %q "$cp_start") undo ${cp_ips[$i]} /root/bench-floor/kube-apiserver.service.orig" >/dev/null &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  on_all "${cp_ips[*]}" 'rm -rf /root/bench-floor /etc/kubernetes/pki/bench-floor'
}

say "floor: writer on, then the move by hand (stop, snapshot on cp1, copy, restore e1-e3, apiservers on e1-e3)"
writer_start "$work/floor.writes"
floor
writer_stop "$work/floor.writes"
read -r f_down f_failed f_ok f_from f_to <<<"$(gap "$work/floor.writes")"
say "floor: downtime $f_down s, wall $floor_wall s ($floor_phases)"
snap_mib=$(ssh_host "${cp_ips[0]}" 'stat -c %s /var/tmp/bench-floor.db' | awk '{printf "%.0f", $1 / 1048576}')
objects_ok || { say "floor: the ConfigMaps are not all there on the external etcd"; exit 1; }
dst_db=$(db_size dst_etcdctl)

say "floor: undoing it (untimed): units and the external members' data dirs back, the control plane on its stacked etcd"
floor_undo
dst_left=$(registry_keys dst_etcdctl)
[[ $dst_left == 0 ]] || { say "the external etcd still holds $dst_left /registry/ keys after the undo"; exit 1; }
deadline=$((SECONDS + 120))
until objects_ok 2>/dev/null; do
  ((SECONDS < deadline)) || { say "the control plane is not back on its stacked etcd with every object"; exit 1; }
  sleep 1
done

# --- The pulumi side ---
say "pulumi: writer on, then etcdMode external + pulumi up"
writer_start "$work/pulumi.writes"
pulumi config set etcdMode external
t0=$(now)
quiet timeout 1800 pulumi up --yes --skip-preview --non-interactive
up_wall=$(sub "$(now)" "$t0")
writer_stop "$work/pulumi.writes"
cp "$work/step.log" "$work/switch.log"
read -r p_down p_failed p_ok p_from p_to <<<"$(gap "$work/pulumi.writes")"
t0_ms=$(awk -v t="$t0" 'BEGIN { printf "%.0f", t * 1000 }')
say "pulumi: downtime $p_down s, up $up_wall s"
pulumi stack output --show-secrets --json >"$work/out.json"
moved=$(keys dst_etcdctl /registry/configmaps/bench-data/data-)
[[ $moved == "$data_keys" ]] || { say "after the switch the external etcd holds $moved ConfigMaps of bench-data, not $data_keys"; exit 1; }
objects_ok || { say "after the switch the ConfigMaps are not all there"; exit 1; }

printf 'bench/switch: write downtime of a control plane data switch, stacked → external etcd (3 + 3 hosts, Kubernetes %s, etcd %s), one pair in one run\n' "$kube_version" "$etcd_version"
printf '  data: %d ConfigMaps of %d KiB (%d MiB), created in %.1f s; stacked etcd %s /registry/ keys, db %s MiB; snapshot %s MiB; after the floor the external db %s MiB\n' \
  "$data_keys" $((value_bytes / 1024)) "$size_mib" "$fill_s" "$src_keys" "$src_db" "$snap_mib" "$dst_db"
printf '  pulumi up (etcdMode external: checks, stop, state on 3 hosts, restore of 3 members, restarts one host at a time, stacked etcd removed):\n'
printf '    write downtime %.2f s (longest gap between successful writes through %s, from %.2f s to %.2f s after the up began), %d failed writes, %d ok; up wall time %.2f s\n' \
  "$p_down" "$endpoint" "$(awk -v a="$p_from" -v b="$t0_ms" 'BEGIN { print (a - b) / 1000 }')" "$(awk -v a="$p_to" -v b="$t0_ms" 'BEGIN { print (a - b) / 1000 }')" "$p_failed" "$p_ok" "$up_wall"
# The switch's own progress lines (the first of each: the log repeats them among the diagnostics).
grep -o '\[data-switch\] cp: [^"]*' "$work/switch.log" | awk '!seen[$0]++' | sed 's/sha256 [0-9a-f]\{64\}/sha256 …/' | cut -c1-220 | sed 's/^/    /' || true
grep -o '\[[a-z-]*\] [0-9a-f.:]*: done ([0-9.]* s)' "$work/switch.log" | awk '!seen[$0]++ { sub(/: done \(/, " "); sub(/ s\)$/, ""); print "    " $0 " s" }' || true
printf '  floor (by hand over ssh: stop on 3 hosts, etcdctl snapshot save on cp1, copy to 3 members, etcdutl restore + etcd start on each, health, apiservers on them):\n'
f0_ms=$(awk -v t="$floor_t0" 'BEGIN { printf "%.0f", t * 1000 }')
printf '    write downtime %.2f s (from %.2f s to %.2f s after the stop began), %d failed writes, %d ok; wall time %.2f s: %s\n' "$f_down" \
  "$(awk -v a="$f_from" -v b="$f0_ms" 'BEGIN { print (a - b) / 1000 }')" "$(awk -v a="$f_to" -v b="$f0_ms" 'BEGIN { print (a - b) / 1000 }')" \
  "$f_failed" "$f_ok" "$floor_wall" "$floor_phases"
awk -v p="$p_down" -v f="$f_down" 'BEGIN { printf "  ratio pulumi/floor (write downtime): %.1f\n", p / f }'
echo "  load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
