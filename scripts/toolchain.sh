#!/usr/bin/env bash
# Builds, or reuses from the cache, everything the tests need that is not an npm package:
#   - the pulumi CLI and language hosts (nodejs, python, yaml), built from the Go module proxy;
#   - etcd/etcdctl/etcdutl for every version in toolchain/versions.env (ETCD_VERSIONS; of those in
#     ETCD_SERVER_ONLY_VERSIONS only etcd, with a same-minor version's etcdctl/etcdutl), packaged
#     exactly like etcd's release tarballs (etcd-vX.Y.Z-linux-amd64.tar.gz holding
#     etcd-vX.Y.Z-linux-amd64/) with a SHA256SUMS file, so the package's real download-and-verify path
#     is what tests use; ETCD_PATH_VERSION's go on the bin directory;
#   - kube-apiserver, kube-controller-manager, kube-scheduler and kubectl for every version in
#     KUBE_VERSIONS (PULUMI_ETCD_KUBE_VERSIONS="1.37.2" builds fewer; "" none), built from the Go module
#     k8s.io/kubernetes and laid out like dl.k8s.io (dist/kube/release/vX.Y.Z/bin/linux/amd64/NAME and
#     NAME.sha256), which the test bed's mirror serves. The newest kubectl goes on the bin directory.
# `toolchain.sh kube` builds (or finds) only the Kubernetes part, after a run without it.
# Nothing is written into the repository. The last line printed is the bin directory.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=toolchain/versions.env
. "$repo/toolchain/versions.env"

cache=${PULUMI_ETCD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-etcd}
bin="$cache/bin"
dist="$cache/dist/etcd"
src="$cache/src"
kube_dist="$cache/dist/kube/release"
mkdir -p "$bin" "$dist" "$src"
export GOFLAGS=-mod=mod CGO_ENABLED=0

