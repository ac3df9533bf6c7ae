#!/usr/bin/env bash
# etcd/lib/snapshot.sh: the snapshot run, shared by the scheduled runner (etcd-snapshot-run) and the
# on-demand snapshot (etcd-snapshot-now), which also include common/lib/s3.sh. Only the current
# leader takes the snapshot unless PE_FORCE=1. Prints `::output` lines (file, sha256, revision,
# location).
# snapshot_main's argument: "lock" (the scheduled runner) takes the cluster lock
# (/pulumi-etcd/<cluster>/lock, planning/etcd/lock.ts) for the snapshot save: created only when
# absent, on a 30 s lease kept alive meanwhile and revoked after the save. When another operation
# holds it (a membership change, an upgrade, a restore) the run is skipped: exit 0, `last_skipped`
# in the status file. The on-demand snapshot ("no-lock") runs inside such an operation and takes none.
# Parameters (environment):
#   PE_SNAPSHOT_CONF  the settings file (default /etc/pulumi-etcd/snapshot.env)
#   PE_FORCE          1: take the snapshot even when this member is not the leader
# The settings file (secret) sets:
#   PE_CLUSTER      the cluster's name (in the file name)
#   PE_MEMBER       this member's name (in the metadata)
#   PE_KEEP         how many snapshots to keep (default 5)
#   PE_LOCAL_DIR    local directory for snapshots, empty for none
#   PE_COMPRESS     gzip or none (default gzip)
#   PE_S3_BUCKET    the bucket, empty for no upload
#   PE_S3_ENDPOINT  the S3 endpoint URL
#   PE_S3_PREFIX    the key prefix
snapshot_main() {
  conf=${PE_SNAPSHOT_CONF:-/etc/pulumi-etcd/snapshot.env}
  # shellcheck source=/dev/null
  . "$conf"
  : "${PE_CLUSTER:?}" "${PE_MEMBER:?}" "${PE_KEEP:=5}" "${PE_LOCAL_DIR:=}" "${PE_COMPRESS:=gzip}" "${PE_S3_BUCKET:=}"
  state_dir=/var/lib/pulumi-etcd
  metrics_dir=/var/lib/node_exporter/textfile_collector
  log() { printf '[%s etcd-snapshot] %s\n' "$(hostname)" "$*" >&2; }
  tls=(--endpoints https://127.0.0.1:2379 --cacert /etc/etcd/pki/ca.crt --cert /etc/etcd/pki/server.crt --key /etc/etcd/pki/server.key --command-timeout 60s)
  work=$(mktemp -d /var/tmp/pe-snapshot.XXXXXX)
  lock_ctl=("${tls[@]}")
  trap 'cluster_lock_release; rm -rf "$work"' EXIT
  install -d -m 0755 "$state_dir" "$metrics_dir"

  write_status() { # result, message
    local now
    now=$(date -u +%s)
    {
      if [[ -f $state_dir/snapshot-status ]]; then grep -v "^last_$1" "$state_dir/snapshot-status" || true; fi
      printf 'last_%s=%s\nlast_%s_message=%s\n' "$1" "$now" "$1" "$2"
    } >"$work/status"
    mv "$work/status" "$state_dir/snapshot-status"
  }

  fail() {
    log "ERROR: $*"
    write_status error "$*"
    printf 'etcd_snapshot_last_failure_timestamp_seconds %s\n' "$(date -u +%s)" >"$metrics_dir/etcd_snapshot_failure.prom"
    exit 1
  }
  trap 'fail "step failed at line $LINENO"' ERR
  # shellcheck disable=SC2317 # called by lib/s3.sh
  die() { fail "$*"; }

  status=$(etcdctl "${tls[@]}" endpoint status -w json)
  me=$(grep -o '"member_id":[0-9]*' <<<"$status" | head -n1 | cut -d: -f2)
  leader=$(grep -o '"leader":[0-9]*' <<<"$status" | head -n1 | cut -d: -f2)
  # The version the member runs (the etcd on PATH may already be a newer one installed beside it).
  server_version=$(grep -o '"version":"[^"]*"' <<<"$status" | head -n1 | cut -d'"' -f4)
  if [[ ${PE_FORCE:-0} != 1 ]] && [[ -z $me || $me != "$leader" ]]; then
    log "not the leader: skipping (the leader takes this interval's snapshot)"
    exit 0
  fi

  if [[ ${1:-} == lock ]]; then
    lock_rc=0
    cluster_lock_take "$PE_CLUSTER" "scheduled snapshot" "etcd-snapshot timer" || lock_rc=$?
    ((lock_rc != 2)) || fail "cluster lock: etcd did not answer"
    if ((lock_rc == 1)); then
      log "skipped: the cluster lock is held by ${lock_holder:-another operation}"
      write_status skipped "cluster lock held by ${lock_holder:-another operation}"
      printf 'etcd_snapshot_last_skipped_timestamp_seconds %s\n' "$(date -u +%s)" >"$metrics_dir/etcd_snapshot_skipped.prom"
      exit 0
    fi
    log "took the cluster lock /pulumi-etcd/$PE_CLUSTER/lock (lease $lock_lease)"
  fi

  etcdctl "${tls[@]}" snapshot save "$work/snapshot.db" >/dev/null 2>"$work/save.log" || fail "snapshot save: $(tail -n1 "$work/save.log")"
  info=$(etcdutl snapshot status "$work/snapshot.db" -w json) || fail "etcdutl snapshot status rejected the snapshot"
  cluster_lock_release # the cluster's part is done: compression and upload need no lock
  field() { grep -o "\"$1\":[^,}]*" <<<"$info" | head -n1 | cut -d: -f2 | tr -d '"'; }
  revision=$(field revision)
  keys=$(field totalKey)
  db_sha=$(sha256sum "$work/snapshot.db" | cut -d' ' -f1)
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  name="$PE_CLUSTER-$stamp-r$revision.db"
  if [[ $PE_COMPRESS == gzip ]]; then
    gzip -c "$work/snapshot.db" >"$work/$name.gz"
    name="$name.gz"
  else
    mv "$work/snapshot.db" "$work/$name"
  fi
  size=$(stat -c %s "$work/$name")
  sha=$(sha256sum "$work/$name" | cut -d' ' -f1)
  printf '{"file":"%s","revision":%s,"keys":%s,"size":%s,"sha256":"%s","dbSha256":"%s","member":"%s","etcdVersion":"%s","time":"%s","compression":"%s"}\n' \
    "$name" "$revision" "$keys" "$size" "$sha" "$db_sha" "$PE_MEMBER" "$server_version" "$stamp" "$PE_COMPRESS" >"$work/$name.json"
  log "snapshot $name: revision $revision, $keys keys, $size bytes, sha256 $sha"

  if [[ -n $PE_LOCAL_DIR ]]; then
    install -d -m 0700 "$PE_LOCAL_DIR"
    cp "$work/$name" "$work/$name.json" "$PE_LOCAL_DIR/"
    mapfile -t old < <(find "$PE_LOCAL_DIR" -maxdepth 1 -name "$PE_CLUSTER-*.db*" ! -name '*.json' -printf '%f\n' | sort -r | tail -n +"$((PE_KEEP + 1))")
    for f in "${old[@]}"; do rm -f "$PE_LOCAL_DIR/$f" "$PE_LOCAL_DIR/$f.json"; log "retention: removed local $f"; done
  fi

  if [[ -n $PE_S3_BUCKET ]]; then
    : "${PE_S3_ENDPOINT:?}" "${PE_S3_PREFIX:=}"
    s3_init "$work"
    base="${PE_S3_ENDPOINT%/}/$PE_S3_BUCKET"
    s3 -T "$work/$name" "$base/$PE_S3_PREFIX$name" >/dev/null || fail "upload of $name to $base failed"
    s3 -T "$work/$name.json" "$base/$PE_S3_PREFIX$name.json" >/dev/null || fail "upload of $name.json failed"
    log "uploaded to $base/$PE_S3_PREFIX$name"
    listing=$(s3 "$base?list-type=2&prefix=$PE_S3_PREFIX$PE_CLUSTER-") || fail "listing $base failed"
    mapfile -t old < <(grep -o '<Key>[^<]*</Key>' <<<"$listing" | sed 's/<[^>]*>//g' | grep -v '\.json$' | sort -r | tail -n +"$((PE_KEEP + 1))")
    for k in "${old[@]}"; do
      if ! s3 -X DELETE "$base/$k" >/dev/null || ! s3 -X DELETE "$base/$k.json" >/dev/null; then fail "retention: deleting $k failed"; fi
      log "retention: removed s3 $k"
    done
  fi

  location=""
  [[ -n $PE_LOCAL_DIR ]] && location="$(hostname):$PE_LOCAL_DIR/$name"
  [[ -n $PE_S3_BUCKET ]] && location="s3://$PE_S3_BUCKET/$PE_S3_PREFIX$name"
  printf '::output file=%s\n::output sha256=%s\n::output revision=%s\n::output location=%s\n' "$name" "$sha" "$revision" "$location"
  write_status success "$name"
  {
    printf 'etcd_snapshot_last_success_timestamp_seconds %s\n' "$(date -u +%s)"
    printf 'etcd_snapshot_last_size_bytes %s\n' "$size"
    printf 'etcd_snapshot_last_revision %s\n' "$revision"
  } >"$metrics_dir/etcd_snapshot.prom.tmp"
  mv "$metrics_dir/etcd_snapshot.prom.tmp" "$metrics_dir/etcd_snapshot.prom"
}
