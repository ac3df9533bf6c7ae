#!/usr/bin/env bash
# kube-uninstall: removes one version's binaries from /opt/kubernetes, and the kubectl link when it
# points there. Refuses while a control-plane unit of this package still runs that version. Also
# removes the other versions under /opt/kubernetes that no control-plane unit refers to (the ones a
# version rollout left beside the new one).
#
# Parameters (environment):
#   PE_VERSION   the Kubernetes version, x.y.z
# Stdin: none.
# Outputs: none.
# Idempotence: removing what is already gone does nothing.
# rerun-revision: 1
set -euo pipefail
# include: common/lib/common.sh
: "${PE_VERSION:?}"
[[ $PE_VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "bad version $PE_VERSION"
dest=/opt/kubernetes/v$PE_VERSION
for u in kube-apiserver kube-controller-manager kube-scheduler; do
  if systemctl is-active --quiet "$u.service" && grep -q "$dest/" "/etc/systemd/system/$u.service" 2>/dev/null; then
    die "$u still runs from $dest; remove the control plane first"
  fi
done
[[ $(readlink /usr/local/bin/kubectl || true) == "$dest/kubectl" ]] && rm -f /usr/local/bin/kubectl
if [[ -d $dest ]]; then
  rm -rf "$dest"
  log "removed $dest"
fi
for other in /opt/kubernetes/v*; do
  [[ -d $other && $other != "$dest" ]] || continue
  if grep -qs "$other/" /etc/systemd/system/kube-apiserver.service /etc/systemd/system/kube-controller-manager.service \
    /etc/systemd/system/kube-scheduler.service; then
    continue
  fi
  [[ $(readlink /usr/local/bin/kubectl || true) == "$other/kubectl" ]] && rm -f /usr/local/bin/kubectl
  rm -rf "$other"
  log "removed $other (an earlier version no unit uses)"
done
rmdir /opt/kubernetes 2>/dev/null || true
