#!/usr/bin/env bash
# etcd-service: writes a member's config file and systemd unit, claims its data dir, and (re)starts
# etcd, then waits until systemd reports it ready (Type=notify: etcd has joined its cluster).
#
# Parameters (environment):
#   PE_PHASE          create: a start that fails is rolled back (unit stopped and removed, the data
#                     dir of the failed start archived), so nothing half-done is left on the host;
#                     update: if the new config does not come up, the previous one is put back
#   PE_NAME           the member's name
#   PE_TOKEN          the cluster's token (recorded in the identity beside the data dir)
#   PE_DATA_DIR       the member's data dir
#   PE_CONFIG         the text of /etc/etcd/etcd.conf.yml
#   PE_UNIT           the text of /etc/systemd/system/etcd.service
#   PE_START_TIMEOUT  seconds to wait for the member to be ready (default 300)
#   PE_FRESH          true: the member joins an existing cluster as a new member, so data an earlier
#                     incarnation of it left (same name and cluster) is archived first (default false)
# Stdin: none.
# Outputs:
#   ::output configSha256=<sha256 of the installed config>
# Idempotence: a re-run with the same parameters changes nothing and restarts nothing: etcd is
#   (re)started only when the config or unit changed, or an earlier run that changed them was killed
#   before etcd restarted with them (its .pe-prev copies are left), or etcd is not active; systemd
#   reloaded only when the unit changed, the unit enabled only when it was not. (PE_FRESH=true is the exception by
#   design: the member handler passes it only for a new join.)
# rerun-revision: 1
set -euo pipefail
# include: common/lib/common.sh
# include: etcd/lib/etcd-host.sh
: "${PE_PHASE:?}" "${PE_NAME:?}" "${PE_TOKEN:?}" "${PE_DATA_DIR:?}" "${PE_CONFIG:?}" "${PE_UNIT:?}" "${PE_START_TIMEOUT:=300}" "${PE_FRESH:=false}"
[[ $PE_START_TIMEOUT =~ ^[0-9]+$ ]] || die "bad start timeout"
getent passwd etcd >/dev/null || die "no etcd user on this host (the install step creates it)"
check_data_dir "$PE_DATA_DIR" "$PE_NAME" "$PE_TOKEN"
if [[ $PE_FRESH == true && -d $PE_DATA_DIR && -n $(ls -A "$PE_DATA_DIR") ]]; then
  systemctl stop etcd.service 2>/dev/null || true
  old=$(archive_path "$PE_DATA_DIR" replaced)
  mv "$PE_DATA_DIR" "$old"
  log "this member joins anew: its earlier data dir was archived to $old"
fi

restarts() { systemctl show -p NRestarts --value etcd.service 2>/dev/null || echo 0; }
restarts_before=0

# Waits for the unit to be active; returns 1 when it fails or the time is up. Polled every 0.1 s:
# a new member is ready well under a second after its peers, and each check costs ~20 ms.
wait_active() {
  local deadline=$((SECONDS + PE_START_TIMEOUT)) next_note=$((SECONDS + 10)) state
  while ((SECONDS < deadline)); do
    state=$(systemctl is-active etcd.service || true)
    case $state in
    active) return 0 ;;
    failed) return 1 ;;
    esac
    # Restart=on-failure hides a crash loop from is-active: a member that keeps exiting will not start.
    if (($(restarts) - restarts_before >= 2)); then
      log "etcd exited and was restarted twice: giving up"
      return 1
    fi
    if ((SECONDS >= next_note)); then
      log "etcd is $state: waiting for its peers ($((deadline - SECONDS)) s left)"
      next_note=$((SECONDS + 10))
    fi
    sleep 0.1
  done
  return 1
}

backup() { if [[ -f $1 ]]; then cp -p "$1" "$1.pe-prev"; else rm -f "$1.pe-prev"; fi; }
restore() { if [[ -f $1.pe-prev ]]; then mv -f "$1.pe-prev" "$1"; else rm -f "$1"; fi; }

