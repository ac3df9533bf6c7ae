#!/usr/bin/env bash
# etcd-snapshot-schedule: installs the snapshot runner, its settings and a systemd timer + service
# on a member, and keeps the timer enabled and running. The unit files are rendered by the package
# (planning/etcd/snapshotSpec.ts); the runner (etcd-snapshot-run) travels inside this script.
#
# Parameters (environment):
#   PE_ON_CALENDAR   the timer's schedule, a systemd OnCalendar expression (checked here with
#                    systemd-analyze; the timer unit must carry it)
#   PE_TIMER_UNIT    the text of etcd-snapshot.timer
#   PE_SERVICE_UNIT  the text of etcd-snapshot.service
# Stdin (secret): the runner's settings file (cluster, member, retention, S3 target and maybe S3
#   keys; read by etcd-snapshot-run), written to /etc/pulumi-etcd/snapshot.env 0600 and never printed.
# Outputs:
#   ::output timerSha256=<sha256 of the installed timer unit>
# Idempotence: a re-run with the same parameters and stdin changes nothing and restarts nothing:
#   each file is replaced only when its content, mode or owner differ; systemd is reloaded only
#   when a unit changed, the timer restarted only when a unit changed (or it was not running),
#   enabled only when it was not. The runner and its settings are read at each run: a change to
#   them needs no restart. (Revision 2: existing hosts get the runner that takes the cluster lock;
#   only the runner file changes there, nothing restarts.)
# rerun-revision: 2
set -euo pipefail
# include: common/lib/common.sh
# embed: etcd-snapshot-run as RUNNER
: "${PE_ON_CALENDAR:?}" "${PE_TIMER_UNIT:?}" "${PE_SERVICE_UNIT:?}"
systemd-analyze calendar "$PE_ON_CALENDAR" >/dev/null 2>&1 || die "schedule '$PE_ON_CALENDAR' is not a systemd calendar expression (e.g. *-*-* 00/6:00:00)"
grep -qxF "OnCalendar=$PE_ON_CALENDAR" <<<"$PE_TIMER_UNIT" || die "the timer unit does not carry OnCalendar=$PE_ON_CALENDAR"
if ! command -v etcdctl >/dev/null || ! command -v etcdutl >/dev/null; then die "etcdctl/etcdutl are not installed on this host (install the member first)"; fi
timer=/etc/systemd/system/etcd-snapshot.timer
service=/etc/systemd/system/etcd-snapshot.service
install -d -m 0755 /usr/local/lib/pulumi-etcd
install -d -m 0700 /etc/pulumi-etcd
changed=()
[[ $(printf '%s\n' "$RUNNER" | install_content /usr/local/lib/pulumi-etcd/etcd-snapshot-run 0755 root:root) == changed ]] && changed+=(runner)
[[ $(install_content /etc/pulumi-etcd/snapshot.env 0600 root:root) == changed ]] && changed+=(settings)
units_changed=false
if [[ $(printf '%s' "$PE_SERVICE_UNIT" | install_content "$service" 0644 root:root) == changed ]]; then
  changed+=(service)
  units_changed=true
fi
if [[ $(printf '%s' "$PE_TIMER_UNIT" | install_content "$timer" 0644 root:root) == changed ]]; then
  changed+=(timer)
  units_changed=true
fi
# NeedDaemonReload also catches units written by an earlier run that stopped before reloading.
if $units_changed || [[ $(systemctl show -p NeedDaemonReload --value etcd-snapshot.timer etcd-snapshot.service) == *yes* ]]; then
  systemctl daemon-reload
fi
if ! systemctl is-enabled --quiet etcd-snapshot.timer 2>/dev/null; then
  systemctl enable etcd-snapshot.timer 2>/dev/null
  changed+=(enabled)
fi
if $units_changed || ! systemctl is-active --quiet etcd-snapshot.timer; then
  systemctl restart etcd-snapshot.timer
  changed+=(restarted)
fi
if ((${#changed[@]})); then
  log "snapshot timer on ($PE_ON_CALENDAR); changed: ${changed[*]}"
else
  log "snapshot timer on ($PE_ON_CALENDAR); nothing changed"
fi
output timerSha256 "$(sha256sum "$timer" | cut -d' ' -f1)"
