#!/usr/bin/env bash
# Removes a member's certificates and keys.
set -euo pipefail
# include: common/lib/common.sh
: "${PE_PKI_DIR:=/etc/etcd/pki}"
[[ $PE_PKI_DIR == /* && $PE_PKI_DIR != */../* ]] || die "bad PKI dir $PE_PKI_DIR"
for f in ca.crt server.crt server.key peer.crt peer.key; do rm -f "${PE_PKI_DIR:?}/$f"; done
rmdir "$PE_PKI_DIR" 2>/dev/null || true
rmdir /etc/etcd 2>/dev/null || true
log "removed certificates and keys from $PE_PKI_DIR"
