#!/usr/bin/env bash
# etcd-defrag-unschedule: removes the maintenance timers, services, runner and settings (the delete
# step of etcd-defrag-schedule). The status file and metrics are kept.
#
# Parameters: none.
# Stdin: none.
# Outputs: none.
# Idempotence: a re-run changes nothing (nothing left to remove; systemd is reloaded only when a
#   unit was removed) and restarts nothing.
# rerun-revision: 1
set -euo pipefail
# include: common/lib/common.sh
units=(/etc/systemd/system/etcd-defrag.timer /etc/systemd/system/etcd-defrag.service /etc/systemd/system/etcd-nospace.timer /etc/systemd/system/etcd-nospace.service)
had_units=false
for u in "${units[@]}"; do if [[ -e $u ]]; then had_units=true; fi; done
for t in etcd-defrag.timer etcd-nospace.timer; do systemctl disable --now "$t" 2>/dev/null || true; done
rm -f "${units[@]}" /usr/local/lib/pulumi-etcd/etcd-defrag-run /etc/pulumi-etcd/defrag.env
rmdir /usr/local/lib/pulumi-etcd /etc/pulumi-etcd 2>/dev/null || true
if $had_units; then
  systemctl daemon-reload
  log "maintenance timers removed"
else
  log "no maintenance timers here"
fi
