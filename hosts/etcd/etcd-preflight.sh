#!/usr/bin/env bash
# Checks a host before anything is written to it: OS, architecture, systemd, free ports, disk, and
# that the data dir is free or this member's own. Writes nothing.
set -euo pipefail
# include: common/lib/common.sh
# include: etcd/lib/etcd-host.sh
: "${PE_NAME:?}" "${PE_TOKEN:?}" "${PE_DATA_DIR:?}" "${PE_PORTS:?}" "${PE_MIN_FREE_MB:=1024}"
preflight "$PE_NAME" "$PE_TOKEN" "$PE_DATA_DIR" "$PE_PORTS" "$PE_MIN_FREE_MB"
output arch "$(host_arch)"
