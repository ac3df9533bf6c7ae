#!/usr/bin/env bash
# Benchmarks: each prints its figures as ratios against a floor measured in the same run.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
bash scripts/setup.sh
PULUMI_ETCD_BIN=$(bash scripts/toolchain.sh | tail -n 1)
export PULUMI_ETCD_BIN
trap 'bash scripts/bed.sh down || true' EXIT
# 6 hosts: bench/controlplane uses them all (etcd on 1-3, control plane on 4-5, haproxy on 6), and
# so does bench/switch (control plane with stacked etcd on 1-3, the external etcd on 4-6); the etcd
# benchmarks use the first 3.
bash scripts/bed.sh up 6
# BENCH=name runs one of them.
for b in bench/${BENCH:-*}.sh; do [[ $b == bench/lib.sh ]] || bash "$b"; done
