#!/usr/bin/env bash
# kube-control-plane-resume: starts the control-plane components again with their units as they are
# (after a data move that failed before the apiservers were pointed elsewhere: they come back on the
# etcd they used). The apiserver first, ready (/readyz, at the address and port its unit declares)
# before the controller-manager and scheduler start.
#
# Parameters (environment):
#   PE_START_TIMEOUT  seconds each component may take to be ready (default 180)
# Stdin: none.
# Outputs:
#   ::output started=<the components started, comma-separated, or none>
# Idempotence: a running component is left alone; a host without the units does nothing.
# rerun-revision: 1
set -euo pipefail
# include: common/lib/common.sh
# include: kube/lib/kube-host.sh
: "${PE_START_TIMEOUT:=180}"
[[ $PE_START_TIMEOUT =~ ^[0-9]+$ ]] || die "bad start timeout"
started=()
for u in "${PE_KUBE_UNITS[@]}"; do
  managed_unit "$u.service" || continue
  systemctl is-active --quiet "$u.service" && continue
  systemctl start "$u.service"
  started+=("$u")
  if [[ $u == kube-apiserver ]]; then
    unit=/etc/systemd/system/$u.service
    address=$(grep -o -- '--advertise-address=[^ ]*' "$unit" | head -n1 | cut -d= -f2)
    port=$(grep -o -- '--secure-port=[0-9]*' "$unit" | head -n1 | cut -d= -f2)
    [[ -n $address && -n $port ]] || die "cannot read the advertise address and port from $unit"
    [[ $address == *:* ]] && address="[$address]"
    wait_ok "https://$address:$port/readyz" "$PE_START_TIMEOUT" --cacert "$PE_KUBE_DIR/pki/ca.crt" >/dev/null ||
      { journal_tail_of "$u.service" 25; die "$u did not become ready within $PE_START_TIMEOUT s"; }
    log "$u ready"
  else
    log "$u started"
  fi
done
if ((${#started[@]} == 0)); then output started none; else output started "$(IFS=,; echo "${started[*]}")"; fi
