#!/usr/bin/env bash
# pulumi-etcd snapshot run (installed by SnapshotSchedule as /usr/local/lib/pulumi-etcd/etcd-snapshot-run,
# started by etcd-snapshot.timer). Only the current leader takes the snapshot, so a cluster gets one
# per interval. Steps: snapshot save → etcdutl status check → sha256 → compress → local dir and/or
# S3 (SigV4) with a metadata file beside it → retention (keep the newest N, locally and remotely).
# Leaves a status file and a node-exporter textfile metric; a failed run exits non-zero.
set -euo pipefail
# include: common/lib/s3.sh
# include: etcd/lib/snapshot.sh
snapshot_main
