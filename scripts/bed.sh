#!/usr/bin/env bash
# The test bed: N real Debian hosts, each booted by systemd-nspawn in its own network namespace on
# an overlay root, reached over OpenSSH with keys and pinned host keys. Plus, on the bridge address,
# an HTTP mirror of the toolchain's dist directory (etcd release tarballs, Kubernetes binaries in
# dl.k8s.io's layout, and a flat Debian repository with haproxy that is the hosts' only apt source)
# and an S3-compatible store (s3rver).
#
#   bed.sh up N        boot hosts 1..N (tears down an existing bed first)
#   bed.sh down        stop everything this script started; safe to run any time
#   bed.sh ssh I CMD   run CMD on host I as root
#   bed.sh status      print the bed's hosts as JSON (the E2E harness reads this)
#   bed.sh image       build the cached base image and the hosts' Debian package repository only
#
# Hosts: 10.77.0.(10+I)/24 and fd77::(10+I)/64, no default route; the bridge is 10.77.0.1 / fd77::1.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=toolchain/versions.env
. "$repo/toolchain/versions.env"

cache=${PULUMI_ETCD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-etcd}
image="$cache/images/$DEBIAN_SUITE-base"
debs="$cache/dist/debs"
# Debian packages the hosts can install from the bed's mirror (with what they need that the image lacks).
host_debs=(haproxy)
bed=${PULUMI_ETCD_BED_DIR:-/var/tmp/pulumi-etcd-bed}
bridge=pe-br0
net4=10.77.0
net6=fd77:
mirror_port=8080
s3_port=4568
cg_name=pulumi-etcd-bed

