#!/usr/bin/env bash
# etcd-defrag-now: one maintenance run now from this member, leader or not: EtcdCluster's
# maintenance `trigger` (every member defragmented, thresholds ignored) and the NOSPACE recovery of
# `pulumi up` (PE_MODE=nospace). Same rules and order as the timers' runner (etcd/lib/defrag.sh).
#
# Parameters (environment):
#   PE_TRIGGER  why it runs (any text; shown in the log)
#   PE_MODE     defrag (every member, thresholds ignored) or nospace (a NOSPACE recovery; nothing
#               without the alarm)
#   PE_HEALTH_TIMEOUT  seconds to wait for a healthy cluster after each member (default 60)
# Stdin: the settings file of etcd/lib/defrag.sh (written 0600 under /run and removed), which sets:
#   PE_CLUSTER                  the cluster's name
#   PE_MEMBER                   this member's name
#   PE_MIN_FRAGMENTED_BYTES     a member is defragmented when at least this many bytes are free pages
#   PE_MIN_FRAGMENTED_PERMILLE  ... and at least this share (in thousandths) of its db file
#   PE_RECOVER_NOSPACE          1: recover from a NOSPACE alarm; 0: leave it
# Defines (constants, not parameters; set here for etcd/lib/defrag.sh):
#   PE_DEFRAG_CONF  the settings file
#   PE_FORCE        1: act from this member (in mode defrag: every member, thresholds ignored)
# Outputs:
#   ::output result=<what was done>   (when it acted)
#   ::output tookMs=<milliseconds>
# Idempotence: none by design: every run defragments (mode defrag). Pulumi runs it only when the
#   trigger changes, and in mode nospace only while the alarm is active.
# rerun-revision: 1
set -euo pipefail
# include: etcd/lib/cluster-lock.sh
# include: etcd/lib/defrag.sh
: "${PE_TRIGGER:=}" "${PE_MODE:=defrag}"
echo "[$(hostname) etcd-defrag-now] maintenance run now (mode $PE_MODE)${PE_TRIGGER:+ (trigger: $PE_TRIGGER)}" >&2
command -v etcdctl >/dev/null || { echo "etcdctl is not installed on this host" >&2; exit 1; }
conf=/run/pe-defrag-now.env
(umask 077 && cat >"$conf")
if (PE_DEFRAG_CONF=$conf PE_FORCE=1 defrag_main no-lock); then rc=0; else rc=$?; fi
rm -f "$conf"
exit "$rc"
