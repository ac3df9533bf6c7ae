#!/usr/bin/env bash
# etcd-restore-stage: stages a restore beside the member's data dir while etcd keeps running: gets the
# snapshot, checks its sha256 and `etcdutl snapshot status`, and restores it into
# $PE_DATA_DIR.pe-restore/data with the arguments of the pure plan. Nothing else on the host changes;
# on failure the staging dir (ours alone) is removed, so a bad snapshot leaves the member exactly as
# it was, and the one ERROR: line says what is wrong, what was checked and what to do.
#
# Parameters (environment):
#   PE_SOURCE         where the snapshot is: s3 (settings on stdin), stdin (the file itself), path
#   PE_SOURCE_PATH    with PE_SOURCE=path: the snapshot file on this host
#   PE_DATA_DIR       the member's data dir
#   PE_ETCDUTL_ARGS   `etcdutl snapshot restore` arguments, one per line
#   PE_EXPECT_SHA256  the sha256 the file must have (for S3, else read from <key>.json if there)
# Stdin (secret): with PE_SOURCE=stdin the snapshot; with PE_SOURCE=s3 a settings file (written 0600
#   in the stage, never printed) that sets:
#   PE_S3_ENDPOINT     the S3 endpoint URL
#   PE_S3_BUCKET       the bucket
#   PE_S3_KEY          the snapshot's key
#   PE_S3_REGION       the region for SigV4 (default us-east-1)
#   PE_S3_ACCESS_KEY   the access key (none: the instance role's, from IMDSv2)
#   PE_S3_SECRET_KEY   the secret key
#   PE_IMDS_ENDPOINT   the instance metadata service (default http://169.254.169.254)
#   PE_S3_MAX_TIME     the longest a transfer may take, in seconds (default 3600)
# Outputs:
#   ::output sha256=<sha256 of the file as fetched>
#   ::output revision=<the snapshot's revision>
#   ::output keys=<the snapshot's key count>
# Idempotence: a re-run with the same parameters builds the same stage again (a stage left over is
#   ours and is replaced); it never touches the data dir, the config or the running etcd.
# rerun-revision: 1
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
advice="Take another snapshot, compare this file's sha256 with the one recorded when it was taken, or restore an older snapshot. Nothing was changed."
if [[ -n $PE_EXPECT_SHA256 && $sha != "$PE_EXPECT_SHA256" ]]; then
  die "sha256 mismatch: expected $PE_EXPECT_SHA256, got $sha (a corrupt or different snapshot). $advice"
fi
if [[ -n $PE_EXPECT_SHA256 ]]; then
  checks="checked: its sha256 $sha matches the expected one"
else
  checks="checked: its sha256 is $sha, but no expected sha256 was given or found beside it"
fi
$gunzip_ok || die "the snapshot file is corrupt: it is not a valid gzip file (gzip says \"$(error_reason "$stage/gzip.log")\"; $checks). $advice"
if [[ $db != "$file" ]]; then rm -f "$file"; fi
checked=$SECONDS
size=$(stat -c %s "$db")
# The restored data takes about the snapshot's size, plus a fifth for the WAL and the bumped revision.
require_free_kib "$stage" $(((size + size / 5) / 1024)) "the restored data beside $PE_DATA_DIR"
info=$(etcdutl snapshot status "$db" -w json 2>"$stage/status.log") ||
  die "the snapshot file is corrupt or not an etcd snapshot: etcdutl snapshot status says \"$(error_reason "$stage/status.log")\" ($checks; then etcdutl snapshot status, which refused it). $advice"
field() { grep -o "\"$1\":[^,}]*" <<<"$info" | head -n1 | cut -d: -f2 | tr -d '"'; }
mapfile -t args <<<"$PE_ETCDUTL_ARGS"
if ! etcdutl snapshot restore "$db" "${args[@]}" >"$stage/restore.log" 2>&1; then
  reason=$(error_reason "$stage/restore.log")
  if grep -qi 'no space left' "$stage/restore.log"; then
    die "the disk beside $PE_DATA_DIR ran full while restoring the snapshot: etcdutl snapshot restore says \"$reason\" ($(($(free_kib "$stage") / 1024)) MiB free now). Free some space and run again. Nothing was changed."
  fi
  die "the snapshot file is corrupt or not an etcd snapshot: etcdutl snapshot restore says \"$reason\" ($checks; etcdutl snapshot status accepted it, restoring it failed). $advice"
fi
rm -f "$db" "$stage/restore.log" "$stage/status.log"
chown -R etcd:etcd "$stage/data"
chmod 0700 "$stage/data"
log "restore staged in $stage/data: revision $(field revision), $(field totalKey) keys, sha256 $sha ($((size / 1048576)) MiB; fetch $fetched s, sha256 and unpack $((checked - fetched)) s, status and etcdutl restore $((SECONDS - checked)) s)"
output sha256 "$sha"
output revision "$(field revision)"
output keys "$(field totalKey)"
