#!/usr/bin/env bash
# etcd-preflight: checks a host before anything is written to it: OS, architecture, systemd, free
# ports, disk, and that the data dir is free or this member's own.
#
# Parameters (environment):
#   PE_NAME         the member's name
#   PE_TOKEN        the cluster's token
#   PE_DATA_DIR     the member's data dir
#   PE_PORTS        the member's ports, space-separated
#   PE_MIN_FREE_MB  free MiB needed on the data dir's filesystem (default 1024)
# Stdin: none.
# Outputs:
#   ::output arch=<amd64|arm64>
# Idempotence: read-only; changes nothing and restarts nothing.
# rerun-revision: 1
set -euo pipefail
# include: common/lib/common.sh
# include: etcd/lib/etcd-host.sh
: "${PE_NAME:?}" "${PE_TOKEN:?}" "${PE_DATA_DIR:?}" "${PE_PORTS:?}" "${PE_MIN_FREE_MB:=1024}"
preflight "$PE_NAME" "$PE_TOKEN" "$PE_DATA_DIR" "$PE_PORTS" "$PE_MIN_FREE_MB"
output arch "$(host_arch)"
