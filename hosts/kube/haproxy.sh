#!/usr/bin/env bash
# haproxy: installs haproxy from the host's Debian packages (apt) when missing and runs it with the
# given configuration in front of the apiservers. The configuration is checked (haproxy -c) before
# it replaces the running one; a change reloads haproxy without dropping connections.
#
# Parameters (environment):
#   PE_CONFIG    the text of /etc/haproxy/haproxy.cfg
#   PE_CA_CERT   the cluster CA certificate (PEM) the health checks verify the apiservers with
#   PE_LISTEN    address:port haproxy must listen on when done (checked), e.g. 127.0.0.1:6443
# Stdin: none.
# Outputs:
#   ::output haproxyVersion=<haproxy's version>
# Idempotence: a re-run with the same parameters changes nothing and reloads nothing: the package
#   is installed only when missing, the config replaced and haproxy reloaded only when it differs.
# rerun-revision: 1
set -euo pipefail
# include: common/lib/common.sh
# include: kube/lib/kube-host.sh
: "${PE_CONFIG:?}" "${PE_CA_CERT:?}" "${PE_LISTEN:?}"
[[ $PE_CONFIG == *"$PE_MANAGED_MARK"* ]] || die "the haproxy config text lacks the managed mark"

if ! command -v haproxy >/dev/null; then
  command -v apt-get >/dev/null || die "haproxy is not installed and this host has no apt-get; install haproxy and rerun"
  log "installing haproxy (apt)"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq --no-install-recommends haproxy >/tmp/pe-apt.log 2>&1; then
    apt-get update -qq >>/tmp/pe-apt.log 2>&1 || true
    apt-get install -y -qq --no-install-recommends haproxy >>/tmp/pe-apt.log 2>&1 ||
      { tail -n 5 /tmp/pe-apt.log >&2; die "apt-get install haproxy failed (see above); give the host a package source with haproxy"; }
  fi
  # Remembered so that destroy removes the package it installed (and only that).
  install -d -m 0755 /etc/haproxy
  echo installed-by-pulumi-etcd >/etc/haproxy/.pe-installed
fi
install -d -m 0755 /etc/haproxy
cfg=/etc/haproxy/haproxy.cfg
# The distribution's config is kept once, so a removal can put it back.
if [[ -f $cfg && ! -f $cfg.pe-original ]] && ! grep -q "$PE_MANAGED_MARK" "$cfg"; then cp -p "$cfg" "$cfg.pe-original"; fi

ca_changed=$(printf '%s\n' "$PE_CA_CERT" | install_content /etc/haproxy/kube-apiserver-ca.crt 0644 root:root)
candidate=$(mktemp /etc/haproxy/.pe-candidate.XXXXXX)
trap 'rm -f "$candidate"' EXIT
printf '%s\n' "$PE_CONFIG" >"$candidate"
haproxy -c -q -f "$candidate" >/tmp/pe-haproxy-check.log 2>&1 || { sed 's/^/    haproxy -c: /' /tmp/pe-haproxy-check.log >&2; die "the rendered haproxy config is invalid (a bug: report it)"; }
cfg_changed=$(install_content "$cfg" 0644 root:root <"$candidate")
install -d -m 0755 /run/haproxy
systemctl is-enabled --quiet haproxy.service 2>/dev/null || systemctl enable --quiet haproxy.service
if ! systemctl is-active --quiet haproxy.service; then
  systemctl start haproxy.service
  log "started haproxy"
elif [[ $cfg_changed == changed || $ca_changed == changed ]]; then
  systemctl reload haproxy.service
  log "reloaded haproxy with the new configuration"
else
  log "haproxy unchanged and running"
fi
port=${PE_LISTEN##*:}
for _ in $(seq 1 50); do
  [[ -n $(port_holder "$port") ]] && break
  sleep 0.1
done
[[ -n $(port_holder "$port") ]] || { journal_tail_of haproxy.service 20; die "haproxy does not listen on $PE_LISTEN"; }
output haproxyVersion "$(haproxy -v | sed -n '1s/^HAProxy version \([^ ]*\).*/\1/p')"
