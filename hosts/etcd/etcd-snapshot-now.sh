#!/usr/bin/env bash
# etcd-snapshot-now: takes one snapshot now on this member, leader or not (for example before an
# upgrade), with the settings on stdin. Its location and sha256 are the outputs.
#
# Parameters (environment):
#   PE_TRIGGER  why the snapshot is taken (any text; a new value makes Pulumi take a new one)
#   PE_NEED_MIB  free MiB the snapshot needs in /var/tmp (where it is written, then compressed) and
#               in /var/lib (its local copy); empty: not checked
#   PE_PREFER_SCHEDULE  1: when this host has a SnapshotSchedule of the same cluster
#               (/etc/pulumi-etcd/snapshot.env naming the PE_CLUSTER of stdin), the snapshot goes
#               where the schedule's do (its local dir and/or S3, its retention) instead of where
#               stdin says; empty or 0: stdin's settings
# Stdin (secret): the settings file of etcd/lib/snapshot.sh (written 0600 under /run and removed),
#   which sets:
#   PE_CLUSTER      the cluster's name (in the file name)
#   PE_MEMBER       this member's name (in the metadata)
#   PE_KEEP         how many snapshots to keep (default 5)
#   PE_LOCAL_DIR    local directory for snapshots, empty for none
#   PE_COMPRESS     gzip or none (default gzip)
#   PE_S3_BUCKET    the bucket, empty for no upload
#   PE_S3_ENDPOINT  the S3 endpoint URL
#   PE_S3_PREFIX    the key prefix
#   PE_S3_REGION    the region for SigV4 (default us-east-1)
#   PE_S3_ACCESS_KEY  the access key (none: the instance role's, from IMDSv2)
#   PE_S3_SECRET_KEY  the secret key
#   PE_IMDS_ENDPOINT  the instance metadata service (default http://169.254.169.254)
#   PE_S3_MAX_TIME  the longest a transfer may take, in seconds (default 3600)
# Defines (constants, not parameters; set here for etcd/lib/snapshot.sh):
#   PE_SNAPSHOT_CONF  the settings file
#   PE_FORCE          1: take the snapshot even when this member is not the leader
# Outputs:
#   ::output file=<the snapshot's file name>
#   ::output sha256=<its sha256>
#   ::output revision=<its revision>
#   ::output location=<s3://bucket/prefix/file, or host:/dir/file when kept only locally>
# Idempotence: none by design: every run takes a new snapshot (and applies retention). Pulumi runs
#   it only on create and when PE_TRIGGER changes.
# rerun-revision: 1
set -euo pipefail
# include: common/lib/s3.sh
# include: etcd/lib/cluster-lock.sh
# include: etcd/lib/snapshot.sh
: "${PE_TRIGGER:=}" "${PE_NEED_MIB:=}" "${PE_PREFER_SCHEDULE:=}"
if [[ -n $PE_NEED_MIB ]]; then
  [[ $PE_NEED_MIB =~ ^[0-9]+$ ]] || { echo "bad PE_NEED_MIB" >&2; exit 1; }
  for d in /var/tmp /var/lib; do
    free=$(df -Pk -- "$d" | awk 'NR==2 {print $4}')
    if [[ ! $free =~ ^[0-9]+$ ]] || ((free < PE_NEED_MIB * 1024)); then
      echo "[$(hostname) etcd-snapshot-now] ERROR: not enough disk for the snapshot in $d: $((${free:-0} / 1024)) MiB free, $PE_NEED_MIB MiB needed. Nothing was changed." >&2
      exit 1
    fi
  done
fi
echo "[$(hostname) etcd-snapshot-now] taking a snapshot now${PE_TRIGGER:+ (trigger: $PE_TRIGGER)}" >&2
command -v etcdctl >/dev/null || { echo "etcdctl is not installed on this host" >&2; exit 1; }
conf=/run/pe-snapshot-now.env
(umask 077 && cat >"$conf")
schedule_conf=/etc/pulumi-etcd/snapshot.env
# shellcheck source=/dev/null
cluster_of() { (. "$1" && printf '%s' "${PE_CLUSTER:-}"); }
if [[ ${PE_PREFER_SCHEDULE:-} == 1 && -f $schedule_conf ]] && [[ $(cluster_of "$schedule_conf") == "$(cluster_of "$conf")" ]]; then
  echo "[$(hostname) etcd-snapshot-now] to the SnapshotSchedule's destination ($schedule_conf)" >&2
  cp "$schedule_conf" "$conf"
fi
if (PE_SNAPSHOT_CONF=$conf PE_FORCE=1 snapshot_main no-lock); then rc=0; else rc=$?; fi
rm -f "$conf"
exit "$rc"
