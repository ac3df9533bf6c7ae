#!/usr/bin/env bash
# common/lib/common.sh, included by the host scripts: logging to stderr (shown in `pulumi up`), a
# fatal error, outputs, atomic file installs, archive names, free disk space.
# Parameters (environment): none.
# Defines (constants, not parameters):
#   PE_SCRIPT  the script's name, for log lines
PE_SCRIPT=${0##*/}
log() { printf '[%s %s] %s\n' "$(hostname)" "$PE_SCRIPT" "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}
# `::output key=value` lines on stdout become the resource's outputs (never print secrets).
output() { printf '::output %s=%s\n' "$1" "$2"; }
# Writes stdin to $1 atomically with mode $2 and owner $3; prints "changed" or "unchanged".
install_content() {
  local dest=$1 mode=$2 owner=$3 tmp
  # mktemp creates the file 0600: secret content is never readable by others, even for a moment.
  tmp=$(mktemp "$(dirname "$dest")/.pe-tmp.XXXXXX")
  if ! { cat >"$tmp" && chown "$owner" "$tmp" && chmod "$mode" "$tmp"; }; then
    rm -f "$tmp"
    return 1
  fi
  if [[ -f $dest ]] && cmp -s "$tmp" "$dest" && [[ $(stat -c '%a %U %G' "$dest") == "$(stat -c '%a %U %G' "$tmp")" ]]; then
    rm -f "$tmp"
    echo unchanged
  else
    mv -f "$tmp" "$dest"
    echo changed
  fi
}
# A new, unused path "$1.<label>-<UTC time>" for keeping an old directory (never overwrites one).
archive_path() {
  local base path n=1
  base="$1.$2-$(date -u +%Y%m%dT%H%M%SZ)"
  path=$base
  while [[ -e $path ]]; do
    path="$base.$n"
    n=$((n + 1))
  done
  echo "$path"
}
host_arch() {
  case "$(uname -m)" in
  x86_64 | amd64) echo amd64 ;;
  aarch64 | arm64) echo arm64 ;;
  *) return 1 ;;
  esac
}

# The PID that holds a TCP port, or nothing.
port_holder() { ss -Hltnp "( sport = :$1 )" 2>/dev/null | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n1; }

# Free space on the filesystem holding $1, in KiB: df's own integer. awk only picks the field and
# does no arithmetic on it: mawk (Debian's default awk) prints numbers beyond 2^31 as 7.27124e+10,
# which bash arithmetic cannot read.
free_kib() {
  local kib
  kib=$(df -Pk -- "$1" | awk 'NR==2 {print $4}')
  [[ $kib =~ ^[0-9]+$ ]] || die "cannot read the free space of $1 (df says '$kib')"
  echo "$kib"
}
# Dies unless the filesystem holding $1 has more than $2 KiB free; $3 names what needs the space.
require_free_kib() {
  local avail
  avail=$(free_kib "$1")
  ((avail > $2)) || die "not enough disk for $3: $((avail / 1024)) MiB free, ~$(($2 / 1024 + 1)) MiB needed. Nothing was changed."
}
# The line of a tool's error output (file $1) that a person can act on, at most 300 characters, its
# double quotes made single (it is quoted in a sentence): a Go
# panic's message (never its goroutine trace), else a cobra "Error:" line, else the message of a
# logged error, else the last line that is not part of a stack trace.
error_reason() {
  local line
  line=$(sed -n '/^panic: /{s///p;q;}' "$1")
  if [[ -n $line ]]; then line="panic: ${line% \[recovered\]}"; fi
  if [[ -z $line ]]; then line=$(sed -n '/^Error: /{s///p;q;}' "$1"); fi
  if [[ -z $line ]]; then
    line=$(grep -m1 '"level":"\(error\|fatal\|panic\)"' "$1" |
      sed -n 's/.*"msg":"\([^"]*\)".*"error":"\([^"]*\)".*/\1: \2/p; t; s/.*"msg":"\([^"]*\)".*/\1/p' || true)
  fi
  if [[ -z $line ]]; then
    line=$(grep -v -e '^[[:space:]]*$' -e '^[[:space:]]' -e '+0x' -e '^goroutine ' -e '\.go:[0-9]' -e '^\[signal ' -e '^exit status ' "$1" | tail -n1 || true)
  fi
  line=${line:-no message}
  line=${line//\"/\'}
  echo "${line:0:300}"
}
# The last $2 (default 25) journal lines of unit $1, indented, on stderr (shown in `pulumi up`).
journal_tail_of() { journalctl -u "$1" -n "${2:-25}" --no-pager -o cat 2>/dev/null | sed 's/^/    journal: /' >&2 || true; }
