#!/usr/bin/env bash
# etcd-snapshot-unschedule: removes the snapshot timer, service, runner and settings (the delete step
# of etcd-snapshot-schedule). Snapshots already taken are kept.
#
# Parameters: none.
# Stdin: none.
# Outputs: none.
# Idempotence: a re-run changes nothing (nothing left to remove; systemd is reloaded only when a
#   unit was removed) and restarts nothing.
# rerun-revision: 1
set -euo pipefail
# include: common/lib/common.sh
units=(/etc/systemd/system/etcd-snapshot.timer /etc/systemd/system/etcd-snapshot.service)
had_units=false
for u in "${units[@]}"; do if [[ -e $u ]]; then had_units=true; fi; done
systemctl disable --now etcd-snapshot.timer 2>/dev/null || true
rm -f "${units[@]}" /usr/local/lib/pulumi-etcd/etcd-snapshot-run /etc/pulumi-etcd/snapshot.env
rmdir /usr/local/lib/pulumi-etcd /etc/pulumi-etcd 2>/dev/null || true
if $had_units; then
  systemctl daemon-reload
  log "snapshot timer removed (snapshots kept)"
else
  log "no snapshot timer here (snapshots kept)"
fi
