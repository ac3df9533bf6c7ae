#!/usr/bin/env bash
# One entry point for the tests: installs what they need, then runs unit and/or E2E tests.
#   test.sh all | unit | e2e | kube-upgrade
# kube-upgrade: only test/e2e/kube-upgrade.test.ts (a control plane upgraded 1.36.3 → 1.37.2), with
# both Kubernetes versions of toolchain/versions.env built (the older one costs ~12 minutes cold).
# The E2E tests need root (the bed uses network namespaces, mounts and systemd-nspawn).
# `all` (npm test, what CI runs on a fresh clone) ends by checking that the checkout is unchanged.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
what=${1:-all}
log() { printf '[test %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

bash scripts/setup.sh
if [[ $what == unit || $what == all ]]; then
  log "unit tests"
  npx vitest run test/unit
fi
if [[ $what == e2e || $what == all ]]; then
  # The tests run the newest Kubernetes only: the older one (for upgrades) is built by `npm run
  # toolchain`, not on every cold CI machine (it costs about 12 of the budget's minutes).
  # shellcheck source=toolchain/versions.env
  . toolchain/versions.env
  kube=${PULUMI_ETCD_KUBE_VERSIONS-${KUBE_VERSIONS%% *}}
  log "toolchain (pulumi, language hosts, etcd)"
  PULUMI_ETCD_BIN=$(PULUMI_ETCD_KUBE_VERSIONS="" bash scripts/toolchain.sh | tail -n 1)
  export PULUMI_ETCD_BIN PULUMI_ETCD_KUBE_VERSIONS=$kube
  # Kubernetes is the longest cold build (12-15 minutes on 2 cores): it runs in the background, in
  # its own process group at the lowest CPU priority, while the etcd suites (which need no
  # Kubernetes) run; the Kubernetes suites wait for it. Cached, it takes a second.
  kube_log=$(mktemp)
  setsid nice -n 19 bash scripts/toolchain.sh kube >"$kube_log" 2>&1 &
  kube_pid=$!
  log "Kubernetes $kube: building in the background (PID $kube_pid, log $kube_log)"
  # Whatever happens, leave no bed and no build behind.
  trap 'kill -- "-$kube_pid" 2>/dev/null || true; rm -f "$kube_log"; bash scripts/bed.sh down || true' EXIT
  log "bed image (debootstrap once, then cached)"
  bash scripts/bed.sh image
  etcd_suites=()
  kube_suites=()
  for f in test/e2e/*.test.ts; do
    if [[ $f == test/e2e/kube* ]]; then kube_suites+=("$f"); else etcd_suites+=("$f"); fi
  done
  failed=0
  log "E2E tests against the bed: ${#etcd_suites[@]} etcd suites"
  npx vitest run "${etcd_suites[@]}" || failed=1
  log "waiting for the Kubernetes build"
  if ! wait "$kube_pid"; then
    cat "$kube_log" >&2
    log "the Kubernetes build failed: the Kubernetes suites cannot run"
    exit 1
  fi
  grep -E 'kube v|Kubernetes ready' "$kube_log" >&2 || true
  log "E2E tests against the bed: ${#kube_suites[@]} Kubernetes suites"
  npx vitest run "${kube_suites[@]}" || failed=1
  ((failed == 0)) || exit 1
fi
if [[ $what == kube-upgrade ]]; then
  # shellcheck source=toolchain/versions.env
  . toolchain/versions.env
  export PULUMI_ETCD_KUBE_VERSIONS=${PULUMI_ETCD_KUBE_VERSIONS-$KUBE_VERSIONS}
  log "toolchain (pulumi, language hosts, etcd, Kubernetes $PULUMI_ETCD_KUBE_VERSIONS)"
  PULUMI_ETCD_BIN=$(bash scripts/toolchain.sh | tail -n 1)
  export PULUMI_ETCD_BIN
  trap 'bash scripts/bed.sh down || true' EXIT
  log "bed image (debootstrap once, then cached)"
  bash scripts/bed.sh image
  log "E2E: the control plane version upgrade"
  npx vitest run test/e2e/kube-upgrade.test.ts
fi
if [[ $what == all ]]; then
  log "checking that the checkout is unchanged (git status)"
  bash scripts/check-clean-tree.sh
fi
