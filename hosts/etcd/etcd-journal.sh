#!/usr/bin/env bash
# Prints the state and the last lines of the etcd unit's journal (read-only; for error reports).
set -euo pipefail
: "${PE_LINES:=25}"
[[ $PE_LINES =~ ^[0-9]+$ ]] || exit 2
echo "unit: $(systemctl is-active etcd.service || true)"
journalctl -u etcd.service -n "$PE_LINES" --no-pager -o cat 2>/dev/null || true
