#!/usr/bin/env bash
# etcd-defrag-schedule: installs the maintenance runner, its settings and two systemd timers with
# their services on a member: etcd-defrag (defragmentation above the thresholds) and etcd-nospace
# (recovery from a NOSPACE alarm), each only when its schedule is given (an empty one removes it).
# The unit files are rendered by the package (planning/etcd/maintenance.ts); the runner
# (etcd-defrag-run) travels inside this script.
#
# Parameters (environment):
#   PE_DEFRAG_ON_CALENDAR    the defrag timer's schedule (systemd OnCalendar; checked here with
#                            systemd-analyze), empty for no defrag timer
#   PE_DEFRAG_TIMER_UNIT     the text of etcd-defrag.timer (empty with no schedule)
#   PE_DEFRAG_SERVICE_UNIT   the text of etcd-defrag.service
#   PE_NOSPACE_ON_CALENDAR   the NOSPACE check's schedule, empty for no such timer
#   PE_NOSPACE_TIMER_UNIT    the text of etcd-nospace.timer (empty with no schedule)
#   PE_NOSPACE_SERVICE_UNIT  the text of etcd-nospace.service
# Stdin: the runner's settings file (cluster, member, thresholds; no secret), written to
#   /etc/pulumi-etcd/defrag.env 0600.
# Outputs:
#   ::output timers=<the timers installed, space-separated>
# Idempotence: a re-run with the same parameters and stdin changes nothing and restarts nothing:
#   each file is replaced only when its content, mode or owner differ; systemd is reloaded only
#   when a unit changed, a timer restarted only when its units changed (or it was not running),
#   enabled only when it was not. The runner and its settings are read at each run.
# rerun-revision: 1
set -euo pipefail
# include: common/lib/common.sh
# embed: etcd-defrag-run as RUNNER
: "${PE_DEFRAG_ON_CALENDAR?}" "${PE_DEFRAG_TIMER_UNIT?}" "${PE_DEFRAG_SERVICE_UNIT?}"
: "${PE_NOSPACE_ON_CALENDAR?}" "${PE_NOSPACE_TIMER_UNIT?}" "${PE_NOSPACE_SERVICE_UNIT?}"
if ! command -v etcdctl >/dev/null; then die "etcdctl is not installed on this host (install the member first)"; fi
for pair in "$PE_DEFRAG_ON_CALENDAR|$PE_DEFRAG_TIMER_UNIT" "$PE_NOSPACE_ON_CALENDAR|$PE_NOSPACE_TIMER_UNIT"; do
  cal=${pair%%|*}
  [[ -n $cal ]] || continue
  systemd-analyze calendar "$cal" >/dev/null 2>&1 || die "schedule '$cal' is not a systemd calendar expression (e.g. *-*-* 03:30:00)"
  grep -qxF "OnCalendar=$cal" <<<"${pair#*|}" || die "the timer unit for '$cal' does not carry OnCalendar=$cal"
done
install -d -m 0755 /usr/local/lib/pulumi-etcd
install -d -m 0700 /etc/pulumi-etcd
changed=()
[[ $(printf '%s\n' "$RUNNER" | install_content /usr/local/lib/pulumi-etcd/etcd-defrag-run 0755 root:root) == changed ]] && changed+=(runner)
[[ $(install_content /etc/pulumi-etcd/defrag.env 0600 root:root) == changed ]] && changed+=(settings)
timers=()

# One timer and its service: installed (and running) when the schedule is given, removed when not.
timer_unit() { # name, on_calendar, timer text, service text
  local name=$1 cal=$2 timer=/etc/systemd/system/$1.timer service=/etc/systemd/system/$1.service units_changed=false
  if [[ -z $cal ]]; then
    if [[ -e $timer || -e $service ]]; then
      systemctl disable --now "$name.timer" 2>/dev/null || true
      rm -f "$timer" "$service"
      systemctl daemon-reload
      changed+=("$name-removed")
    fi
    return 0
  fi
  timers+=("$name")
  if [[ $(printf '%s' "$4" | install_content "$service" 0644 root:root) == changed ]]; then
    changed+=("$name.service")
    units_changed=true
  fi
  if [[ $(printf '%s' "$3" | install_content "$timer" 0644 root:root) == changed ]]; then
    changed+=("$name.timer")
    units_changed=true
  fi
  # NeedDaemonReload also catches units written by an earlier run that stopped before reloading.
  if $units_changed || [[ $(systemctl show -p NeedDaemonReload --value "$name.timer" "$name.service") == *yes* ]]; then
    systemctl daemon-reload
  fi
  if ! systemctl is-enabled --quiet "$name.timer" 2>/dev/null; then
    systemctl enable "$name.timer" 2>/dev/null
    changed+=("$name-enabled")
  fi
  if $units_changed || ! systemctl is-active --quiet "$name.timer"; then
    systemctl restart "$name.timer"
    changed+=("$name-restarted")
  fi
}
timer_unit etcd-defrag "$PE_DEFRAG_ON_CALENDAR" "$PE_DEFRAG_TIMER_UNIT" "$PE_DEFRAG_SERVICE_UNIT"
timer_unit etcd-nospace "$PE_NOSPACE_ON_CALENDAR" "$PE_NOSPACE_TIMER_UNIT" "$PE_NOSPACE_SERVICE_UNIT"
what="defrag ${PE_DEFRAG_ON_CALENDAR:-off}, NOSPACE check ${PE_NOSPACE_ON_CALENDAR:-off}"
if ((${#changed[@]})); then
  log "maintenance timers ($what); changed: ${changed[*]}"
else
  log "maintenance timers ($what); nothing changed"
fi
output timers "${timers[*]}"
