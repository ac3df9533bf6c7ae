#!/usr/bin/env bash
# Fails when the checkout is no longer as it was: a tracked file changed, or an untracked file that
# .gitignore does not cover. `npm test` runs it last, so whatever the tests, the demo, the build or
# setup write must go to an ignored path or outside the checkout. Skips, with a note, outside git.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
log() { printf '[clean-tree %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if ! command -v git >/dev/null; then
  log "skipped: git is not installed"
  exit 0
fi
if ! why=$(git rev-parse --is-inside-work-tree 2>&1); then
  log "skipped: not a git checkout ($why)"
  exit 0
fi
changes=$(git status --porcelain --untracked-files=all -- .)
if [[ -n $changes ]]; then
  log "ERROR: the checkout changed (M modified, D deleted, ?? untracked and not ignored):"
  printf '%s\n' "$changes" >&2
  log "Write generated files to an ignored path (.gitignore) or outside the checkout; if these are"
  log "your own uncommitted changes, commit or stash them (git stash -u) before npm test."
  exit 1
fi
log "the checkout is as it was (git status: clean)"
