#!/usr/bin/env bash
# kube-state-save: keeps one saved state of the control plane on this host, before its data moves:
# the etcd snapshot (from stdin, its sha256 checked) and an archive of /etc/kubernetes with the
# control-plane units, in /var/lib/pulumi-etcd/kube-states/<state>/ (0700: it holds private keys).
# Nothing is ever deleted here: states are brought back with restoreState, or removed by hand.
#
# Parameters (environment):
#   PE_STATE          the state's name (s<n>-<time>)
#   PE_EXPECT_SHA256  the snapshot's sha256
#   PE_META           the state's description (one JSON line), written as meta.json
# Stdin: the snapshot file.
# Outputs:
#   ::output snapshot=<path of the snapshot>
#   ::output config=<path of the archive of /etc/kubernetes and the units>
# Idempotence: a state is written once; a re-run for a state that is complete keeps it and reports it.
# rerun-revision: 1
set -euo pipefail
# include: common/lib/common.sh
# include: kube/lib/kube-host.sh
: "${PE_STATE:?}" "${PE_EXPECT_SHA256:?}" "${PE_META:?}"
[[ $PE_STATE =~ ^s[0-9]+-[0-9]{8}T[0-9]{6}Z$ ]] || die "bad state name $PE_STATE"
[[ $PE_EXPECT_SHA256 =~ ^[0-9a-f]{64}$ ]] || die "bad sha256"
dir=/var/lib/pulumi-etcd/kube-states/$PE_STATE
if [[ -f $dir/meta.json ]]; then
  cat >/dev/null
  log "state $PE_STATE is already saved in $dir"
else
  install -d -m 0700 "$dir"
  (umask 077 && cat >"$dir/snapshot.db.part")
  sha=$(sha256sum "$dir/snapshot.db.part" | cut -d' ' -f1)
  [[ $sha == "$PE_EXPECT_SHA256" ]] || { rm -f "$dir/snapshot.db.part"; die "the snapshot arrived with sha256 $sha, not $PE_EXPECT_SHA256"; }
  mv "$dir/snapshot.db.part" "$dir/snapshot.db"
  units=()
  for u in "${PE_KUBE_UNITS[@]}"; do
    if [[ -f /etc/systemd/system/$u.service ]]; then units+=("etc/systemd/system/$u.service"); fi
  done
  config=()
  if [[ -d $PE_KUBE_DIR ]]; then config+=("${PE_KUBE_DIR#/}"); fi
  (umask 077 && tar -C / -czf "$dir/config.tar.gz" "${config[@]}" "${units[@]}")
  printf '%s\n' "$PE_META" | install_content "$dir/meta.json" 0600 root:root >/dev/null
  log "state $PE_STATE saved in $dir: snapshot ($(($(stat -c %s "$dir/snapshot.db") / 1024)) KiB, sha256 $sha) and /etc/kubernetes with the units"
fi
output snapshot "$dir/snapshot.db"
output config "$dir/config.tar.gz"
