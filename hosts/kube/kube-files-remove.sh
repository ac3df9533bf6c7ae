#!/usr/bin/env bash
# kube-files-remove: removes the files kube-files wrote in /etc/kubernetes (certificates, keys,
# kubeconfigs, config files) and the directories it made when they are empty. Files of other tools
# are left alone.
#
# Parameters (environment): none.
# Stdin: none.
# Outputs: none.
# Idempotence: removing what is already gone does nothing.
# rerun-revision: 1
set -euo pipefail
# include: common/lib/common.sh
# include: kube/lib/kube-host.sh
record=$PE_KUBE_DIR/.pe-files
if [[ -f $record ]]; then
  while read -r f; do
    [[ $f =~ ^(pki/(etcd/)?)?[a-z0-9][a-z0-9.-]*$ && $f != *..* ]] || continue
    rm -f "${PE_KUBE_DIR:?}/$f"
  done <"$record"
  rm -f "$record"
  log "removed the control plane's certificates, keys and config files from $PE_KUBE_DIR"
fi
rmdir "$PE_KUBE_DIR/pki/etcd" "$PE_KUBE_DIR/pki" "$PE_KUBE_DIR" 2>/dev/null || true
