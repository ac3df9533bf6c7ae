#!/usr/bin/env bash
# etcd-journal: prints the etcd unit's state and the last lines of its journal (for error reports).
#
# Parameters (environment):
#   PE_LINES  how many journal lines (default 25)
# Stdin: none.
# Outputs: none (the report is on stdout as plain text).
# Idempotence: read-only; changes nothing and restarts nothing.
# rerun-revision: 1
set -euo pipefail
: "${PE_LINES:=25}"
[[ $PE_LINES =~ ^[0-9]+$ ]] || exit 2
echo "unit: $(systemctl is-active etcd.service || true)"
journalctl -u etcd.service -n "$PE_LINES" --no-pager -o cat 2>/dev/null || true