log() { printf '[toolchain %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

command -v go >/dev/null || die "go is not installed (the Go toolchain is needed to build Pulumi and etcd)"

# fresh KEY FILE...: true when every FILE exists and was built for KEY (stamp file beside it).
fresh() {
  local key=$1 f
  shift
  for f in "$@"; do
    [[ -x $f || -f $f ]] || return 1
    [[ $(cat "$f.stamp" 2>/dev/null) == "$key" ]] || return 1
  done
}
stamp() {
  local key=$1 f
  shift
  for f in "$@"; do printf '%s\n' "$key" >"$f.stamp"; done
}

# wrapper_module DIR GOVERSION: a throwaway module that requires upstream modules by version;
# needed because `go install pkg@version` refuses modules whose go.mod has replace lines.
wrapper_module() {
  local dir=$1 gover=$2
  rm -rf "$dir"
  mkdir -p "$dir"
  printf 'module local/wrapper\n\ngo %s\n' "$gover" >"$dir/go.mod"
}

# tidy_and_build DIR OUT PKG [LDFLAGS]: resolves the wrapper's graph and builds one main package.
tidy_and_build() {
  local dir=$1 out=$2 pkg=$3 ldflags=${4:-}
  (
    cd "$dir"
    go mod tidy >"$dir/tidy.log" 2>&1 || { tail -n 20 "$dir/tidy.log" >&2; exit 1; }
    go build -trimpath -ldflags "-s -w $ldflags" -o "$out.tmp" "$pkg"
  ) || die "building $pkg failed (logs in $dir)"
  mv "$out.tmp" "$out"
}

build_pulumi_cli() {
  local key="pulumi-v$PULUMI_VERSION" dir="$src/pulumi-cli"
  if fresh "$key" "$bin/pulumi"; then log "pulumi v$PULUMI_VERSION: cached"; return; fi
  log "pulumi v$PULUMI_VERSION: building the CLI from github.com/pulumi/pulumi/pkg/v3 (cold: ~4 min on 2 cores)"
  wrapper_module "$dir" 1.25.11
  cat >>"$dir/go.mod" <<EOF

require (
	github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION
)

// The same replace upstream's pkg/go.mod has (its sdk => ../sdk is covered by the require above).
replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
EOF
  printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"\n' >"$dir/tools.go"
  tidy_and_build "$dir" "$bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
    "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
  stamp "$key" "$bin/pulumi"
}

build_language_hosts() {
  local v=$PULUMI_LANGHOST_SDK_VERSION key="langhost-sdk-v$PULUMI_LANGHOST_SDK_VERSION" dir="$src/langhosts" lang
  if fresh "$key" "$bin/pulumi-language-nodejs" "$bin/pulumi-language-python"; then
    log "language hosts nodejs/python (sdk v$v): cached"
  else
    log "language hosts nodejs/python: building from github.com/pulumi/pulumi/sdk/v3@v$v"
    wrapper_module "$dir" 1.18
    cat >>"$dir/go.mod" <<EOF

require github.com/pulumi/pulumi/sdk/v3 v$v

// The same replace upstream's sdk/go.mod has at v$v.
replace golang.org/x/text => golang.org/x/text v0.3.6
EOF
    printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"\n\t_ "github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python"\n)\n' >"$dir/tools.go"
    for lang in nodejs python; do
      tidy_and_build "$dir" "$bin/pulumi-language-$lang" "github.com/pulumi/pulumi/sdk/v3/$lang/cmd/pulumi-language-$lang" \
        "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$v"
    done
    stamp "$key" "$bin/pulumi-language-nodejs" "$bin/pulumi-language-python"
  fi
  key="pulumi-yaml-v$PULUMI_YAML_VERSION"
  if fresh "$key" "$bin/pulumi-language-yaml"; then log "pulumi-language-yaml v$PULUMI_YAML_VERSION: cached"; return; fi
  log "pulumi-language-yaml v$PULUMI_YAML_VERSION: building from github.com/pulumi/pulumi-yaml"
  dir="$src/langhost-yaml"
  wrapper_module "$dir" 1.25.11
  # pulumi-yaml's own pkg/sdk requirement is a version whose checksum the proxy does not serve;
  # raise it to the engine's version (Go's minimal version selection takes the higher one).
  cat >>"$dir/go.mod" <<EOF

require (
	github.com/pulumi/pulumi-yaml v$PULUMI_YAML_VERSION
	github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION
)

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
EOF
  printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"\n' >"$dir/tools.go"
  tidy_and_build "$dir" "$bin/pulumi-language-yaml" github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml \
    "-X github.com/pulumi/pulumi-yaml/pkg/version.Version=v$PULUMI_YAML_VERSION"
  stamp "$key" "$bin/pulumi-language-yaml"
}

# etcd_server_only VERSION: true when only the etcd server of VERSION is built (ETCD_SERVER_ONLY_VERSIONS).
etcd_server_only() { [[ " $ETCD_SERVER_ONLY_VERSIONS " == *" $1 "* ]]; }

# etcd_tools_version VERSION: the version whose etcdctl and etcdutl go into VERSION's tarball: VERSION
# itself, or for a server-only version the newest fully built version of the same minor.
etcd_tools_version() {
  local v=$1 w tools
  if ! etcd_server_only "$v"; then
    printf '%s\n' "$v"
    return
  fi
  tools=$(for w in $ETCD_VERSIONS; do
    if [[ ${w%.*} == "${v%.*}" ]] && ! etcd_server_only "$w"; then printf '%s\n' "$w"; fi
  done | sort -V | tail -n 1)
  [[ -n $tools ]] || die "etcd $v is server-only (ETCD_SERVER_ONLY_VERSIONS) but ETCD_VERSIONS has no fully built ${v%.*}.x"
  printf '%s\n' "$tools"
}

check_etcd_versions() {
  local v
  for v in $ETCD_SERVER_ONLY_VERSIONS; do
    [[ " $ETCD_VERSIONS " == *" $v "* ]] || die "ETCD_SERVER_ONLY_VERSIONS: $v is not in ETCD_VERSIONS ($ETCD_VERSIONS)"
    etcd_tools_version "$v" >/dev/null
  done
  if [[ " $ETCD_VERSIONS " != *" $ETCD_PATH_VERSION "* ]] || etcd_server_only "$ETCD_PATH_VERSION"; then
    die "ETCD_PATH_VERSION $ETCD_PATH_VERSION must be a fully built version of ETCD_VERSIONS ($ETCD_VERSIONS)"
  fi
}

# build_etcd VERSION: etcd, etcdctl, etcdutl from go.etcd.io/etcd/*/v3@vVERSION, packaged as a
# release tarball. A server-only version builds etcd alone and takes etcdctl and etcdutl from the
# tarball of its tools version (built before it: main builds the server-only versions last).
build_etcd() {
  local v=$1 name="etcd-v$1-linux-amd64" key="etcd-v$1" dir="$src/etcd-$1" tool tools started=$SECONDS
  local tarball="$dist/$name.tar.gz" stage="$dir/stage/etcd-v$1-linux-amd64"
  tools=$(etcd_tools_version "$v")
  [[ $tools == "$v" ]] || key+=" server-only tools-v$tools"
  if fresh "$key" "$tarball"; then log "etcd v$v: cached"; return; fi
  wrapper_module "$dir" 1.24
  mkdir -p "$stage" "$dir/cmd/etcd"
  # etcd's own main.go lives in the repository's root module, which the proxy does not serve as a
  # library; this is the same one-line program.
  printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' >"$dir/cmd/etcd/main.go"
  if [[ $tools == "$v" ]]; then
    log "etcd v$v: building etcd, etcdctl, etcdutl from go.etcd.io/etcd"
    cat >>"$dir/go.mod" <<EOF

require (
	go.etcd.io/etcd/server/v3 v$v
	go.etcd.io/etcd/etcdctl/v3 v$v
	go.etcd.io/etcd/etcdutl/v3 v$v
)
EOF
    printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "go.etcd.io/etcd/etcdctl/v3"\n\t_ "go.etcd.io/etcd/etcdutl/v3"\n)\n' >"$dir/tools.go"
    tidy_and_build "$dir" "$stage/etcd" ./cmd/etcd
    for tool in etcdctl etcdutl; do tidy_and_build "$dir" "$stage/$tool" "go.etcd.io/etcd/$tool/v3"; done
    printf 'etcd v%s built from the Go module proxy by pulumi-etcd scripts/toolchain.sh\n' "$v" >"$stage/README.md"
  else
    log "etcd v$v: building the etcd server only from go.etcd.io/etcd (etcdctl and etcdutl: v$tools's)"
    printf '\nrequire go.etcd.io/etcd/server/v3 v%s\n' "$v" >>"$dir/go.mod"
    tidy_and_build "$dir" "$stage/etcd" ./cmd/etcd
    tar -xzf "$dist/etcd-v$tools-linux-amd64.tar.gz" -C "$stage" --strip-components=1 \
      "etcd-v$tools-linux-amd64/etcdctl" "etcd-v$tools-linux-amd64/etcdutl"
    printf '%s\n' "etcd v$v built from the Go module proxy by pulumi-etcd scripts/toolchain.sh." \
      "Only the etcd server is v$v: etcdctl and etcdutl are v$tools's (the newest ${v%.*}.x built), to save build time." \
      >"$stage/README.md"
  fi
  # Deterministic archive: same inputs, same bytes, same checksum.
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$dir/stage" -cf - "$name" | gzip -n >"$tarball.tmp"
  mv "$tarball.tmp" "$tarball"
  stamp "$key" "$tarball"
  log "etcd v$v: built in $((SECONDS - started)) s"
}

