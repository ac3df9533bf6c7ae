#!/usr/bin/env bash
# etcd-pki-remove: removes a member's certificates and keys (the delete step of etcd-pki).
#
# Parameters (environment):
#   PE_PKI_DIR  the certificates' directory (default /etc/etcd/pki)
# Stdin: none.
# Outputs: none.
# Idempotence: a re-run changes nothing (nothing left to remove) and restarts nothing.
# rerun-revision: 1
set -euo pipefail
# include: common/lib/common.sh
: "${PE_PKI_DIR:=/etc/etcd/pki}"
[[ $PE_PKI_DIR == /* && $PE_PKI_DIR != */../* ]] || die "bad PKI dir $PE_PKI_DIR"
for f in ca.crt server.crt server.key peer.crt peer.key; do rm -f "${PE_PKI_DIR:?}/$f"; done
rmdir "$PE_PKI_DIR" 2>/dev/null || true
rmdir /etc/etcd 2>/dev/null || true
log "removed certificates and keys from $PE_PKI_DIR"
