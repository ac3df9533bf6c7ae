#!/usr/bin/env bash
# etcd-restore-swap: the point of no return of a restore, run on every member after all have staged:
# stops etcd (SIGKILL), archives the member's earlier state (data dir, config, unit, identity) as one directory
# $PE_DATA_DIR.pre-restore<generation>-<time>, moves the staged data in place (a rename on the same
# filesystem) and records the new identity. It does not start etcd: all members start together.
#
# Parameters (environment):
#   PE_NAME        the member's name
#   PE_TOKEN       the restored cluster's new token
#   PE_DATA_DIR    the member's data dir
#   PE_GENERATION  the restore's generation (in the archive's name)
# Stdin: none.
# Outputs:
#   ::output archive=<the directory holding the earlier state, or empty when there was none>
# Idempotence: not a declaration but a one-time action per restore generation (the Restore
#   resource runs it once); a re-run without a new stage fails before changing anything.
# rerun-revision: 1
set -euo pipefail
# include: common/lib/common.sh
# include: etcd/lib/etcd-host.sh
: "${PE_NAME:?}" "${PE_TOKEN:?}" "${PE_DATA_DIR:?}" "${PE_GENERATION:?}"
[[ $PE_GENERATION =~ ^[0-9]+$ ]] || die "bad generation"
stage="$PE_DATA_DIR.pe-restore"
[[ -d $stage/data/member ]] || die "no staged restore in $stage (the stage step did not finish here)"
if [[ -f $PE_UNIT_PATH ]]; then
  # Killed, not stopped gracefully: its data is replaced, and with every member stopping at once a
  # leader's graceful stop waits ~7 s for a leadership transfer no peer can take. The archived data
  # dir is crash-consistent (WAL and bbolt are written for exactly that).
  # The stop is queued first so that systemd does not count the kill as a failure to restart from.
  systemctl stop --no-block etcd.service
  systemctl kill --signal=SIGKILL etcd.service 2>/dev/null || true
  systemctl stop etcd.service
  log "etcd stopped (killed: its data is replaced)"
fi
has_data=false
if [[ -d $PE_DATA_DIR && -n $(ls -A "$PE_DATA_DIR") ]]; then has_data=true; fi
archive=""
# The identity alone (written by the install of a member that never started) is no state to keep.
if $has_data || [[ -f $PE_CONFIG_PATH || -f $PE_UNIT_PATH ]]; then
  archive=$(archive_path "$PE_DATA_DIR" "pre-restore$PE_GENERATION")
  install -d -m 0700 "$archive"
  if $has_data; then mv "$PE_DATA_DIR" "$archive/data"; fi
  for f in "$PE_CONFIG_PATH" "$PE_UNIT_PATH" "$PE_IDENTITY"; do
    if [[ -f $f ]]; then cp -p "$f" "$archive/"; fi
  done
  log "the member's earlier state (data dir: $has_data, config, unit, identity) is archived in $archive"
fi
if [[ -d $PE_DATA_DIR ]]; then rmdir "$PE_DATA_DIR"; fi
mv "$stage/data" "$PE_DATA_DIR"
rm -rf "$stage"
write_identity "$PE_NAME" "$PE_TOKEN" "$PE_DATA_DIR"
log "restored data in place at $PE_DATA_DIR (new cluster token $PE_TOKEN)"
output archive "$archive"
