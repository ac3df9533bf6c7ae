#!/usr/bin/env bash
# etcd/lib/etcd-host.sh: what every etcd host script needs to know about a member's host: its
# identity marker, the checks that run before anything is written (preflight), and the unit's state.
# Needs common/lib/common.sh. Its functions take their inputs as arguments.
# Parameters (environment): none.
# Defines (constants, not parameters):
#   PE_IDENTITY      the identity marker: which member of which cluster owns the data dir
#   PE_UNIT_PATH     the member's systemd unit
#   PE_CONFIG_PATH   the member's config file
#   PE_MANAGED_MARK  the line that marks a unit as ours
# shellcheck disable=SC2034
PE_IDENTITY=/etc/etcd/identity
PE_UNIT_PATH=/etc/systemd/system/etcd.service
# shellcheck disable=SC2034
PE_CONFIG_PATH=/etc/etcd/etcd.conf.yml
PE_MANAGED_MARK='Managed by pulumi-etcd'

identity_field() {
  [[ -f $PE_IDENTITY ]] || return 0
  sed -n "s/^$1=//p" "$PE_IDENTITY" | head -n1
}

# Records which member of which cluster (token) owns the data dir (needs lib/common.sh). A restore
# gives the cluster a new token; the tokens the same member's data dir had before stay accepted
# (earlier_tokens), so a declaration that still names its first token (the members' installs) passes.
write_identity() {
  local name=$1 token=$2 dir=$3 earlier="" before
  if [[ $(identity_field name) == "$name" && $(identity_field data_dir) == "$dir" ]]; then
    earlier=$(identity_field earlier_tokens)
    before=$(identity_field token)
    if [[ -n $before && $before != "$token" && " $earlier " != *" $before "* ]]; then earlier="${earlier:+$earlier }$before"; fi
  fi
  install -d -m 0755 "$(dirname "$PE_IDENTITY")"
  {
    printf 'name=%s\ntoken=%s\ndata_dir=%s\n' "$name" "$token" "$dir"
    if [[ -n $earlier ]]; then printf 'earlier_tokens=%s\n' "$earlier"; fi
  } | install_content "$PE_IDENTITY" 0644 root:root >/dev/null
}

# A data dir may be used only by the member that created it: never start a member on another
# cluster's or another member's data.
check_data_dir() {
  local dir=$1 name=$2 token=$3 owner_name owner_token owner_dir
  [[ -d $dir ]] || return 0
  [[ -n $(ls -A "$dir") ]] || return 0
  owner_name=$(identity_field name)
  owner_token=$(identity_field token)
  owner_dir=$(identity_field data_dir)
  if [[ -z $owner_name || $owner_dir != "$dir" ]]; then
    die "data dir $dir is not empty and was not created by pulumi-etcd for this member (another etcd installation?). Nothing was changed. To use this host, move it away (mv $dir $dir.old) or set dataDir to another path."
  fi
  if [[ $owner_token != "$token" && " $(identity_field earlier_tokens) " == *" $token "* ]]; then owner_token=$token; fi
  if [[ $owner_name != "$name" || $owner_token != "$token" ]]; then
    die "data dir $dir belongs to member '$owner_name' of another cluster or incarnation (token $owner_token), not to '$name' (token $token). Nothing was changed. To reuse this host, archive it first (mv $dir $dir.old) or set dataDir to another path."
  fi
}

etcd_main_pid() { systemctl show -p MainPID --value etcd.service 2>/dev/null || echo 0; }

preflight() {
  local name=$1 token=$2 dir=$3 ports=$4 min_free_mb=$5 p pid probe avail
  [[ $(uname -s) == Linux ]] || die "this host runs $(uname -s); etcd members need Linux"
  host_arch >/dev/null || die "unsupported CPU architecture $(uname -m): amd64 or arm64 only"
  [[ -d /run/systemd/system ]] || die "systemd is not running on this host (no /run/systemd/system); the member runs as a systemd unit"
  command -v ss >/dev/null || die "ss (iproute2) is missing; it is needed to check that the etcd ports are free"
  for unit in /lib/systemd/system/etcd.service /usr/lib/systemd/system/etcd.service; do
    [[ -e $unit ]] && die "$unit exists: an etcd installed by the OS package manager would clash with this member. Remove that package (e.g. apt-get remove etcd-server) and rerun."
  done
  if [[ -e $PE_UNIT_PATH ]] && ! grep -q "$PE_MANAGED_MARK" "$PE_UNIT_PATH"; then
    die "$PE_UNIT_PATH exists and is not managed by pulumi-etcd; move it away and rerun"
  fi
  for p in $ports; do
    pid=$(port_holder "$p")
    [[ -z $pid ]] && continue
    if [[ $pid == "$(etcd_main_pid)" && $(identity_field name) == "$name" ]]; then continue; fi
    die "port $p is in use by $(ps -o comm= -p "$pid" 2>/dev/null || echo "PID $pid") (PID $pid); free it or choose other ports"
  done
  check_data_dir "$dir" "$name" "$token"
  probe=$dir
  while [[ ! -d $probe ]]; do probe=$(dirname "$probe"); done
  avail=$(free_kib "$probe")
  avail=$((avail / 1024))
  ((avail >= min_free_mb)) || die "only ${avail} MiB free on the filesystem of $dir; at least ${min_free_mb} MiB needed (minFreeDiskMb)"
  log "preflight ok: $(uname -s) $(host_arch), systemd, ports $ports free, ${avail} MiB free for $dir"
}

journal_tail() { journal_tail_of etcd.service "${1:-25}"; }
