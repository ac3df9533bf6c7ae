#!/usr/bin/env bash
# Removes a staged restore (after another member failed to stage): the member is left as it was.
set -euo pipefail
# include: common/lib/common.sh
: "${PE_DATA_DIR:?}"
stage="$PE_DATA_DIR.pe-restore"
if [[ -d $stage ]]; then
  rm -rf "$stage"
  log "discarded the staged restore in $stage; this member is unchanged"
fi
