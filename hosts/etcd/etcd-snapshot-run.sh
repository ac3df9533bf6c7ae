#!/usr/bin/env bash
# etcd-snapshot-run: the pulumi-etcd snapshot runner, installed by etcd-snapshot-schedule as
# /usr/local/lib/pulumi-etcd/etcd-snapshot-run and started by etcd-snapshot.timer. Only the current
# leader takes the snapshot, so a cluster gets one per interval. Steps: snapshot save, etcdutl status
# check, sha256, compress, local dir and/or S3 (SigV4) with a metadata file beside it, retention
# (keep the newest N, locally and remotely). Leaves a status file and a node-exporter textfile
# metric; a failed run exits non-zero. It takes the cluster lock for the snapshot save and skips its
# run (exit 0, last_skipped in the status file) while another operation holds it (etcd/lib/snapshot.sh).
#
# Parameters (environment; the timer passes none):
#   PE_SNAPSHOT_CONF  the settings file (default /etc/pulumi-etcd/snapshot.env)
#   PE_FORCE          1: take the snapshot even when this member is not the leader
# Stdin: none. The settings file (0600, from etcd-snapshot-schedule's stdin; secret) sets:
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
# Status: /var/lib/pulumi-etcd/snapshot-status, last_success / last_error / last_skipped (each a
#   timestamp and a _message line).
# Outputs:
#   ::output file=<the snapshot's file name>    (when it took one)
#   ::output sha256=<its sha256>
#   ::output revision=<its revision>
#   ::output location=<s3://bucket/prefix/file, or host:/dir/file when kept only locally>
# Idempotence: none by design: every run on the leader takes a new snapshot (and applies
#   retention); it is not a Pulumi step but the timer's job.
# rerun-revision: 1
set -euo pipefail
# include: common/lib/s3.sh
# include: etcd/lib/cluster-lock.sh
# include: etcd/lib/snapshot.sh
snapshot_main lock
