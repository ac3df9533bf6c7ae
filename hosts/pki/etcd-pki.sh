#!/usr/bin/env bash
# etcd-pki: lays out a member's certificates and keys from stdin in PE_PKI_DIR: keys 0600 and
# certificates 0644, all owned by etcd.
#
# Parameters (environment):
#   PE_PKI_DIR  the certificates' directory (default /etc/etcd/pki)
# Stdin (secret): the PKI bundle: sections, each starting with a line "#pe-file <name>", for ca.crt,
#   server.crt, server.key, peer.crt and peer.key. Key material is never printed.
# Outputs:
#   ::output caCertSha256=<sha256 of ca.crt>
#   ::output serverCertSha256=<sha256 of server.crt>
#   ::output peerCertSha256=<sha256 of peer.crt>
# Idempotence: a re-run with the same bundle changes nothing and restarts nothing (each file is
#   replaced only when its content, mode or owner differ). It never restarts etcd, even when a
#   file changed: a renewal relies on etcd reading the files again at new TLS handshakes (measured
#   for 3.5.35, 3.6.16 and 3.7.3: the next connection gets the new certificate, existing ones go on).
#   Every file is staged first with its final mode and owner; then each certificate and its key are
#   renamed into place back to back, so a handshake sees a mismatched pair only if it reads them in
#   the instant between the two renames (it fails then, and the client's next attempt succeeds).
# rerun-revision: 1
set -euo pipefail
# include: common/lib/common.sh
: "${PE_PKI_DIR:=/etc/etcd/pki}"
[[ $PE_PKI_DIR == /* && $PE_PKI_DIR != */../* ]] || die "bad PKI dir $PE_PKI_DIR"
getent passwd etcd >/dev/null || die "no etcd user on this host (the install step creates it)"
files=(ca.crt server.crt server.key peer.crt peer.key)

install -d -m 0750 -o root -g etcd "$PE_PKI_DIR"
stage=$(mktemp -d "$PE_PKI_DIR/.pe-stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
# awk only ever writes into the staging dir, and only the file names listed above.
awk -v dir="$stage" '
  /^#pe-file / { name = $2; ok = (name ~ /^(ca\.crt|server\.crt|server\.key|peer\.crt|peer\.key)$/); if (!ok) { exit 3 }; next }
  ok { print > (dir "/" name) }
' || die "unexpected PKI bundle on stdin"
# The staging dir is in PE_PKI_DIR: a rename from it is atomic. Only what differs is renamed.
pending=()
for f in "${files[@]}"; do
  [[ -s $stage/$f ]] || die "the PKI bundle has no $f"
  mode=0644
  [[ $f == *.key ]] && mode=0600
  chown etcd:etcd "$stage/$f"
  chmod "$mode" "$stage/$f"
  dest=$PE_PKI_DIR/$f
  if ! { [[ -f $dest ]] && cmp -s "$stage/$f" "$dest" && [[ $(stat -c '%a %U %G' "$dest") == "$(stat -c '%a %U %G' "$stage/$f")" ]]; }; then
    pending+=("$f")
  fi
done
# In the order of files: ca.crt, then each certificate immediately followed by its key.
for f in "${pending[@]}"; do mv -f "$stage/$f" "$PE_PKI_DIR/$f"; done
changed=$((${#pending[@]} > 0))
if ((changed)); then log "wrote ${pending[*]} in $PE_PKI_DIR (keys 0600 etcd:etcd); etcd uses them for new connections, no restart"; else log "certificates unchanged"; fi
for f in ca.crt server.crt peer.crt; do output "${f%.crt}CertSha256" "$(sha256sum "$PE_PKI_DIR/$f" | cut -d' ' -f1)"; done
