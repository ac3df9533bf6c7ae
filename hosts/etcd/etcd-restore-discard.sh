#!/usr/bin/env bash
# etcd-restore-discard: removes a staged restore (after another member failed to stage): the member
# is left as it was.
#
# Parameters (environment):
#   PE_DATA_DIR  the member's data dir (the stage is $PE_DATA_DIR.pe-restore)
# Stdin: none.
# Outputs: none.
# Idempotence: a re-run changes nothing (no stage stays no stage) and restarts nothing.
# rerun-revision: 1
set -euo pipefail
# include: common/lib/common.sh
: "${PE_DATA_DIR:?}"
stage="$PE_DATA_DIR.pe-restore"
if [[ -d $stage ]]; then
  rm -rf "$stage"
  log "discarded the staged restore in $stage; this member is unchanged"
fi
