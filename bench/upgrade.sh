#!/usr/bin/env bash
# bench/upgrade: the time an etcd rolling upgrade takes per member per hop. A 3-member cluster on
# 3.6.16 holding a small data set (BENCH_UPGRADE_MIB values of 1 MiB, random; 32 by default) is
# taken to 3.7.3 by one `pulumi up`: each member's install step puts 3.7.3 beside 3.6.16, then the
# etcd:cluster:Rollout runs its checks, a snapshot on the leader's host, its own install (finds
# 3.7.3 there), no-op writes until every member took a raft snapshot on 3.6, then each member in
# turn, the leader last after a leadership move (config and unit re-rendered, restarted, waited for
# until it answers on 3.7.3 and is caught up with the leader), then the cluster version. The
# per-member times come from the rollout's own `[upgrade] ... caught up (X s)` lines; every line of
# the up is also stamped as it arrives, which splits the rest of the up into its parts.
#
# The floor, measured on the same bed in the same run, after the up: hand restarts of the member the
# rollout restarted first (a follower), by the steps the rollout takes per member once the binaries
# are installed: over one ssh session `systemctl daemon-reload`, `systemctl stop etcd.service`,
# `systemctl start etcd.service` (a restart, split to time its halves; the unit already runs 3.7.3,
# as the rollout left it; Type=notify, so the start returns when etcd is ready), then `etcdctl
# endpoint status` over mTLS (the admin certificate) every 0.1 s from this machine until the member
# answers on 3.7.3 within 1000 raft entries of the leader (the rollout's caught-up condition). Timed
# from before the ssh to that answer; the median of BENCH_UPGRADE_FLOOR_RUNS (5) restarts, each
# after the member ran BENCH_UPGRADE_FLOOR_SETTLE (5) s. Ratios: the median of the rollout's three
# members over the floor, and the same member's rollout time over the floor. Under 5 minutes (about
# 1 minute on an idle bed). BENCH_UPGRADE_LOG=FILE keeps the stamped output of the upgrade's up.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
from=3.6.16
to=3.7.3
size_mib=${BENCH_UPGRADE_MIB:-32}
floor_runs=${BENCH_UPGRADE_FLOOR_RUNS:-5}
floor_settle=${BENCH_UPGRADE_FLOOR_SETTLE:-5}
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

