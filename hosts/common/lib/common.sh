#!/usr/bin/env bash
# Shared by the host scripts: logging to stderr (shown in `pulumi up`), a fatal error, outputs.
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