write_checksums() {
  (cd "$dist" && sha256sum etcd-v*-linux-amd64.tar.gz >SHA256SUMS.tmp && mv SHA256SUMS.tmp SHA256SUMS)
}

# Unpack each version once (the tests run these), and put ETCD_PATH_VERSION's etcd, etcdctl and etcdutl
# on the bin directory (etcdctl against the bed's 3.6 clusters).
unpack_etcd() {
  local v tool
  for v in $ETCD_VERSIONS; do
    rm -rf "$cache/etcd/$v"
    mkdir -p "$cache/etcd/$v"
    tar -xzf "$dist/etcd-v$v-linux-amd64.tar.gz" -C "$cache/etcd/$v" --strip-components=1
  done
  for tool in etcd etcdctl etcdutl; do ln -sfn "$cache/etcd/$ETCD_PATH_VERSION/$tool" "$bin/$tool"; done
}

# Kubernetes: the versions to build, newest first; PULUMI_ETCD_KUBE_VERSIONS picks a subset.
KUBE_BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
# The same tags upstream's release build uses (hack/lib/golang.sh); without grpcnotrace the binaries
# are ~60 % larger.
KUBE_TAGS=selinux,notest,grpcnotrace
kube_selected=()
select_kube_versions() {
  local v
  for v in ${PULUMI_ETCD_KUBE_VERSIONS-$KUBE_VERSIONS}; do
    [[ " $KUBE_VERSIONS " == *" $v "* ]] ||
      die "PULUMI_ETCD_KUBE_VERSIONS: $v is not one of KUBE_VERSIONS in toolchain/versions.env ($KUBE_VERSIONS)"
    kube_selected+=("$v")
  done
}

