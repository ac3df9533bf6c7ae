#!/usr/bin/env bash
# Installs what a fresh machine lacks for building and testing: Debian packages, npm packages,
# and the compiled provider. Idempotent and quiet when everything is there.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
log() { printf '[setup %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

missing=()
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v systemd-nspawn >/dev/null || missing+=(systemd-container)
command -v shellcheck >/dev/null || missing+=(shellcheck)
command -v ssh-keygen >/dev/null || missing+=(openssh-client)
command -v ip >/dev/null || missing+=(iproute2)
if ((${#missing[@]})); then
  [[ $(id -u) == 0 ]] || { log "ERROR: need root to install ${missing[*]}"; exit 1; }
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  # `npm install` against the committed lock installs exactly the locked versions and leaves the
  # lock as it is; `npm ci` (npm 11.19) rejects this lock for optional platform packages it does
  # not record (@rollup/rollup-android-*, ...), though nothing is missing for this platform.
  log "npm install (from package-lock.json)"
  npm install --no-audit --no-fund --loglevel=error
fi
log "building the provider (tsc)"
npx tsc -p tsconfig.json
