#!/usr/bin/env bash
# etcd/lib/defrag.sh: one maintenance run, shared by the timers' runner (etcd-defrag-run) and the
# on-demand step (etcd-defrag-now). Only the current leader's runner acts unless PE_FORCE=1. The
# rules are planning/etcd/maintenance.ts's (defragPlan), applied here in bash:
#   - nothing unless every member of the member list answers its own status, they agree on one
#     leader, none is a learner, and no alarm other than NOSPACE is active;
#   - with a NOSPACE alarm (and PE_RECOVER_NOSPACE=1): compact to the current revision, defragment
#     every member, disarm the alarm;
#   - otherwise (mode defrag) the members whose free pages reach both thresholds, or every member
#     with PE_FORCE=1; mode nospace does nothing without the alarm;
#   - one member at a time: followers by name, the leader last after leadership moved to another
#     member (`etcdctl move-leader`); after each, the cluster must be healthy again before the next.
# Leaves a status file and a node-exporter textfile metric; a failed run exits non-zero.
# defrag_main's argument: "lock" (the timers' runner) takes the cluster lock (etcd/lib/cluster-lock.sh)
# for the run and skips it (exit 0, `last_skipped` in the status file) while another operation holds
# it; "no-lock" (the on-demand step) runs inside a `pulumi up` whose provider holds it.
# Parameters (environment):
#   PE_DEFRAG_CONF  the settings file (default /etc/pulumi-etcd/defrag.env)
#   PE_MODE         defrag (default: thresholds; a NOSPACE alarm is recovered too) or nospace (only
#                   a NOSPACE recovery)
#   PE_FORCE        1: act even when this member is not the leader, and defragment every member
#                   (thresholds ignored)
#   PE_HEALTH_TIMEOUT  seconds to wait for a healthy cluster after each member (default 60)
# The settings file sets:
#   PE_CLUSTER                  the cluster's name
#   PE_MEMBER                   this member's name
#   PE_MIN_FRAGMENTED_BYTES     a member is defragmented when at least this many bytes are free pages
#   PE_MIN_FRAGMENTED_PERMILLE  ... and at least this share (in thousandths) of its db file
#   PE_RECOVER_NOSPACE          1: recover from a NOSPACE alarm; 0: leave it
defrag_main() {
  local conf=${PE_DEFRAG_CONF:-/etc/pulumi-etcd/defrag.env}
  # shellcheck source=/dev/null
  . "$conf"
  : "${PE_CLUSTER:?}" "${PE_MEMBER:?}" "${PE_MIN_FRAGMENTED_BYTES:=104857600}" "${PE_MIN_FRAGMENTED_PERMILLE:=250}" "${PE_RECOVER_NOSPACE:=1}"
  mode=${PE_MODE:-defrag}
  force=${PE_FORCE:-0}
  health_timeout=${PE_HEALTH_TIMEOUT:-60}
  state_dir=/var/lib/pulumi-etcd
  metrics_dir=/var/lib/node_exporter/textfile_collector
  log() { printf '[%s etcd-defrag] %s\n' "$(hostname)" "$*" >&2; }
  tls=(--cacert /etc/etcd/pki/ca.crt --cert /etc/etcd/pki/server.crt --key /etc/etcd/pki/server.key)
  local_ep=https://127.0.0.1:2379
  work=$(mktemp -d /var/tmp/pe-defrag.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  install -d -m 0755 "$state_dir" "$metrics_dir"
  started=$(date +%s%N)

  write_status() { # result, message
    {
      if [[ -f $state_dir/defrag-status ]]; then grep -v "^last_$1" "$state_dir/defrag-status" || true; fi
      printf 'last_%s=%s\nlast_%s_message=%s\n' "$1" "$(date -u +%s)" "$1" "$2"
    } >"$work/status"
    mv "$work/status" "$state_dir/defrag-status"
  }
  # Metric lines for the textfile collector: each replaces the line of the same series (name and
  # labels) in etcd_defrag.prom; the others stay.
  write_metrics() {
    local l tmp=$metrics_dir/etcd_defrag.prom.tmp
    if [[ -f $metrics_dir/etcd_defrag.prom ]]; then cp "$metrics_dir/etcd_defrag.prom" "$tmp"; else : >"$tmp"; fi
    for l in "$@"; do
      grep -vF -- "${l%% *} " "$tmp" >"$tmp.2" || true
      mv "$tmp.2" "$tmp"
    done
    printf '%s\n' "$@" >>"$tmp"
    mv "$tmp" "$metrics_dir/etcd_defrag.prom"
  }
  fail() {
    log "ERROR: $*"
    write_status error "$*"
    write_metrics "etcd_defrag_last_failure_timestamp_seconds $(date -u +%s)"
    exit 1
  }
  trap 'fail "step failed at line $LINENO"' ERR
  # shellcheck disable=SC2317 # called by common.sh helpers
  die() { fail "$*"; }
  [[ $mode == defrag || $mode == nospace ]] || fail "PE_MODE must be defrag or nospace, not '$mode'"

  # This member's own view: who leads, its db sizes (a gauge per member, written by every runner).
  local_status=$(etcdctl "${tls[@]}" --endpoints "$local_ep" --command-timeout 10s endpoint status -w fields) || fail "this member ($PE_MEMBER) does not answer"
  field() { sed -n "s/^\"$1\" : //p" <<<"$2" | head -n1 | tr -d '"'; }
  me=$(field MemberID "$local_status")
  leader=$(field Leader "$local_status")
  write_metrics "etcd_defrag_db_size_bytes $(field DBSize "$local_status")" "etcd_defrag_db_size_in_use_bytes $(field DBSizeInUse "$local_status")"
  if [[ $force != 1 && $me != "$leader" ]]; then
    [[ $mode == nospace ]] || log "not the leader: skipping (the leader's runner acts)"
    exit 0
  fi

  # The timers' runner ("lock") takes the cluster lock for the run and skips it while another
  # operation (a membership change, an upgrade, a restore, a snapshot) holds it; the on-demand step
  # ("no-lock") runs inside a `pulumi up` whose provider holds it.
  if [[ ${1:-} == lock ]]; then
    lock_ctl=("${tls[@]}" --endpoints "$local_ep" --command-timeout 10s)
    trap 'cluster_lock_release; rm -rf "$work"' EXIT
    lock_rc=0
    cluster_lock_take "$PE_CLUSTER" "$mode" "etcd-defrag timer" || lock_rc=$?
    if ((lock_rc == 2)); then
      # Under a NOSPACE alarm etcd grants no lease and takes no put: nothing else can hold the lock
      # or change data either, and the recovery is what frees the space.
      etcdctl "${lock_ctl[@]}" alarm list 2>/dev/null | grep -q NOSPACE || fail "cluster lock: etcd did not answer"
      log "NOSPACE: etcd grants no lease, so this recovery runs without the cluster lock"
    fi
    if ((lock_rc == 1)); then
      log "skipped: the cluster lock is held by ${lock_holder:-another operation}"
      write_status skipped "cluster lock held by ${lock_holder:-another operation}"
      write_metrics "etcd_defrag_last_skipped_timestamp_seconds $(date -u +%s)"
      exit 0
    fi
    log "took the cluster lock /pulumi-etcd/$PE_CLUSTER/lock (lease $lock_lease)"
  fi

  # Every member of the member list, by its own endpoint: id (decimal), name, endpoint.
  members=$(etcdctl "${tls[@]}" --endpoints "$local_ep" --command-timeout 10s member list -w fields) || fail "cannot read the member list"
  declare -gA name_of=() ep_of=() learner_of=()
  ids=()
  id="" name="" ep="" lrn=""
  flush_member() {
    if [[ -n $id ]]; then
      ids+=("$id")
      name_of[$id]=${name:-unstarted-$id}
      ep_of[$id]=$ep
      learner_of[$id]=$lrn
    fi
    id="" name="" ep="" lrn=""
  }
  while IFS= read -r line; do
    case $line in
    '"ID" : '*) flush_member; id=${line#'"ID" : '} ;;
    '"Name" : '*) name=${line#'"Name" : '}; name=${name//\"/} ;;
    '"ClientURL" : '*) [[ -n $ep ]] || { ep=${line#'"ClientURL" : '}; ep=${ep//\"/}; } ;;
    '"IsLearner" : '*) lrn=${line#'"IsLearner" : '} ;;
    esac
  done <<<"$members"
  flush_member

  # Each member's status from its own endpoint: leader, sizes, alarms. Fills the s_* maps; returns
  # non-zero (with a reason in $why) when the cluster is not healthy enough to touch.
  declare -gA s_leader=() s_size=() s_inuse=() s_rev=()
  read_statuses() {
    local i out leaders=() alarms
    why=""
    nospace=false
    if ! alarms=$(etcdctl "${tls[@]}" --endpoints "$local_ep" --command-timeout 10s alarm list 2>"$work/err"); then
      why="cannot read the alarms ($(tail -n1 "$work/err"))"
      return 1
    fi
    if grep -q 'alarm:NOSPACE' <<<"$alarms"; then nospace=true; fi
    if grep -o 'alarm:[A-Z]*' <<<"$alarms" | grep -qv ':NOSPACE$'; then
      why="alarm(s) $(grep -o 'alarm:[A-Z]*' <<<"$alarms" | sort -u | paste -sd' ') active: resolve them first (defragmentation does not)"
      return 1
    fi
    for i in "${ids[@]}"; do
      if [[ ${learner_of[$i]} == true ]]; then why="${name_of[$i]} is a learner: finish that member change first"; return 1; fi
      if [[ -z ${ep_of[$i]} ]]; then why="${name_of[$i]} has no client URL (not started)"; return 1; fi
      if ! out=$(etcdctl "${tls[@]}" --endpoints "${ep_of[$i]}" --command-timeout 10s endpoint status -w fields 2>"$work/err"); then
        why="${name_of[$i]} does not answer ($(tail -n1 "$work/err")): no defragmentation while a member is down"
        return 1
      fi
      s_leader[$i]=$(field Leader "$out")
      s_size[$i]=$(field DBSize "$out")
      s_inuse[$i]=$(field DBSizeInUse "$out")
      s_rev[$i]=$(field Revision "$out")
      leaders+=("${s_leader[$i]}")
    done
    if [[ $(printf '%s\n' "${leaders[@]}" | sort -u | wc -l) != 1 || ${leaders[0]} == 0 || -z ${name_of[${leaders[0]}]:-} ]]; then
      why="the members do not agree on one leader"
      return 1
    fi
    cur_leader=${leaders[0]}
  }
  # Until every member answers and they agree on one leader again, and a linearizable read passes.
  wait_healthy() {
    local until=$(($(date +%s) + health_timeout))
    while :; do
      if read_statuses && etcdctl "${tls[@]}" --endpoints "$local_ep" --command-timeout 5s get pulumi-etcd-health >/dev/null 2>&1; then return 0; fi
      (($(date +%s) < until)) || fail "cluster not healthy ${health_timeout} s after $1: ${why:-a linearizable read fails}; stopping here"
      sleep 0.2
    done
  }
  pct() { if (($2 > 0)); then echo $(($1 * 100 / $2)); else echo 0; fi; }

  if ! read_statuses || ! etcdctl "${tls[@]}" --endpoints "$local_ep" --command-timeout 5s get pulumi-etcd-health >/dev/null 2>"$work/err"; then
    why=${why:-a linearizable read fails ($(tail -n1 "$work/err"))}
    # Asked for (a trigger, `pulumi up`'s NOSPACE recovery): a refusal fails the step. A timer's run skips.
    if [[ $force == 1 ]]; then fail "nothing done: $why"; fi
    log "nothing done: $why"
    write_status skipped "$why"
    exit 0
  fi
  recover=false
  if $nospace; then
    if [[ $PE_RECOVER_NOSPACE == 1 ]]; then recover=true; else log "NOSPACE alarm active; recovery is turned off (recoverNospace: false)"; fi
  fi
  if [[ $mode == nospace ]] && ! $recover; then exit 0; fi

  # The plan: followers by name, the leader last.
  followers=()
  while IFS= read -r i; do [[ -n $i ]] && followers+=("$i"); done < <(
    for i in "${ids[@]}"; do [[ $i == "$cur_leader" ]] || printf '%s %s\n' "${name_of[$i]}" "$i"; done | sort | cut -d' ' -f2
  )
  plan=()
  for i in "${followers[@]}" "$cur_leader"; do
    frag=$((s_size[$i] - s_inuse[$i]))
    if $recover || [[ $force == 1 ]] || { ((frag >= PE_MIN_FRAGMENTED_BYTES)) && ((frag * 1000 >= PE_MIN_FRAGMENTED_PERMILLE * s_size[$i])); }; then
      plan+=("$i")
    else
      log "${name_of[$i]}: $frag of ${s_size[$i]} bytes fragmented ($(pct "$frag" "${s_size[$i]}")%): below the thresholds, left as it is"
    fi
  done
  if ((${#plan[@]} == 0)); then
    log "nothing to defragment"
    write_status success "nothing to defragment"
    write_metrics "etcd_defrag_last_success_timestamp_seconds $(date -u +%s)" "etcd_defrag_last_members_defragmented 0"
    exit 0
  fi
  names=()
  for i in "${plan[@]}"; do names+=("${name_of[$i]}"); done
  how=""
  if $recover; then how="NOSPACE alarm: compact, then "; fi
  log "${how}defragment in this order: ${names[*]} (leader: ${name_of[$cur_leader]})"

  if $recover; then
    rev=${s_rev[$cur_leader]}
    etcdctl "${tls[@]}" --endpoints "$local_ep" --command-timeout 300s compaction --physical "$rev" >/dev/null 2>"$work/err" ||
      grep -q 'required revision has been compacted' "$work/err" || fail "compaction to revision $rev: $(tail -n1 "$work/err")"
    log "compacted to revision $rev"
  fi

  freed=0
  done_names=()
  for i in "${plan[@]}"; do
    read_statuses || fail "before defragmenting ${name_of[$i]}: $why"
    if [[ $i == "$cur_leader" && ${#ids[@]} -gt 1 ]]; then
      # Leadership goes to another member first (the first follower defragmented, else any follower).
      target=""
      for t in "${plan[@]}" "${followers[@]}"; do if [[ $t != "$i" ]]; then target=$t; break; fi; done
      hex=$(printf '%x' "$target")
      etcdctl "${tls[@]}" --endpoints "${ep_of[$i]}" --command-timeout 30s move-leader "$hex" >/dev/null 2>"$work/err" ||
        fail "moving leadership from ${name_of[$i]} to ${name_of[$target]}: $(tail -n1 "$work/err")"
      log "leadership moved from ${name_of[$i]} to ${name_of[$target]}"
      wait_healthy "moving leadership"
      [[ $cur_leader != "$i" ]] || fail "${name_of[$i]} still leads after move-leader"
    fi
    role=""
    [[ $i == "$cur_leader" ]] && role=" (the leader)"
    before=${s_size[$i]}
    t0=$(date +%s%N)
    etcdctl "${tls[@]}" --endpoints "${ep_of[$i]}" --command-timeout 600s defrag >/dev/null 2>"$work/err" ||
      fail "defragmenting ${name_of[$i]}: $(tail -n1 "$work/err")"
    ms=$((($(date +%s%N) - t0) / 1000000))
    wait_healthy "defragmenting ${name_of[$i]}"
    after=${s_size[$i]}
    freed=$((freed + before - after))
    done_names+=("${name_of[$i]}")
    log "defragmented ${name_of[$i]}$role in $ms ms: db $before -> $after bytes"
    write_metrics "etcd_defrag_member_last_duration_seconds{member=\"${name_of[$i]}\"} $((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
  done

  if $recover; then
    etcdctl "${tls[@]}" --endpoints "$local_ep" --command-timeout 30s alarm disarm >/dev/null 2>"$work/err" || fail "alarm disarm: $(tail -n1 "$work/err")"
    left=$(etcdctl "${tls[@]}" --endpoints "$local_ep" --command-timeout 10s alarm list)
    [[ -z $left ]] || fail "alarm still active after disarm: $left (the data in use may exceed the quota: raise tuning.quotaBackendBytes or delete data)"
    log "NOSPACE alarm disarmed"
    write_metrics "etcd_defrag_last_nospace_recovery_timestamp_seconds $(date -u +%s)"
  fi
  took_ms=$((($(date +%s%N) - started) / 1000000))
  summary="defragmented ${done_names[*]}"
  if $recover; then summary+=" after a NOSPACE alarm (compacted, disarmed)"; fi
  summary+="; $freed bytes freed"
  if local_status=$(etcdctl "${tls[@]}" --endpoints "$local_ep" --command-timeout 10s endpoint status -w fields 2>/dev/null); then
    write_metrics "etcd_defrag_db_size_bytes $(field DBSize "$local_status")" "etcd_defrag_db_size_in_use_bytes $(field DBSizeInUse "$local_status")"
  fi
  log "$summary"
  write_status success "$summary"
  write_metrics "etcd_defrag_last_success_timestamp_seconds $(date -u +%s)" \
    "etcd_defrag_last_members_defragmented ${#done_names[@]}" \
    "etcd_defrag_last_freed_bytes $freed"
  printf '::output result=%s\n::output tookMs=%s\n' "$summary" "$took_ms"
}
