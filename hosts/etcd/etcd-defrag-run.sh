#!/usr/bin/env bash
# etcd-defrag-run: the pulumi-etcd maintenance runner, installed by etcd-defrag-schedule as
# /usr/local/lib/pulumi-etcd/etcd-defrag-run and started by etcd-defrag.timer (PE_MODE=defrag) and
# etcd-nospace.timer (PE_MODE=nospace). Only the current leader's runner acts: it defragments the
# members above the thresholds (or, with a NOSPACE alarm, compacts, defragments every member and
# disarms the alarm), one at a time, followers first, the leader last after moving leadership away,
# only while every member is healthy (etcd/lib/defrag.sh). Every member's runner writes its own db
# size gauges. Leaves a status file (/var/lib/pulumi-etcd/defrag-status) and a node-exporter
# textfile metric (etcd_defrag.prom); a failed run exits non-zero.
#
# Parameters (environment; the units set PE_MODE only):
#   PE_DEFRAG_CONF  the settings file (default /etc/pulumi-etcd/defrag.env)
#   PE_MODE         defrag (default) or nospace (act only on a NOSPACE alarm)
#   PE_FORCE        1: act even when this member is not the leader, thresholds ignored
#   PE_HEALTH_TIMEOUT  seconds to wait for a healthy cluster after each member (default 60)
# Stdin: none. The settings file (0600, from etcd-defrag-schedule's stdin) sets:
#   PE_CLUSTER                  the cluster's name
#   PE_MEMBER                   this member's name
#   PE_MIN_FRAGMENTED_BYTES     a member is defragmented when at least this many bytes are free pages
#   PE_MIN_FRAGMENTED_PERMILLE  ... and at least this share (in thousandths) of its db file
#   PE_RECOVER_NOSPACE          1: recover from a NOSPACE alarm; 0: leave it
# Outputs:
#   ::output result=<what was done>   (when it acted)
#   ::output tookMs=<milliseconds>
# Idempotence: not a Pulumi step but the timers' job; a run with nothing above the thresholds and
#   no alarm changes nothing in etcd.
# rerun-revision: 1
set -euo pipefail
# include: etcd/lib/cluster-lock.sh
# include: etcd/lib/defrag.sh
defrag_main lock
