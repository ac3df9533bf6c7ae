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
# The committed lock must record package.json's pins, or the next `npm install` rewrites it.
regenerate="regenerate it with 'npm install --no-audit --no-fund', review 'git diff package-lock.json' and commit it"
# npm ci checks the locked tree, not the lock's root entry (a pin added only to package.json passes).
# shellcheck disable=SC2016 # JavaScript
drift=$(node -e '
  const pkg = require("./package.json"), root = require("./package-lock.json").packages[""];
  for (const k of ["dependencies", "devDependencies", "optionalDependencies", "peerDependencies"]) {
    const want = pkg[k] ?? {}, have = root[k] ?? {};
    for (const n of new Set([...Object.keys(want), ...Object.keys(have)]))
      if (want[n] !== have[n]) console.log(`  ${k}.${n}: package.json ${want[n] ?? "(none)"}, lock ${have[n] ?? "(none)"}`);
  }')
if [[ -n $drift ]]; then
  log "ERROR: package-lock.json does not record package.json's pins:"
  printf '%s\n' "$drift" >&2
  log "The lock is stale: $regenerate."
  exit 1
fi
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  # `npm ci` installs exactly what the lock records and never writes it; it refuses a lock whose
  # tree does not match package.json (e.g. optional platform packages missing).
  log "npm ci (from package-lock.json)"
  if ! npm ci --no-audit --no-fund --loglevel=error; then
    log "ERROR: npm ci failed (its reason is above). If it says package.json and package-lock.json are"
    log "not in sync, the committed lock is stale: $regenerate."
    exit 1
  fi
fi
log "building the provider (tsc)"
npx tsc -p tsconfig.json
