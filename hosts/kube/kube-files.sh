#!/usr/bin/env bash
# kube-files: lays out a control-plane host's certificates, keys, kubeconfigs and config files from
# stdin in /etc/kubernetes (kubeadm's layout): keys, kubeconfigs and the encryption config 0600,
# the rest 0644, all root's. A file this script wrote before and the bundle no longer has (say the
# audit policy after audit was turned off) is removed.
#
# Parameters (environment):
#   PE_FILES   the files the bundle must hold, paths relative to /etc/kubernetes, space-separated
# Stdin (secret): sections, each starting with a line "#pe-file <relative path>", one per file of
#   PE_FILES. Key material is never printed.
# Outputs:
#   ::output digest=<sha256 over the files' sha256s: changes whenever any file changes>
#   ::output caCertSha256=<sha256 of pki/ca.crt, when present>
# Idempotence: a re-run with the same bundle changes nothing and restarts nothing (a file is
#   replaced only when its content, mode or owner differ). It never restarts a component: the
#   kube-control-plane step restarts them, one host at a time, when the digest changes.
# rerun-revision: 1
set -euo pipefail
# include: common/lib/common.sh
# include: kube/lib/kube-host.sh
: "${PE_FILES:?}"
read -r -a files <<<"$PE_FILES"
for f in "${files[@]}"; do
  [[ $f =~ ^(pki/(etcd/)?)?[a-z0-9][a-z0-9.-]*$ && $f != *..* ]] || die "bad file name $f"
done
install -d -m 0755 "$PE_KUBE_DIR"
install -d -m 0700 "$PE_KUBE_DIR/pki" "$PE_KUBE_DIR/pki/etcd"
stage=$(mktemp -d "$PE_KUBE_DIR/.pe-stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
# awk writes only into the staging dir, only names listed in PE_FILES (flattened: / becomes _).
awk -v dir="$stage" -v allowed=" $PE_FILES " '
  /^#pe-file / { name = $2; if (index(allowed, " " name " ") == 0) { exit 3 }; gsub("/", "_", name); next }
  name != "" { print > (dir "/" name) }
' || die "unexpected file in the bundle on stdin (expected: $PE_FILES)"

changed=0
digests=""
for f in "${files[@]}"; do
  staged=$stage/${f//\//_}
  [[ -s $staged ]] || die "the bundle has no $f"
  mode=0644
  [[ $f == *.key || $f == *.conf || $f == encryption-config.yaml ]] && mode=0600
  [[ $(install_content "$PE_KUBE_DIR/$f" "$mode" root:root <"$staged") == changed ]] && changed=1
  digests+="$f $(sha256sum "$PE_KUBE_DIR/$f" | cut -d' ' -f1)"$'\n'
done
# Files this script wrote before that are no longer wanted.
record=$PE_KUBE_DIR/.pe-files
if [[ -f $record ]]; then
  while read -r old; do
    [[ -n $old && " $PE_FILES " != *" $old "* && -f $PE_KUBE_DIR/$old ]] || continue
    rm -f "${PE_KUBE_DIR:?}/$old"
    changed=1
    log "removed $PE_KUBE_DIR/$old (no longer declared)"
  done <"$record"
fi
printf '%s\n' "${files[@]}" | install_content "$record" 0644 root:root >/dev/null
if ((changed)); then log "wrote the control plane's files in $PE_KUBE_DIR (keys and kubeconfigs 0600)"; else log "files unchanged"; fi
output digest "$(printf '%s' "$digests" | sha256sum | cut -d' ' -f1)"
if [[ -f $PE_KUBE_DIR/pki/ca.crt ]]; then output caCertSha256 "$(sha256sum "$PE_KUBE_DIR/pki/ca.crt" | cut -d' ' -f1)"; fi
