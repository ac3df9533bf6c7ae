#!/usr/bin/env bash
# etcd-snap-index: reports the raft index of the member's newest raft snapshot (the
# <term>-<index>.snap files in its data dir), read-only. An upgrade to 3.7 waits until every member
# has one taken on 3.6 after the cluster reached 3.6: 3.7 cannot apply log entries written before.
#
# Parameters (environment):
#   PE_DATA_DIR  the member's data dir
# Stdin: none.
# Outputs:
#   ::output index=<the newest snapshot's raft index, decimal; 0 when there is none>
# Idempotence: reads only.
# rerun-revision: 1
set -euo pipefail
# include: common/lib/common.sh
: "${PE_DATA_DIR:?}"
newest=0
shopt -s nullglob
for f in "$PE_DATA_DIR"/member/snap/*.snap; do
  name=${f##*/}
  hex=${name%.snap}
  hex=${hex#*-}
  [[ $hex =~ ^[0-9a-f]{16}$ ]] || continue
  index=$((16#$hex))
  ((index > newest)) && newest=$index
done
output index "$newest"
