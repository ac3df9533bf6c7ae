#!/usr/bin/env bash
# etcd-service-remove: stops and removes a member's unit and config. Its data dir is archived
# (renamed with a UTC timestamp), or deleted only when PE_PURGE=true was asked for explicitly.
#
# Parameters (environment):
#   PE_DATA_DIR  the member's data dir
#   PE_PURGE     true: delete the data dir instead of archiving it (default false)
# Stdin: none.
# Outputs: none.
# Idempotence: a re-run changes nothing more (no unit, no data dir left to remove) and starts nothing.
# rerun-revision: 1
set -euo pipefail
# include: common/lib/common.sh
# include: etcd/lib/etcd-host.sh
: "${PE_DATA_DIR:?}" "${PE_PURGE:=false}"
[[ $PE_DATA_DIR == /?* && $PE_DATA_DIR != */../* ]] || die "bad data dir $PE_DATA_DIR"
if systemctl list-unit-files etcd.service >/dev/null 2>&1 && [[ -f $PE_UNIT_PATH ]]; then
  systemctl disable --now etcd.service 2>/dev/null || true
  log "stopped etcd"
fi
# The unit may be gone while a process lingers (stopped by hand, half-done earlier run): never leave it.
if pgrep -x etcd >/dev/null; then
  pkill -TERM -x etcd || true
  for _ in $(seq 1 30); do pgrep -x etcd >/dev/null || break; sleep 0.5; done
  pgrep -x etcd >/dev/null && die "an etcd process is still running; stop it and rerun"
fi
had_unit=false
if [[ -e $PE_UNIT_PATH ]]; then had_unit=true; fi
rm -f "$PE_UNIT_PATH" "$PE_CONFIG_PATH" "$PE_UNIT_PATH.pe-prev" "$PE_CONFIG_PATH.pe-prev"
if $had_unit; then systemctl daemon-reload; fi
if [[ -d $PE_DATA_DIR ]]; then
  if [[ $PE_PURGE == true ]]; then
    rm -rf "$PE_DATA_DIR"
    log "purged data dir $PE_DATA_DIR (purgeDataOnDestroy)"
  elif [[ -n $(ls -A "$PE_DATA_DIR") ]]; then
    archive=$(archive_path "$PE_DATA_DIR" archived)
    mv "$PE_DATA_DIR" "$archive"
    log "archived data dir to $archive"
  else
    rmdir "$PE_DATA_DIR"
  fi
fi
rm -f "$PE_IDENTITY"