status=$(bash "$repo/scripts/bed.sh" status)
json() { node -e "const s=JSON.parse(process.argv[1]); console.log($1)" "$status"; }
mapfile -t ips < <(json 's.hosts.map(h => h.ip).join("\n")')
mirror=$(json 's.mirror')
dist=$(json 's.etcdDist')
sha_of() { awk -v f="etcd-v$1-linux-amd64.tar.gz" '$2 == f {print $1}' "$dist/SHA256SUMS"; }
sha_from=$(sha_of "$from")
sha_to=$(sha_of "$to")
[[ -n $sha_from && -n $sha_to ]] || { echo "no etcd $from or $to in $dist/SHA256SUMS" >&2; exit 1; }
ssh_host() { ssh -i "$bed/id_ed25519" -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$bed/known_hosts" "root@$1" "$2"; }
members() {
  # shellcheck disable=SC2016 # JavaScript
  node -e 'const s=JSON.parse(process.argv[1]); console.log(JSON.stringify(process.argv.slice(2).map(i => ({ name: `u${i}`, ip: s.hosts[i].ip, hostKey: s.hosts[i].hostKey }))))' "$status" "$@"
}
# Every line of pulumi's output, stamped (epoch seconds) when it arrives.
stamped() {
  local line
  "$@" 2>&1 | while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done >"$work/step.log" ||
    { tail -n 40 "$work/step.log" >&2; exit 1; }
}

use_program cluster-ts
pulumi config set members "$(members 0 1 2)"
pulumi config set version "$from"
pulumi config set sha256 "$sha_from"
pulumi config set downloadUrl "$mirror/etcd/etcd-v{version}-linux-{arch}.tar.gz"
pulumi config set purgeDataOnDestroy true
quiet pulumi up --yes --skip-preview --non-interactive
pulumi stack output --show-secrets --json >"$work/out.json"
node "$repo/bench/fill.mjs" "$repo" "$work/out.json" "$size_mib" random

# The upgrade: the new version's sha256, and the same in upgradeChecksums (as the E2E programs do).
pulumi config set version "$to"
pulumi config set sha256 "$sha_to"
pulumi config set upgradeChecksums "{\"$to\": \"$sha_to\"}"
t0=$EPOCHREALTIME
stamped pulumi up --yes --skip-preview --non-interactive
t1=$EPOCHREALTIME
total=$(sub "$t1" "$t0")
[[ -z ${BENCH_UPGRADE_LOG:-} ]] || cp "$work/step.log" "$BENCH_UPGRADE_LOG"

# The progress lines: pulumi prints each twice (live, stamped when it arrived, and in the summary,
# where the line starts with [upgrade]): the summary gives each once, the live copy its time.
grep -E '^[0-9.]+ +\[upgrade\] ' "$work/step.log" | sed -E 's/^[0-9.]+ +//' >"$work/upgrade.lines"
grep -E '^[0-9.]+ .+\[upgrade\] ' "$work/step.log" | grep -vE '^[0-9.]+ +\[upgrade\] ' |
  sed -E 's/^([0-9.]+) .*(\[upgrade\] )/\1 \2/' | awk '!seen[$0]++' >"$work/upgrade.live"
sed 's/^/  (pulumi) /' "$work/upgrade.lines" | cut -c1-200 >&2
# when PATTERN: the arrival time of the first live line matching it (relative to t0), or "?".
when() {
  local t
  t=$(grep -m1 -E "$1" "$work/upgrade.live" | cut -d' ' -f1 || true)
  if [[ -n $t ]]; then sub "$t" "$t0"; else echo "?"; fi
}
sed -nE 's/.*: ([^ ]+) runs [^ ]+, caught up \(([0-9.]+) s\).*/\1 \2/p' "$work/upgrade.lines" >"$work/members.times"
(($(wc -l <"$work/members.times") == 3)) || { echo "expected 3 'caught up' lines" >&2; cat "$work/upgrade.lines" >&2; exit 1; }
first=$(head -n1 "$work/members.times" | cut -d' ' -f1)
leader=$(sed -nE 's/.*the leader ([^ ]+) goes last.*/\1/p' "$work/upgrade.lines" | head -n1)
per_member=$(cut -d' ' -f2 "$work/members.times" | median)
filler=$(sed -nE 's/.*took a raft snapshot on 3\.6 \(([0-9]+) no-op entries, ([0-9.]+) s\).*/\1 entries in \2 s/p' "$work/upgrade.lines")
rollout=$(sed -nE 's/.* on [0-9]+ member\(s\) in ([0-9.]+) s;.*/\1/p' "$work/upgrade.lines" | head -n1)
# The members' own install steps (HostScripts) put 3.7.3 beside 3.6.16 before the rollout starts.
t_inst0=$(grep -m1 -E '^[0-9.]+ .*-install updating ' "$work/step.log" | cut -d' ' -f1 || true)
t_inst1=$(grep -E '^[0-9.]+ .*-install updated ' "$work/step.log" | tail -n1 | cut -d' ' -f1 || true)
inst="?"
[[ -n $t_inst0 && -n $t_inst1 ]] && inst="$(sub "$t_inst0" "$t0") s to $(sub "$t_inst1" "$t0") s"
t_start=$(when '\[upgrade\] [^:]+: etcd [^ ]+ → [^ ]+: [0-9]+ hop')
t_snap=$(when 'snapshot before the upgrade:')
t_filler=$(when 'need a raft snapshot|took a raft snapshot|goes last')
t_members=$(when 'took a raft snapshot|goes last')
t_last=$(grep -E 'caught up \(' "$work/upgrade.live" | tail -n1 | cut -d' ' -f1 || true)
[[ -n $t_last ]] && t_last=$(sub "$t_last" "$t0") || t_last="?"
t_cv=$(when 'cluster version [0-9]')
t_done=$(when ' on [0-9]+ member\(s\) in ')

# The floor: hand restarts of the member the rollout restarted first, a follower.
k=${first#u}
member_ip=${ips[$k]}
node -e 'const o=JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const fs=require("fs"); fs.writeFileSync(process.argv[2]+"/ca.pem", o.caCertPem);
fs.writeFileSync(process.argv[2]+"/admin.pem", o.adminCertPem); fs.writeFileSync(process.argv[2]+"/admin-key.pem", o.adminKeyPem, {mode: 0o600});
console.log(o.clientEndpoints.join(","))' "$work/out.json" "$work" >"$work/endpoints"
mapfile -t endpoints < <(tr ',' '\n' <"$work/endpoints")
member_ep=$(printf '%s\n' "${endpoints[@]}" | grep -F "//$member_ip:")
ectl() { timeout 5 etcdctl --cacert "$work/ca.pem" --cert "$work/admin.pem" --key "$work/admin-key.pem" --dial-timeout 1s --command-timeout 2s "$@"; }
# caught_up: true when the member answers on $to within 1000 raft entries of the leader.
caught_up() {
  ectl --endpoints "$(paste -sd, "$work/endpoints")" endpoint status -w fields 2>/dev/null | awk -v me="$member_ep" -v want="$to" '
    /^"MemberID"/ { m = $3 }
    /^"Version"/ { v = $3; gsub(/"/, "", v) }
    /^"Leader"/ { if ($3 != 0) leader = $3 }
    /^"RaftIndex"/ { i = $3 }
    /^"Endpoint"/ { ep = $3; gsub(/"/, "", ep); id[ep] = m; ver[ep] = v; idx[ep] = i }
    END {
      if (!(me in ver) || ver[me] != want || leader == "") exit 1
      for (e in id) if (id[e] == leader) li = idx[e]
      if (li == "") exit 1
      d = li - idx[me]; if (d < 0) d = -d
      exit (d <= 1000) ? 0 : 1
    }' || return 1
}
caught_up || { echo "the member $first is not caught up before the floor" >&2; exit 1; }
: >"$work/floor.times"
: >"$work/floor.restart"
: >"$work/floor.stop"
: >"$work/floor.start"
for ((r = 1; r <= floor_runs; r++)); do
  # Settled first, as the rollout finds a member: etcd's stop waits up to 1 s for the peer
  # connections it serves to close (its peer listener's graceful shutdown), and takes far less when
  # it is stopped again right after a restart, before its peers' streams are all back.
  sleep "$floor_settle"
  a=$EPOCHREALTIME
  # shellcheck disable=SC2016 # run on the host
  ssh_host "$member_ip" 'systemctl daemon-reload; s=$(date +%s.%N); systemctl stop etcd.service; m=$(date +%s.%N)
systemctl start etcd.service; e=$(date +%s.%N); echo "$s $m $e"' >"$work/split"
  b=$EPOCHREALTIME
  read -r s m e <"$work/split"
  sub "$m" "$s" >>"$work/floor.stop"
  sub "$e" "$m" >>"$work/floor.start"
  ok=0
  for ((p = 0; p < 600; p++)); do
    if caught_up; then ok=1; break; fi
    sleep 0.1
  done
  ((ok)) || { echo "the member $first was not caught up within 60 s of its restart" >&2; exit 1; }
  c=$EPOCHREALTIME
  sub "$c" "$a" >>"$work/floor.times"
  sub "$b" "$a" >>"$work/floor.restart"
done
floor=$(median <"$work/floor.times")
floor_restart=$(median <"$work/floor.restart")
floor_stop=$(median <"$work/floor.stop")
floor_start=$(median <"$work/floor.start")

for i in 0 1 2; do ssh_host "${ips[$i]}" "rm -rf /var/lib/pulumi-etcd/upgrade-snapshots"; done
quiet pulumi destroy --yes --skip-preview --non-interactive
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

printf 'bench/upgrade: a 3-member cluster holding %d MiB, %s → %s (1 hop) in one pulumi up; load average %s before, %s after\n' \
  "$size_mib" "$from" "$to" "$load_before" "$load_after"
printf '  pulumi up: %.2f s (the rollout itself %s s)\n' "$total" "${rollout:-?}"
printf '    stamped from the start of the up: the members'"'"' install steps %s, rollout starts %s s, snapshot before done %s s, installed beside %s s, raft snapshots on 3.6 done %s s (%s), last member caught up %s s, cluster version %s s, rollout done %s s\n' \
  "$inst" "$t_start" "$t_snap" "$t_filler" "$t_members" "${filler:-not needed}" "$t_last" "$t_cv" "$t_done"
printf '  per member (restart on %s to caught up, from the rollout'"'"'s lines; the leader %s last, with its leadership move): %s\n' \
  "$to" "${leader:-?}" "$(awk '{printf "%s%s %s s", (NR > 1 ? ", " : ""), $1, $2}' "$work/members.times")"
printf '  per member, median: %.2f s\n' "$per_member"
printf '  floor (%s restarted by hand: ssh + daemon-reload + systemctl stop + start, then etcdctl endpoint status every 0.1 s until on %s and caught up): median %.2f s (all: %s; ssh + restart median %.2f s, of which stop %.2f s (all: %s), start to ready %.2f s)\n' \
  "$first" "$to" "$floor" "$(paste -sd' ' "$work/floor.times")" "$floor_restart" "$floor_stop" "$(paste -sd' ' "$work/floor.stop")" "$floor_start"
awk -v p="$per_member" -v f="$floor" -v m="$(grep "^$first " "$work/members.times" | cut -d' ' -f2)" -v n="$first" \
  'BEGIN { printf "  ratio per member/floor: %.2f (median of the 3 members); the same member %s: %.2f\n", p / f, n, m / f }'
