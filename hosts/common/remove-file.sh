#!/usr/bin/env bash
# remove-file: removes PE_PATH if it exists (the delete step of install-file).
#
# Parameters (environment):
#   PE_PATH  absolute path of the file to remove (required)
# Stdin: none.
# Outputs: none.
# Idempotence: a re-run changes nothing (an absent file stays absent) and restarts nothing.
# rerun-revision: 1
set -euo pipefail
log() { printf '[%s remove-file] %s\n' "$(hostname)" "$*" >&2; }

: "${PE_PATH:?PE_PATH is required}"
[[ $PE_PATH == /* && $PE_PATH != */../* ]] || { log "ERROR: PE_PATH must be absolute: $PE_PATH"; exit 1; }
if [[ -e $PE_PATH ]]; then
  rm -f -- "$PE_PATH"
  log "removed $PE_PATH"
else
  log "$PE_PATH already absent"
fi