install -d -m 0755 /etc/etcd
# The .pe-prev copies are the files etcd last started with, kept until it runs the new ones. A run
# killed in between (a killed `pulumi up`) left them behind: they stay the copies to go back to, and
# etcd restarts below unless the files written now equal them.
interrupted=false
for f in "$PE_CONFIG_PATH" "$PE_UNIT_PATH"; do
  if [[ -f $f.pe-prev ]]; then interrupted=true; else backup "$f"; fi
done
config_state=$(printf '%s' "$PE_CONFIG" | install_content "$PE_CONFIG_PATH" 0640 root:etcd)
unit_state=$(printf '%s' "$PE_UNIT" | install_content "$PE_UNIT_PATH" 0644 root:root)
if $interrupted; then
  for f in "$PE_CONFIG_PATH" "$PE_UNIT_PATH"; do
    if [[ -f $f.pe-prev ]] && ! cmp -s "$f" "$f.pe-prev"; then
      log "an earlier run wrote $f but stopped before etcd restarted with it"
      [[ $f == "$PE_CONFIG_PATH" ]] && config_state=changed || unit_state=changed
    fi
  done
fi
write_identity "$PE_NAME" "$PE_TOKEN" "$PE_DATA_DIR"
install -d -m 0700 -o etcd -g etcd "$PE_DATA_DIR"
# NeedDaemonReload also catches a unit written by an earlier run that stopped before reloading.
if [[ $unit_state == changed || $(systemctl show -p NeedDaemonReload --value etcd.service) == yes ]]; then
  systemctl daemon-reload
fi
# --no-reload: the unit is loaded already (reloaded above); enabling only adds the boot-time link.
systemctl is-enabled --quiet etcd.service 2>/dev/null || systemctl --no-reload enable etcd.service 2>/dev/null

if [[ $(systemctl is-active etcd.service || true) == active && $config_state == unchanged && $unit_state == unchanged ]]; then
  log "etcd is running with this config; nothing to do"
else
  if [[ $(systemctl is-active etcd.service || true) == inactive ]]; then
    log "starting etcd member $PE_NAME"
  else
    log "restarting etcd member $PE_NAME (config $config_state, unit $unit_state)"
  fi
  systemctl reset-failed etcd.service 2>/dev/null || true
  restarts_before=$(restarts)
  systemctl restart --no-block etcd.service
  if ! wait_active; then
    state=$(systemctl is-active etcd.service || true)
    log "etcd did not become ready (state $state, timeout ${PE_START_TIMEOUT} s); its journal:"
    journal_tail 30
    if [[ $PE_PHASE == create ]]; then
      systemctl disable --now etcd.service 2>/dev/null || true
      rm -f "$PE_UNIT_PATH" "$PE_CONFIG_PATH" "$PE_IDENTITY" "$PE_UNIT_PATH.pe-prev" "$PE_CONFIG_PATH.pe-prev"
      systemctl daemon-reload
      if [[ -n $(ls -A "$PE_DATA_DIR") ]]; then
        failed=$(archive_path "$PE_DATA_DIR" failed)
        mv "$PE_DATA_DIR" "$failed"
        log "rolled back: unit removed, the data dir of this failed start kept as $failed"
      else
        rmdir "$PE_DATA_DIR" || true
        log "rolled back: unit and config removed"
      fi
    else
      restore "$PE_CONFIG_PATH"
      restore "$PE_UNIT_PATH"
      systemctl daemon-reload
      systemctl reset-failed etcd.service 2>/dev/null || true
      restarts_before=$(restarts)
      systemctl restart --no-block etcd.service
      if wait_active; then log "the previous config was put back; etcd runs with it"; else log "the previous config was put back, but etcd does not start with it either"; fi
    fi
    die "etcd member $PE_NAME did not start (see the journal above)"
  fi
  log "etcd member $PE_NAME is ready"
fi
rm -f "$PE_CONFIG_PATH.pe-prev" "$PE_UNIT_PATH.pe-prev"
output configSha256 "$(sha256sum "$PE_CONFIG_PATH" | cut -d' ' -f1)"
