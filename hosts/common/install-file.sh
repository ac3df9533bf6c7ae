#!/usr/bin/env bash
# install-file: writes stdin to PE_PATH with mode PE_MODE, owned by PE_OWNER:PE_GROUP, atomically.
#
# Parameters (environment):
#   PE_PATH      absolute path of the file (required; no '..')
#   PE_MODE      the file's octal mode (default 0644)
#   PE_OWNER     the owning user (default root; must exist)
#   PE_GROUP     the owning group (default root; must exist)
#   PE_DIR_MODE  mode of the parent directory when it has to be created (default 0755)
# Stdin (secret): the file's content; never printed, only its sha256.
# Outputs:
#   ::output sha256=<sha256 of the file as installed>
# Idempotence: a re-run with the same parameters and stdin changes nothing and restarts nothing
#   (the file is replaced only when its content, mode or owner differ).
# rerun-revision: 1
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
