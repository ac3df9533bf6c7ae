#!/usr/bin/env bash
# Writes stdin to PE_PATH with mode PE_MODE, owned by PE_OWNER:PE_GROUP; atomic and idempotent.
# The content may be secret: it is never printed, only its sha256.
set -euo pipefail
# include: common/lib/common.sh

: "${PE_PATH:?PE_PATH is required}" "${PE_MODE:=0644}" "${PE_OWNER:=root}" "${PE_GROUP:=root}" "${PE_DIR_MODE:=0755}"
[[ $PE_PATH == /* && $PE_PATH != */../* ]] || die "PE_PATH must be an absolute path without '..': $PE_PATH"
[[ $PE_MODE =~ ^0?[0-7]{3}$ ]] || die "PE_MODE must be octal like 0644: $PE_MODE"
id -u "$PE_OWNER" >/dev/null 2>&1 || die "no user $PE_OWNER on this host"
getent group "$PE_GROUP" >/dev/null || die "no group $PE_GROUP on this host"

dir=$(dirname "$PE_PATH")
[[ -d $dir ]] || install -d -m "$PE_DIR_MODE" "$dir"
if [[ $(install_content "$PE_PATH" "$PE_MODE" "$PE_OWNER:$PE_GROUP") == unchanged ]]; then
  log "$PE_PATH unchanged"
else
  log "wrote $PE_PATH (mode $PE_MODE, $PE_OWNER:$PE_GROUP)"
fi
output sha256 "$(sha256sum "$PE_PATH" | cut -d' ' -f1)"
