#!/usr/bin/env bash
# etcd-check-v2store: before a member goes from 3.5 to 3.6, checks with the running release's
# etcdutl (3.5.32 or later reads the WAL too) that neither the member's v2 store nor its WAL holds
# custom v2 data: etcd 3.6 does not start on such a data dir. Read-only; safe while etcd runs.
#
# Parameters (environment):
#   PE_DATA_DIR  the member's data dir
#   PE_VERSION   the etcd version the member runs (its etcdutl is /opt/etcd/v<version>/etcdutl)
# Stdin: none.
# Outputs:
#   ::output result=clean  (otherwise the step fails with etcdutl's own words)
# Idempotence: reads only.
# rerun-revision: 1
set -euo pipefail
# include: common/lib/common.sh
: "${PE_DATA_DIR:?}" "${PE_VERSION:?}"
[[ $PE_VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "bad version $PE_VERSION"
etcdutl=/opt/etcd/v$PE_VERSION/etcdutl
[[ -x $etcdutl ]] || die "$etcdutl is missing: the member's release is not installed where the package installs it"
[[ -d $PE_DATA_DIR/member ]] || die "$PE_DATA_DIR holds no etcd member"
if ! said=$(timeout 120 "$etcdutl" check v2store --data-dir "$PE_DATA_DIR" 2>&1); then
  die "etcd 3.6 would not start on $PE_DATA_DIR: ${said//$'\n'/ } (etcd's 3.6 upgrade guide: https://etcd.io/docs/v3.6/upgrades/upgrade_3_6/; remove the v2 data, or migrate it to v3 first)"
fi
log "$said"
output result clean
