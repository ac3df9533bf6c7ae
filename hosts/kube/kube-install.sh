#!/usr/bin/env bash
# kube-install: installs kube-apiserver, kube-controller-manager, kube-scheduler and kubectl of one
# version under /opt/kubernetes/v<version> after a sha256 check of each: a mismatch stops before
# that binary is installed. Links kubectl into /usr/local/bin.
#
# Parameters (environment):
#   PE_VERSION        the Kubernetes version, x.y.z
#   PE_URL            download URL template ({arch}, {binary} replaced), used when PE_BINARY_PATH is empty
#   PE_BINARY_PATH    path template of binaries already on the host ({arch}, {binary}), for air-gapped sites
#   PE_SHA256_AMD64   "binary=sha256 ..." for amd64
#   PE_SHA256_ARM64   "binary=sha256 ..." for arm64
# Stdin: none.
# Outputs:
#   ::output arch=<amd64|arm64>
#   ::output version=<what kube-apiserver --version reports>
# Idempotence: a re-run with the same parameters changes nothing and restarts nothing: a binary is
#   fetched only when the installed one lacks its sha256 stamp; the link is replaced only when it
#   points elsewhere. Running components keep their (already open) binaries.
# rerun-revision: 1
set -euo pipefail
# include: common/lib/common.sh
: "${PE_VERSION:?}" "${PE_URL:=}" "${PE_BINARY_PATH:=}" "${PE_SHA256_AMD64:=}" "${PE_SHA256_ARM64:=}"
[[ $PE_VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "bad version $PE_VERSION"
arch=$(host_arch) || die "unsupported CPU architecture $(uname -m)"
case $arch in
amd64) sums=$PE_SHA256_AMD64 ;;
arm64) sums=$PE_SHA256_ARM64 ;;
esac
binaries=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
dest=/opt/kubernetes/v$PE_VERSION
install -d -m 0755 /opt/kubernetes "$dest"
work=$(mktemp -d /tmp/pe-kube-install.XXXXXX)
trap 'rm -rf "$work"' EXIT

sum_of() {
  local pair
  for pair in $sums; do [[ ${pair%%=*} == "$1" ]] && echo "${pair#*=}"; done
  return 0
}

for b in "${binaries[@]}"; do
  expected=$(sum_of "$b")
  [[ $expected =~ ^[0-9a-f]{64}$ ]] || die "no sha256 known for $b $PE_VERSION on $arch; give it in sha256"
  if [[ -x $dest/$b && $(cat "$dest/.$b.sha256" 2>/dev/null) == "$expected" ]]; then continue; fi
  if [[ -n $PE_BINARY_PATH ]]; then
    src=${PE_BINARY_PATH//\{arch\}/$arch}
    src=${src//\{binary\}/$b}
    [[ -f $src ]] || die "$src not found on this host"
    cp "$src" "$work/$b"
  else
    [[ -n $PE_URL ]] || die "neither a download URL nor a binary path was given"
    url=${PE_URL//\{arch\}/$arch}
    url=${url//\{binary\}/$b}
    log "downloading $url"
    curl -fsSL --connect-timeout 15 --max-time 900 --retry 2 -o "$work/$b" "$url" || die "download of $url failed"
  fi
  actual=$(sha256sum "$work/$b" | cut -d' ' -f1)
  [[ $actual == "$expected" ]] || die "checksum mismatch for $b $PE_VERSION ($arch): expected sha256 $expected, got $actual. It was discarded and not installed; check the mirror or the sha256 input."
  install -m 0755 "$work/$b" "$dest/.$b.new"
  mv -f "$dest/.$b.new" "$dest/$b"
  echo "$expected" >"$dest/.$b.sha256"
  log "installed $b $PE_VERSION (sha256 verified)"
done
if [[ $(readlink /usr/local/bin/kubectl || true) != "$dest/kubectl" ]]; then
  ln -sfn "$dest/kubectl" /usr/local/bin/kubectl
  log "linked /usr/local/bin/kubectl to $dest/kubectl"
fi
output arch "$arch"
output version "$("$dest/kube-apiserver" --version | sed -n 's/^Kubernetes //p')"
