#!/usr/bin/env bash
# Writes stdin to PE_PATH with mode PE_MODE, owned by PE_OWNER:PE_GROUP; atomic and idempotent.
# The content may be secret: it is never printed, only its sha256.
set -euo pipefail
log() { printf '[%s install-file] %s\n' "$(hostname)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

: "${PE_PATH:?PE_PATH is required}" "${PE_MODE:=0644}" "${PE_OWNER:=root}" "${PE_GROUP:=root}" "${PE_DIR_MODE:=0755}"
[[ $PE_PATH == /* && $PE_PATH != */../* ]] || die "PE_PATH must be an absolute path without '..': $PE_PATH"
[[ $PE_MODE =~ ^0?[0-7]{3}$ ]] || die "PE_MODE must be octal like 0644: $PE_MODE"
id -u "$PE_OWNER" >/dev/null 2>&1 || die "no user $PE_OWNER on this host"
getent group "$PE_GROUP" >/dev/null || die "no group $PE_GROUP on this host"

dir=$(dirname "$PE_PATH")
[[ -d $dir ]] || install -d -m "$PE_DIR_MODE" "$dir"
# mktemp creates the file 0600: secret content is never readable by others, even for a moment.
tmp=$(mktemp "$dir/.pe-install.XXXXXX")
trap 'rm -f "$tmp"' EXIT
cat >"$tmp"
chown "$PE_OWNER:$PE_GROUP" "$tmp"
chmod "$PE_MODE" "$tmp"
if [[ -f $PE_PATH ]] && cmp -s "$tmp" "$PE_PATH" &&
  [[ $(stat -c '%a %U %G' "$PE_PATH") == "$(stat -c '%a %U %G' "$tmp")" ]]; then
  log "$PE_PATH unchanged"
else
  mv -f "$tmp" "$PE_PATH"
  log "wrote $PE_PATH (mode $PE_MODE, $PE_OWNER:$PE_GROUP)"
fi
echo "::output sha256=$(sha256sum "$PE_PATH" | cut -d' ' -f1)"