# staging_replaces GOMOD VERSION: k8s.io/kubernetes' go.mod replaces each of its staging modules by
# ./staging/src/k8s.io/X, which the proxy serves as the module k8s.io/X at v0.MINOR.PATCH; one
# replace line per staging module, so the wrapper resolves exactly the code upstream builds.
staging_replaces() {
  local gomod=$1 v=$2
  awk -v ver="v0.${v#1.}" '{
    for (i = 2; i < NF; i++)
      if ($i == "=>" && $(i + 1) ~ /^\.\/staging\//) printf "replace %s => %s %s\n", $(i - 1), $(i - 1), ver
  }' "$gomod"
}

# build_kube VERSION: the four binaries of one release, with the version information upstream's
# hack/lib/version.sh sets (in both component-base and client-go, or /version says v0.0.0-master).
build_kube() {
  local v=$1 dir="$src/kube-$1" out="$kube_dist/v$1/bin/linux/amd64" key="kube-v$1 tags=$KUBE_TAGS" b
  local outs=() started=$SECONDS t cached=1
  for b in "${KUBE_BINARIES[@]}"; do
    outs+=("$out/$b")
    [[ -s $out/$b.sha256 ]] || cached=
  done
  fresh "$key" "${outs[@]}" || cached=
  if [[ -n $cached ]]; then log "kube v$v: cached"; return; fi
  log "kube v$v: building ${KUBE_BINARIES[*]} from k8s.io/kubernetes (cold: see README)"
  rm -rf "$dir"
  mkdir -p "$dir" "$out"
  local json gomod info gover
  json=$(cd "$dir" && go mod download -json "k8s.io/kubernetes@v$v") || die "k8s.io/kubernetes@v$v: not served by the module proxy"
  gomod=$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")
  info=$(sed -n 's/^[[:space:]]*"Info": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")
  [[ -f $gomod && -f $info ]] || die "k8s.io/kubernetes@v$v: no go.mod/info in the module cache"
  gover=$(awk '$1 == "go" { print $2; exit }' "$gomod")
  wrapper_module "$dir" "$gover"
  {
    grep '^godebug ' "$gomod" || true
    printf '\nrequire k8s.io/kubernetes v%s\n\n' "$v"
    printf '// The staging replaces of k8s.io/kubernetes@v%s go.mod, pointed at the published modules.\n' "$v"
    staging_replaces "$gomod" "$v"
  } >>"$dir/go.mod"
  local n
  n=$(grep -c '^replace ' "$dir/go.mod")
  ((n > 20)) || die "k8s.io/kubernetes@v$v: found only $n staging replaces in $gomod"
  {
    printf '//go:build tools\n\npackage tools\n\nimport (\n'
    for b in "${KUBE_BINARIES[@]}"; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$b"; done
    printf ')\n'
  } >"$dir/tools.go"
  # Version facts: the release tag's time (from the proxy) as the build date, so builds are
  # reproducible; the module zip carries no commit, so gitCommit is a fixed placeholder (40 zeros) and
  # gitTreeState "archive" (what upstream's version.sh says for a source export).
  local minor=${v#1.} date ldflags="-s -w" pkg kv
  minor=${minor%%.*}
  date=$(sed -n 's/.*"Time": *"\([^"]*\)".*/\1/p' "$info")
  date=$(date -u -d "$date" +%Y-%m-%dT%H:%M:%SZ)
  for kv in "gitVersion=v$v" gitMajor=1 "gitMinor=$minor" gitCommit=0000000000000000000000000000000000000000 \
    gitTreeState=archive "buildDate=$date"; do
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do ldflags+=" -X $pkg.$kv"; done
  done
  t=$SECONDS
  (cd "$dir" && go mod tidy >"$dir/tidy.log" 2>&1) || { tail -n 20 "$dir/tidy.log" >&2; die "kube v$v: go mod tidy failed (logs in $dir)"; }
  log "kube v$v: module graph resolved in $((SECONDS - t)) s ($(grep -c . "$dir/go.sum") go.sum lines)"
  for b in "${KUBE_BINARIES[@]}"; do
    t=$SECONDS
    (cd "$dir" && go build -trimpath -tags "$KUBE_TAGS" -ldflags "$ldflags" -o "$out/$b.tmp" "k8s.io/kubernetes/cmd/$b") ||
      die "kube v$v: building $b failed (module in $dir)"
    mv "$out/$b.tmp" "$out/$b"
    # Like dl.k8s.io: NAME.sha256 holds the hex digest only.
    sha256sum "$out/$b" | cut -d' ' -f1 | tr -d '\n' >"$out/$b.sha256"
    log "kube v$v: $b built in $((SECONDS - t)) s ($(($(stat -c %s "$out/$b") / 1000000)) MB)"
  done
  stamp "$key" "${outs[@]}"
  log "kube v$v: all built in $((SECONDS - started)) s"
}

# The newest kubectl built goes on PATH (tests run it against the bed).
link_kubectl() {
  local newest
  ((${#kube_selected[@]})) || return 0
  newest=$(printf '%s\n' "${kube_selected[@]}" | sort -V | tail -n 1)
  ln -sfn "$kube_dist/v$newest/bin/linux/amd64/kubectl" "$bin/kubectl"
}

report() {
  log "pulumi: $("$bin/pulumi" version)"
  local lang
  # The language hosts have no --version flag; the stamp records what was built.
  for lang in nodejs python yaml; do
    log "pulumi-language-$lang: $(cat "$bin/pulumi-language-$lang.stamp")"
  done
  local v
  for v in $ETCD_VERSIONS; do
    log "etcd v$v: $("$cache/etcd/$v/etcd" --version | head -n 1)"
  done
  log "etcd tarballs and SHA256SUMS: $dist"
  for v in "${kube_selected[@]}"; do
    log "kube v$v: $("$kube_dist/v$v/bin/linux/amd64/kube-apiserver" --version), kubectl $("$kube_dist/v$v/bin/linux/amd64/kubectl" version --client | head -n 1)"
  done
  if ((${#kube_selected[@]})); then log "kube binaries (dl.k8s.io layout): $kube_dist"; fi
}

main() {
  local started=$SECONDS v
  select_kube_versions
  if [[ ${1:-} == kube ]]; then
    # Kubernetes only: scripts/test.sh builds it in the background while the etcd suites run.
    for v in "${kube_selected[@]}"; do build_kube "$v"; done
    link_kubectl
    log "Kubernetes ready in $((SECONDS - started)) s"
    printf '%s\n' "$bin"
    return
  fi
  check_etcd_versions
  build_pulumi_cli
  build_language_hosts
  # Fully built versions first: a server-only version takes etcdctl and etcdutl from one of them.
  for v in $ETCD_VERSIONS; do if ! etcd_server_only "$v"; then build_etcd "$v"; fi; done
  for v in $ETCD_VERSIONS; do if etcd_server_only "$v"; then build_etcd "$v"; fi; done
  write_checksums
  unpack_etcd
  for v in "${kube_selected[@]}"; do build_kube "$v"; done
  link_kubectl
  report
  log "toolchain ready in $((SECONDS - started)) s"
  printf '%s\n' "$bin"
}

main "$@"
