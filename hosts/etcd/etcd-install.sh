#!/usr/bin/env bash
# etcd-install: installs etcd, etcdctl and etcdutl of one version under /opt/etcd/v<version>, after
# the preflight checks and a sha256 check of the release tarball: a mismatch stops before anything is
# installed. Links them into /usr/local/bin and creates the `etcd` system user. An empty data dir is
# recorded as this member's (/etc/etcd/identity).
#
# Parameters (environment):
#   PE_NAME           the member's name (preflight: whose data dir and ports these may be)
#   PE_TOKEN          the cluster's token (preflight: the data dir must be this incarnation's)
#   PE_DATA_DIR       the member's data dir (preflight; also the etcd user's home)
#   PE_PORTS          the member's ports, space-separated (preflight: free or this member's)
#   PE_MIN_FREE_MB    free MiB needed on the data dir's filesystem (default 1024)
#   PE_VERSION        the etcd version, x.y.z
#   PE_URL            a release URL or mirror, {arch} replaced (used when PE_TARBALL is empty)
#   PE_TARBALL        a tarball already on the host, {arch} replaced (air-gapped sites)
#   PE_SHA256_AMD64   the tarball's sha256 for amd64
#   PE_SHA256_ARM64   the tarball's sha256 for arm64
# Stdin: none.
# Outputs:
#   ::output arch=<amd64|arm64>
#   ::output etcdSha256=<sha256 of the installed etcd binary>
#   ::output version=<what `etcd --version` reports>
# Idempotence: a re-run with the same parameters changes nothing and restarts nothing: the version
#   is downloaded and unpacked only when its directory lacks the binaries or the tarball's sha256
#   stamp, links are replaced only when they point elsewhere, the user created only when missing.
#   Runs at the same time on one host (two deployments of one cluster) wait for each other (flock).
# rerun-revision: 1
set -euo pipefail
# include: common/lib/common.sh
# include: etcd/lib/etcd-host.sh
: "${PE_NAME:?}" "${PE_TOKEN:?}" "${PE_DATA_DIR:?}" "${PE_PORTS:?}" "${PE_MIN_FREE_MB:=1024}"
: "${PE_VERSION:?}" "${PE_URL:=}" "${PE_TARBALL:=}" "${PE_SHA256_AMD64:=}" "${PE_SHA256_ARM64:=}"
[[ $PE_VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "bad version $PE_VERSION"
# Two deployments of one cluster (two `pulumi up`s, each with its own state) may install the same
# member at once: one install at a time on a host (the lock is released when this script exits).
install -d -m 0755 /run/pulumi-etcd
exec 9>/run/pulumi-etcd/etcd-install.lock
flock -w 600 9 || die "another etcd-install on this host did not finish within 600 s"

preflight "$PE_NAME" "$PE_TOKEN" "$PE_DATA_DIR" "$PE_PORTS" "$PE_MIN_FREE_MB"
arch=$(host_arch)
case $arch in
amd64) expected=$PE_SHA256_AMD64 ;;
arm64) expected=$PE_SHA256_ARM64 ;;
esac
[[ $expected =~ ^[0-9a-f]{64}$ ]] || die "no sha256 known for etcd $PE_VERSION on $arch; give it as sha256"

dest=/opt/etcd/v$PE_VERSION
stamp=$dest/.tarball-sha256
if [[ -f $stamp && $(cat "$stamp") == "$expected" && -x $dest/etcd && -x $dest/etcdctl && -x $dest/etcdutl ]]; then
  log "etcd $PE_VERSION already installed in $dest"
else
  work=$(mktemp -d /tmp/pe-etcd-install.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  tarball=$work/etcd.tar.gz
  if [[ -n $PE_TARBALL ]]; then
    src=${PE_TARBALL//\{arch\}/$arch}
    [[ -f $src ]] || die "tarball $src not found on this host"
    log "using tarball $src from this host"
    cp "$src" "$tarball"
  else
    [[ -n $PE_URL ]] || die "neither a download URL nor a tarball path was given"
    command -v curl >/dev/null || die "curl is missing; install it or give tarballPath (a tarball already on the host)"
    url=${PE_URL//\{arch\}/$arch}
    log "downloading $url"
    curl -fsSL --connect-timeout 15 --max-time 600 --retry 2 -o "$tarball" "$url" || die "download of $url failed"
  fi
  actual=$(sha256sum "$tarball" | cut -d' ' -f1)
  if [[ $actual != "$expected" ]]; then
    die "checksum mismatch for etcd $PE_VERSION ($arch): expected sha256 $expected, got $actual. The tarball was discarded and nothing was installed; check the mirror or the sha256 input."
  fi
  log "sha256 verified: $actual"
  install -d -m 0755 /opt/etcd
  rm -rf "$dest.new"
  install -d -m 0755 "$dest.new"
  # Only the three binaries, unpacked straight into place (no copy), owned by root.
  top=etcd-v$PE_VERSION-linux-$arch
  tar -xzf "$tarball" -C "$dest.new" --strip-components=1 --no-same-owner --touch "$top/etcd" "$top/etcdctl" "$top/etcdutl" 2>/dev/null ||
    die "the tarball lacks etcd, etcdctl or etcdutl (expected $top/etcd, $top/etcdctl, $top/etcdutl)"
  chmod 0755 "$dest.new/etcd" "$dest.new/etcdctl" "$dest.new/etcdutl"
  echo "$expected" >"$dest.new/.tarball-sha256"
  rm -rf "$dest"
  mv "$dest.new" "$dest"
  log "installed etcd $PE_VERSION in $dest"
fi
for b in etcd etcdctl etcdutl; do
  if [[ $(readlink "/usr/local/bin/$b" || true) != "$dest/$b" ]]; then
    ln -sfn "$dest/$b" "/usr/local/bin/$b"
    log "linked /usr/local/bin/$b to $dest/$b"
  fi
done

if ! getent passwd etcd >/dev/null; then
  useradd --system --user-group --home-dir "$PE_DATA_DIR" --no-create-home --shell /usr/sbin/nologin etcd
  log "created system user etcd"
fi
install -d -m 0755 -o root -g root /etc/etcd
# Once installed, an empty data dir is claimed for this member, so that its first token stays among
# the accepted ones when a restore (which writes the data before etcd first starts) gives the
# cluster a new one: a later install (a version change) still names the first token.
if [[ ! -d $PE_DATA_DIR || -z $(ls -A "$PE_DATA_DIR") ]] &&
  [[ $(identity_field name) != "$PE_NAME" || $(identity_field token) != "$PE_TOKEN" || $(identity_field data_dir) != "$PE_DATA_DIR" ]]; then
  rm -f "$PE_IDENTITY"
  write_identity "$PE_NAME" "$PE_TOKEN" "$PE_DATA_DIR"
fi

output arch "$arch"
output etcdSha256 "$(sha256sum "$dest/etcd" | cut -d' ' -f1)"
output version "$("$dest/etcd" --version | sed -n 's/^etcd Version: //p')"
