#!/usr/bin/env bash
# Removes the snapshot timer, service, runner and settings. Snapshots already taken are kept.
set -euo pipefail
# include: common/lib/common.sh
systemctl disable --now etcd-snapshot.timer 2>/dev/null || true
rm -f /etc/systemd/system/etcd-snapshot.timer /etc/systemd/system/etcd-snapshot.service \
  /usr/local/lib/pulumi-etcd/etcd-snapshot-run /etc/pulumi-etcd/snapshot.env
rmdir /usr/local/lib/pulumi-etcd /etc/pulumi-etcd 2>/dev/null || true
systemctl daemon-reload
log "snapshot timer removed (snapshots kept)"
