#!/usr/bin/env bash
# haproxy-remove: takes the apiserver load balancer off a host: stops haproxy, puts the
# distribution's config back, and removes the haproxy package when this package installed it.
#
# Parameters (environment): none.
# Stdin: none.
# Outputs: none.
# Idempotence: removing what is already gone does nothing.
# rerun-revision: 1
set -euo pipefail
# include: common/lib/common.sh
# include: kube/lib/kube-host.sh
cfg=/etc/haproxy/haproxy.cfg
remove() {
  systemctl disable --now haproxy.service >/dev/null 2>&1 || true
  rm -f /etc/haproxy/kube-apiserver-ca.crt
  if [[ -f $cfg.pe-original ]]; then mv -f "$cfg.pe-original" "$cfg"; else rm -f "$cfg"; fi
  if [[ -f /etc/haproxy/.pe-installed ]]; then
    # The marker goes first: dpkg keeps a directory that still holds a file it does not know.
    rm -f /etc/haproxy/.pe-installed
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq haproxy >/dev/null 2>&1 || log "note: apt-get purge haproxy failed; the package stays"
    rmdir /etc/haproxy 2>/dev/null || true
    log "removed haproxy (installed by pulumi-etcd)"
  else
    log "stopped haproxy and restored its original config"
  fi
}
if [[ -f $cfg ]] && grep -q "$PE_MANAGED_MARK" "$cfg"; then remove; else log "no managed haproxy config here"; fi
