#!/usr/bin/env bash
# Removes PE_PATH if it exists; idempotent.
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