log() { printf '[bed %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
require_root() { [[ $(id -u) == 0 ]] || die "the bed needs root (network namespaces, mounts, nspawn)"; }

host_ip() { printf '%s.%d' "$net4" $((10 + $1)); }
host_ip6() { printf '%s:%x' "$net6" $((10 + $1)); }

install_host_packages() {
  local missing=()
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v systemd-nspawn >/dev/null || missing+=(systemd-container)
  command -v ssh >/dev/null || missing+=(openssh-client)
  command -v python3 >/dev/null || missing+=(python3)
  if ((${#missing[@]})); then
    log "installing ${missing[*]} (apt)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

build_image() {
  if [[ -f $image/.complete ]]; then return; fi
  install_host_packages
  log "building the $DEBIAN_SUITE base image with debootstrap (once; ~1 min)"
  rm -rf "$image.tmp"
  mkdir -p "$(dirname "$image")"
  local mirror
  mirror=$(awk '/^URIs:/ {print $2; exit} /^deb / {print $2; exit}' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  debootstrap --variant=minbase \
    --include=systemd,systemd-sysv,dbus,openssh-server,curl,ca-certificates,iproute2,procps,tar,gzip,sudo,python3 \
    "$DEBIAN_SUITE" "$image.tmp" "$mirror" >"$cache/images/debootstrap.log" 2>&1 ||
    die "debootstrap failed; see $cache/images/debootstrap.log"
  chroot "$image.tmp" apt-get clean
  # Per-host identity is made at boot time; the image must not carry any.
  rm -f "$image.tmp"/etc/ssh/ssh_host_* "$image.tmp/etc/machine-id" "$image.tmp/var/lib/dbus/machine-id"
  : >"$image.tmp/etc/machine-id"
  cat >"$image.tmp/etc/ssh/sshd_config.d/bed.conf" <<'EOF'
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UseDNS no
EOF
  # Units that have nothing to do in a container and slow the boot down.
  local unit
  for unit in systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer; do
    ln -sfn /dev/null "$image.tmp/etc/systemd/system/$unit"
  done
  touch "$image.tmp/.complete"
  mv "$image.tmp" "$image"
  log "image ready: $image ($(du -sh "$image" | cut -f1))"
}

# A flat repository of host_debs and the dependencies the image lacks, collected once with the machine's
# network inside a throwaway overlay of the image (the image itself is not touched), so hosts, which
# have no route out, can `apt-get install` them from the mirror. Its own stamp: rebuilt when the package
# list or the image changes, without rebuilding the image.
build_debs() {
  local key tmp="$cache/images/debs.tmp" f
  key="flat-v1 packages=${host_debs[*]} image=$(sha256sum "$image/var/lib/dpkg/status" | cut -d' ' -f1)"
  if [[ -f $debs/Packages.gz && $(cat "$debs/.complete" 2>/dev/null) == "$key" ]]; then return; fi
  log "collecting ${host_debs[*]} and their dependencies into $debs (once)"
  cleanup_debs_tmp
  mkdir -p "$tmp/upper" "$tmp/work" "$tmp/root"
  mount -t overlay overlay -o "lowerdir=$image,upperdir=$tmp/upper,workdir=$tmp/work" "$tmp/root"
  cp /etc/resolv.conf "$tmp/root/etc/resolv.conf"
  # The image's own sources (the mirror debootstrap used); dates unchecked like the machine's own apt.
  if ! chroot "$tmp/root" /bin/sh -c 'apt-get -o Acquire::Check-Valid-Until=false -o Acquire::Check-Date=false update &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y --download-only "$@"' sh "${host_debs[@]}" \
      >"$cache/images/debs.log" 2>&1; then
    cleanup_debs_tmp
    die "downloading ${host_debs[*]} failed; see $cache/images/debs.log"
  fi
  rm -rf "$debs.tmp"
  mkdir -p "$debs.tmp"
  cp "$tmp/root"/var/cache/apt/archives/*.deb "$debs.tmp/"
  cleanup_debs_tmp
  # The index apt reads from a flat repository (`deb URL ./`): each package's control fields plus where
  # it is, its size and sha256; and a Release listing the index so apt fetches nothing else.
  for f in "$debs.tmp"/*.deb; do
    dpkg-deb -f "$f"
    printf 'Filename: ./%s\nSize: %s\nSHA256: %s\n\n' "${f##*/}" "$(stat -c %s "$f")" "$(sha256sum "$f" | cut -d' ' -f1)"
  done >"$debs.tmp/Packages"
  gzip -9nk "$debs.tmp/Packages"
  {
    printf 'Suite: pulumi-etcd-bed\nDate: %s\nArchitectures: amd64\nSHA256:\n' "$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S UTC')"
    for f in Packages Packages.gz; do printf ' %s %s %s\n' "$(sha256sum "$debs.tmp/$f" | cut -d' ' -f1)" "$(stat -c %s "$debs.tmp/$f")" "$f"; done
  } >"$debs.tmp/Release"
  printf '%s\n' "$key" >"$debs.tmp/.complete"
  rm -rf "$debs"
  mv "$debs.tmp" "$debs"
  local names=()
  for f in "$debs"/*.deb; do
    f=${f##*/}
    names+=("${f%%_*}")
  done
  log "debs ready: ${names[*]} ($(du -sh "$debs" | cut -f1))"
}

cleanup_debs_tmp() {
  local tmp="$cache/images/debs.tmp"
  if mountpoint -q "$tmp/root"; then umount "$tmp/root" 2>/dev/null || umount -l "$tmp/root"; fi
  rm -rf "$tmp"
}

ensure_key() {
  mkdir -p "$bed"
  [[ -f $bed/id_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -C pulumi-etcd-bed -f "$bed/id_ed25519"
}

setup_bridge() {
  ip link add "$bridge" type bridge
  ip addr add "$net4.1/24" dev "$bridge"
  ip -6 addr add "${net6}:1/64" dev "$bridge" nodad
  ip link set "$bridge" up
}

# The root namespace's cgroup for host I, in every hierarchy nspawn looks at; without this every
# host's processes land in one cgroup.
cgroup_dirs() {
  local i=$1 h
  for h in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified; do
    [[ -d $h ]] && printf '%s\n' "$h/$cg_name/h$i"
  done
}

prepare_root() {
  local i=$1
  local dir="$bed/h$i" root="$bed/h$i/root" ip ip6
  ip=$(host_ip "$i")
  ip6=$(host_ip6 "$i")
  mkdir -p "$dir/upper" "$dir/work" "$root"
  mount -t overlay overlay -o "lowerdir=$image,upperdir=$dir/upper,workdir=$dir/work" "$root"
  printf 'host%d\n' "$i" >"$root/etc/hostname"
  printf '127.0.0.1 localhost\n::1 localhost\n%s host%d\n%s host%d\n' "$ip" "$i" "$ip6" "$i" >"$root/etc/hosts"
  # The machine's resolver is unreachable from the namespaces; fail lookups fast instead of stalling.
  printf 'nameserver 127.0.0.1\n' >"$root/etc/resolv.conf"
  od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$root/etc/machine-id"
  ssh-keygen -q -t ed25519 -N '' -C "host$i" -f "$root/etc/ssh/ssh_host_ed25519_key"
  cp "$root/etc/ssh/ssh_host_ed25519_key.pub" "$dir/host_key.pub"
  install -d -m 0700 "$root/root/.ssh"
  install -m 0600 "$bed/id_ed25519.pub" "$root/root/.ssh/authorized_keys"
  # The bed's flat repository is the host's only apt source: no attempt to reach a Debian mirror.
  rm -f "$root/etc/apt/sources.list.d/"*
  printf 'deb [trusted=yes] http://%s.1:%d/debs ./\n' "$net4" "$mirror_port" >"$root/etc/apt/sources.list"
  printf 'Acquire::Languages "none";\n' >"$root/etc/apt/apt.conf.d/90pulumi-etcd-bed"
}

setup_netns() {
  local i=$1 ns="pe-h$1" ip ip6
  ip=$(host_ip "$i")
  ip6=$(host_ip6 "$i")
  ip netns add "$ns"
  ip link add "pe-h$i" type veth peer name eth0 netns "$ns"
  ip link set "pe-h$i" master "$bridge" up
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add "$ip/24" dev eth0
  ip -n "$ns" -6 addr add "$ip6/64" dev eth0 nodad
  ip -n "$ns" link set eth0 up
}

boot_host() {
  local i=$1
  local dir="$bed/h$i" d
  while read -r d; do mkdir -p "$d"; done < <(cgroup_dirs "$i")
  (
    # Enter host I's own cgroups, then become nspawn.
    while read -r d; do echo "$BASHPID" >"$d/cgroup.procs"; done < <(cgroup_dirs "$i")
    exec setsid systemd-nspawn -q -D "$dir/root" -M "pe-h$i" --register=no --keep-unit -b \
      --console=passive --resolv-conf=off --timezone=off --link-journal=no \
      --network-namespace-path="/run/netns/pe-h$i" >"$dir/console.log" 2>&1 </dev/null
  ) &
  echo $! >"$dir/nspawn.pid"
}

ssh_opts() {
  printf '%s\n' -i "$bed/id_ed25519" -o BatchMode=yes -o IdentitiesOnly=yes -o ConnectTimeout=5 \
    -o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$bed/known_hosts" -o LogLevel=ERROR
}

wait_ssh() {
  local i=$1 ip deadline=$((SECONDS + 90))
  ip=$(host_ip "$i")
  local opts
  mapfile -t opts < <(ssh_opts)
  until ssh "${opts[@]}" "root@$ip" true 2>/dev/null; do
    ((SECONDS < deadline)) || { tail -n 30 "$bed/h$i/console.log" >&2; die "host$i did not answer ssh within 90 s"; }
    if ! kill -0 "$(cat "$bed/h$i/nspawn.pid")" 2>/dev/null; then
      tail -n 30 "$bed/h$i/console.log" >&2
      die "host$i's nspawn exited"
    fi
    sleep 0.5
  done
}

start_mirror() {
  mkdir -p "$cache/dist"
  setsid python3 -m http.server --bind "$net4.1" --directory "$cache/dist" "$mirror_port" \
    >"$bed/mirror.log" 2>&1 </dev/null &
  echo $! >"$bed/mirror.pid"
}

start_s3() {
  local s3rver="$repo/node_modules/.bin/s3rver"
  if [[ ! -x $s3rver ]]; then
    log "s3rver not installed (run npm ci); no S3 store on this bed"
    return
  fi
  mkdir -p "$bed/s3"
  setsid "$s3rver" --address "$net4.1" --port "$s3_port" --directory "$bed/s3" --silent \
    >"$bed/s3.log" 2>&1 </dev/null &
  echo $! >"$bed/s3.pid"
}

# wait_listening NAME PORT: waits until a server this script started accepts connections on the
# bridge (s3rver, a node program, needs a second or more to listen on a loaded machine; a test that
# connects at once failed in a CI rehearsal).
wait_listening() {
  local name=$1 port=$2 t
  for ((t = 0; t < 300; t++)); do
    if (exec 3<>"/dev/tcp/$net4.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  die "$name does not listen on $net4.1:$port after 30 s (log in $bed)"
}

cmd_up() {
  local n=${1:-3} i started=$SECONDS
  [[ $n =~ ^[1-9]$ ]] || die "usage: bed.sh up N (N from 1 to 9)"
  require_root
  build_image
  build_debs
  cmd_down quiet
  ensure_key
  log "booting $n hosts"
  setup_bridge
  : >"$bed/known_hosts"
  for ((i = 1; i <= n; i++)); do
    prepare_root "$i"
    setup_netns "$i"
    printf '%s,%s %s\n' "$(host_ip "$i")" "$(host_ip6 "$i")" "$(cut -d' ' -f1,2 "$bed/h$i/host_key.pub")" >>"$bed/known_hosts"
    boot_host "$i"
  done
  start_mirror
  start_s3
  for ((i = 1; i <= n; i++)); do wait_ssh "$i"; done
  wait_listening mirror "$mirror_port"
  if [[ -f $bed/s3.pid ]]; then wait_listening s3rver "$s3_port"; fi
  echo "$n" >"$bed/count"
  log "$n hosts up in $((SECONDS - started)) s; mirror http://$net4.1:$mirror_port/"
}

# stop_pid FILE SECONDS: TERM the process recorded in FILE, KILL it after SECONDS.
stop_pid() {
  local file=$1 grace=$2 pid t
  [[ -f $file ]] || return 0
  pid=$(cat "$file")
  [[ $pid =~ ^[1-9][0-9]*$ ]] || { rm -f "$file"; return 0; }
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((t = 0; t < grace * 10; t++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    for ((t = 0; t < 50; t++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$file"
}

cmd_down() {
  local quiet=${1:-} dir i d
  require_root
  [[ -d $bed ]] || return 0
  [[ -n $quiet ]] || log "tearing the bed down"
  for dir in "$bed"/h*; do
    [[ -d $dir ]] || continue
    i=${dir##*/h}
    stop_pid "$dir/nspawn.pid" 15
    # Anything left in the host's cgroups is this host's; end it.
    while read -r d; do
      if [[ -f $d/cgroup.procs ]]; then xargs -r kill -KILL <"$d/cgroup.procs" 2>/dev/null || true; fi
    done < <(cgroup_dirs "$i")
    if mountpoint -q "$dir/root"; then umount "$dir/root" 2>/dev/null || umount -l "$dir/root"; fi
    ip netns del "pe-h$i" 2>/dev/null || true
    ip link del "pe-h$i" 2>/dev/null || true
    # Depth first: nested cgroups (created by the host's systemd) before their parents.
    while read -r d; do
      if [[ -d $d ]]; then find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true; fi
    done < <(cgroup_dirs "$i")
    rm -rf "$dir"
  done
  for d in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified; do rmdir "$d/$cg_name" 2>/dev/null || true; done
  stop_pid "$bed/mirror.pid" 5
  stop_pid "$bed/s3.pid" 5
  ip link del "$bridge" 2>/dev/null || true
  rm -rf "$bed/s3" "$bed/count" "$bed/known_hosts"
}

# kill I: host I dies (power loss): its processes are killed and its link goes down, so it stops
# answering (connections time out) but keeps its address; `down` still cleans it up.
cmd_kill() {
  local i=${1:?usage: bed.sh kill I} dir d
  require_root
  dir="$bed/h$i"
  [[ -f $dir/nspawn.pid ]] || die "host$i is not running"
  ip link set "pe-h$i" down
  stop_pid "$dir/nspawn.pid" 0
  while read -r d; do
    if [[ -f $d/cgroup.procs ]]; then xargs -r kill -KILL <"$d/cgroup.procs" 2>/dev/null || true; fi
  done < <(cgroup_dirs "$i")
  log "host$i killed"
}

cmd_ssh() {
  local i=${1:?usage: bed.sh ssh I CMD}
  shift
  local opts
  mapfile -t opts < <(ssh_opts)
  exec ssh "${opts[@]}" "root@$(host_ip "$i")" "$@"
}

cmd_status() {
  local n i
  n=$(cat "$bed/count" 2>/dev/null || echo 0)
  printf '{"dir":"%s","key":"%s","knownHosts":"%s","mirror":"http://%s.1:%d","s3":"http://%s.1:%d","etcdDist":"%s","hosts":[' \
    "$bed" "$bed/id_ed25519" "$bed/known_hosts" "$net4" "$mirror_port" "$net4" "$s3_port" "$cache/dist/etcd"
  for ((i = 1; i <= n; i++)); do
    ((i > 1)) && printf ','
    printf '{"name":"host%d","ip":"%s","ip6":"%s","hostKey":"%s","nspawnPid":%s}' "$i" "$(host_ip "$i")" "$(host_ip6 "$i")" \
      "$(cut -d' ' -f1,2 "$bed/h$i/host_key.pub")" "$(cat "$bed/h$i/nspawn.pid" 2>/dev/null || echo null)"
  done
  printf ']}\n'
}

case ${1:-} in
  up) cmd_up "${2:-3}" ;;
  down) cmd_down ;;
  ssh) shift; cmd_ssh "$@" ;;
  kill) cmd_kill "${2:-}" ;;
  status) cmd_status ;;
  image) require_root; build_image; build_debs ;;
  *) die "usage: bed.sh up N | down | ssh I CMD | kill I | status | image" ;;
esac
