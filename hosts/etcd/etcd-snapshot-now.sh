#!/usr/bin/env bash
# Takes one snapshot now on this member, leader or not (for example before an upgrade), with the
# settings on stdin (they may hold S3 credentials). Its location and sha256 are the outputs.
set -euo pipefail
# include: common/lib/s3.sh
# include: etcd/lib/snapshot.sh
command -v etcdctl >/dev/null || { echo "etcdctl is not installed on this host" >&2; exit 1; }
conf=/run/pe-snapshot-now.env
(umask 077 && cat >"$conf")
if (PE_SNAPSHOT_CONF=$conf PE_FORCE=1 snapshot_main); then rc=0; else rc=$?; fi
rm -f "$conf"
exit "$rc"
