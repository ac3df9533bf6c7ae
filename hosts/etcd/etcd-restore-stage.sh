#!/usr/bin/env bash
# Stages a restore beside the member's data dir while etcd keeps running: gets the snapshot, checks
# its sha256 and `etcdutl snapshot status`, and restores it into $PE_DATA_DIR.pe-restore/data with
# the arguments of the pure plan. Nothing else on the host changes; on failure the staging dir
# (ours alone) is removed, so a bad snapshot leaves the member exactly as it was.
#   PE_SOURCE=s3     the S3 settings on stdin (endpoint, region, bucket, key, maybe keys)
#   PE_SOURCE=stdin  the snapshot itself on stdin
#   PE_SOURCE=path   PE_SOURCE_PATH, a file on this host
#   PE_EXPECT_SHA256 the sha256 the file must have (for S3, else read from <key>.json if there)
#   PE_ETCDUTL_ARGS  `etcdutl snapshot restore` arguments, one per line
# Outputs: sha256 (of the file as fetched), revision, keys.
set -euo pipefail
# include: common/lib/common.sh
# include: common/lib/s3.sh
: "${PE_SOURCE:?}" "${PE_DATA_DIR:?}" "${PE_ETCDUTL_ARGS:?}" "${PE_EXPECT_SHA256:=}" "${PE_SOURCE_PATH:=}"
command -v etcdutl >/dev/null || die "etcdutl is not installed (the install step puts it in /usr/local/bin)"
getent passwd etcd >/dev/null || die "no etcd user on this host (the install step creates it)"
# The restored data is moved in place by a rename, which a mount point cannot take.
if mountpoint -q "$PE_DATA_DIR" 2>/dev/null; then
  die "$PE_DATA_DIR is a mount point: a restore replaces the data dir by renaming it. Use a dataDir below the mount (e.g. $PE_DATA_DIR/data). Nothing was changed."
fi
# Older etcd 3.5 releases' etcdutl cannot bump revisions: say so before fetching anything.
restore_help=$(etcdutl snapshot restore --help 2>&1 || true)
if grep -qx -- --bump-revision <<<"$PE_ETCDUTL_ARGS" && ! grep -q -- --bump-revision <<<"$restore_help"; then
  die "this host's etcdutl ($(etcdutl version 2>/dev/null | head -n1)) has no --bump-revision: upgrade etcd, or set restore.bumpRevision to 0 (watchers of the old cluster may then miss changes). Nothing was changed."
fi
stage="$PE_DATA_DIR.pe-restore"
# A stage left by an interrupted attempt is ours (never user data): start again.
rm -rf "$stage"
install -d -m 0700 "$stage"
cleanup() {
  local rc=$?
  if ((rc != 0)); then rm -rf "$stage"; else rm -f "$stage/curl.conf" "$stage/s3.env"; fi
}
trap cleanup EXIT
file="$stage/snapshot"

case $PE_SOURCE in
s3)
  (umask 077 && cat >"$stage/s3.env")
  # shellcheck source=/dev/null
  . "$stage/s3.env"
  : "${PE_S3_ENDPOINT:?}" "${PE_S3_BUCKET:?}" "${PE_S3_KEY:?}"
  s3_init "$stage"
  url="${PE_S3_ENDPOINT%/}/$PE_S3_BUCKET/$PE_S3_KEY"
  log "downloading s3://$PE_S3_BUCKET/$PE_S3_KEY"
  s3 -o "$file" "$url" 2>"$stage/curl.log" || die "download of s3://$PE_S3_BUCKET/$PE_S3_KEY failed: $(tail -n1 "$stage/curl.log"). Nothing was changed."
  if [[ -z $PE_EXPECT_SHA256 ]] && s3 -o "$stage/meta.json" "$url.json" 2>/dev/null; then
    PE_EXPECT_SHA256=$(json_string sha256 <"$stage/meta.json")
    log "expected sha256 from the metadata file beside it: $PE_EXPECT_SHA256"
  fi
  ;;
stdin) cat >"$file" ;;
path)
  [[ -f $PE_SOURCE_PATH ]] || die "$PE_SOURCE_PATH does not exist on $(hostname). Nothing was changed."
  cp "$PE_SOURCE_PATH" "$file"
  ;;
*) die "unknown source kind $PE_SOURCE" ;;
esac
[[ -s $file ]] || die "the snapshot is empty. Nothing was changed."
fetched=$SECONDS

# The sha256 and the gunzip read the same file: run them side by side.
sha256sum "$file" | cut -d' ' -f1 >"$stage/sha256" &
sha_pid=$!
db=$file
gunzip_ok=true
if [[ $(head -c2 "$file" | od -An -tx1 | tr -d ' \n') == 1f8b ]]; then
  db="$stage/snapshot.db"
  gzip -dc "$file" >"$db" 2>"$stage/gzip.log" || gunzip_ok=false
fi
wait "$sha_pid"
sha=$(cat "$stage/sha256")
if [[ -n $PE_EXPECT_SHA256 && $sha != "$PE_EXPECT_SHA256" ]]; then
  die "sha256 mismatch: expected $PE_EXPECT_SHA256, got $sha (a corrupt or different snapshot). Nothing was changed."
fi
$gunzip_ok || die "the snapshot is not a valid gzip file: $(tail -n1 "$stage/gzip.log"). Nothing was changed."
if [[ $db != "$file" ]]; then rm -f "$file"; fi
checked=$SECONDS
size=$(stat -c %s "$db")
avail=$(df -Pk "$stage" | awk 'NR==2 {print $4 * 1024}')
((avail > size + size / 5)) || die "not enough disk for the restored data beside $PE_DATA_DIR: $((avail / 1048576)) MiB free, ~$((size * 6 / 5 / 1048576)) MiB needed. Nothing was changed."
info=$(etcdutl snapshot status "$db" -w json 2>"$stage/status.log") ||
  die "etcdutl snapshot status rejected the snapshot: $(tail -n1 "$stage/status.log"). Nothing was changed."
field() { grep -o "\"$1\":[^,}]*" <<<"$info" | head -n1 | cut -d: -f2 | tr -d '"'; }
mapfile -t args <<<"$PE_ETCDUTL_ARGS"
etcdutl snapshot restore "$db" "${args[@]}" >"$stage/restore.log" 2>&1 ||
  die "etcdutl snapshot restore failed: $(grep -v '^\s*$' "$stage/restore.log" | tail -n2 | tr '\n' ' '). Nothing was changed."
rm -f "$db" "$stage/restore.log" "$stage/status.log"
chown -R etcd:etcd "$stage/data"
chmod 0700 "$stage/data"
log "restore staged in $stage/data: revision $(field revision), $(field totalKey) keys, sha256 $sha ($((size / 1048576)) MiB; fetch $fetched s, sha256 and unpack $((checked - fetched)) s, status and etcdutl restore $((SECONDS - checked)) s)"
output sha256 "$sha"
output revision "$(field revision)"
output keys "$(field totalKey)"
