#!/usr/bin/env bash
# etcd-uninstall: removes the etcd binaries of one version and the /usr/local/bin links that point to
# them (the delete step of etcd-install), and the identity an install recorded for a member that never
# started. Keeps the etcd user: archived data dirs stay owned by it.
#
# Parameters (environment):
#   PE_VERSION  the etcd version, x.y.z
# Stdin: none.
# Outputs: none.
# Idempotence: a re-run changes nothing (nothing left to remove) and restarts nothing.
# rerun-revision: 1
set -euo pipefail
# include: common/lib/common.sh
# include: etcd/lib/etcd-host.sh
: "${PE_VERSION:?}"
[[ $PE_VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "bad version $PE_VERSION"
dest=/opt/etcd/v$PE_VERSION
for b in etcd etcdctl etcdutl; do
  if [[ -L /usr/local/bin/$b && $(readlink "/usr/local/bin/$b") == "$dest/$b" ]]; then rm -f "/usr/local/bin/$b"; fi
done
if [[ -d $dest ]]; then
  rm -rf "$dest"
  log "removed $dest"
fi
rmdir /opt/etcd 2>/dev/null || true
# The identity an install wrote for a member that never started (no unit, its data dir empty).
data=$(identity_field data_dir)
if [[ -n $data && ! -e $PE_UNIT_PATH ]] && [[ ! -d $data || -z $(ls -A "$data") ]]; then rm -f "$PE_IDENTITY"; fi
rmdir /etc/etcd 2>/dev/null || true
