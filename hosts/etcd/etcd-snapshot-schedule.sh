#!/usr/bin/env bash
# Installs the snapshot runner, its settings (from stdin: they may hold S3 credentials; written
# 0600) and a systemd timer + service, then enables the timer. Idempotent.
#   PE_ON_CALENDAR: the timer's schedule (systemd OnCalendar).
# The runner (etcd-snapshot-run) travels inside this script, not as a parameter.
set -euo pipefail
# include: common/lib/common.sh
# embed: etcd-snapshot-run as RUNNER
: "${PE_ON_CALENDAR:?}"
systemd-analyze calendar "$PE_ON_CALENDAR" >/dev/null 2>&1 || die "schedule '$PE_ON_CALENDAR' is not a systemd calendar expression (e.g. *-*-* 00/6:00:00)"
if ! command -v etcdctl >/dev/null || ! command -v etcdutl >/dev/null; then die "etcdctl/etcdutl are not installed on this host (install the member first)"; fi
install -d -m 0755 /usr/local/lib/pulumi-etcd
install -d -m 0700 /etc/pulumi-etcd
changed=()
[[ $(printf '%s\n' "$RUNNER" | install_content /usr/local/lib/pulumi-etcd/etcd-snapshot-run 0755 root:root) == changed ]] && changed+=(runner)
[[ $(install_content /etc/pulumi-etcd/snapshot.env 0600 root:root) == changed ]] && changed+=(settings)
unit=$(printf '%s\n' \
  '# Managed by pulumi-etcd.' '[Unit]' 'Description=etcd snapshot (pulumi-etcd; only the leader takes one)' 'After=etcd.service' '' \
  '[Service]' 'Type=oneshot' 'ExecStart=/usr/local/lib/pulumi-etcd/etcd-snapshot-run' 'Nice=10' 'IOSchedulingClass=idle')
timer=$(printf '%s\n' \
  '# Managed by pulumi-etcd.' '[Unit]' 'Description=etcd snapshots (pulumi-etcd)' '' \
  '[Timer]' "OnCalendar=$PE_ON_CALENDAR" 'AccuracySec=1s' 'Persistent=true' '' '[Install]' 'WantedBy=timers.target')
[[ $(printf '%s\n' "$unit" | install_content /etc/systemd/system/etcd-snapshot.service 0644 root:root) == changed ]] && changed+=(service)
[[ $(printf '%s\n' "$timer" | install_content /etc/systemd/system/etcd-snapshot.timer 0644 root:root) == changed ]] && changed+=(timer)
systemctl daemon-reload
systemctl enable etcd-snapshot.timer 2>/dev/null
systemctl restart etcd-snapshot.timer
log "snapshot timer on ($PE_ON_CALENDAR)${changed[*]:+; changed: ${changed[*]}}"
output timerSha256 "$(sha256sum /etc/systemd/system/etcd-snapshot.timer | cut -d' ' -f1)"
