#!/usr/bin/env bash
# etcd/lib/cluster-lock.sh: the cluster lock (planning/etcd/lock.ts, provider/etcd/lock.ts) for the
# timers' runners: the key /pulumi-etcd/<cluster>/lock, created only when absent, on a 30 s lease
# kept alive while held; its value names the holder. A runner that finds it held skips its run.
# Functions (they read the caller's array lock_ctl: etcdctl's endpoint and TLS arguments):
#   cluster_lock_take CLUSTER OPERATION TOOL  0: taken (keepalive running); 1: another holder has it
#                                             (its value in lock_holder); 2: etcd did not answer
#   cluster_lock_release                      revokes the lease (deleting the key); safe to repeat
lock_lease=""
lock_keepalive=""
lock_holder=""
cluster_lock_release() {
  if [[ -n $lock_keepalive ]]; then kill "$lock_keepalive" 2>/dev/null || true; fi
  if [[ -n $lock_lease ]]; then etcdctl "${lock_ctl[@]}" lease revoke "$lock_lease" >/dev/null 2>&1 || true; fi
  lock_keepalive=""
  lock_lease=""
}
cluster_lock_take() {
  local key="/pulumi-etcd/$1/lock" value txn
  lock_lease=$(etcdctl "${lock_ctl[@]}" lease grant 30 | sed -n 's/^lease \([0-9a-f]*\) granted.*/\1/p') || return 2
  [[ -n $lock_lease ]] || return 2
  value=$(printf '{"host":"%s","pid":%s,"operation":"%s","since":"%s","tool":"%s"}' "$(hostname)" "$$" "$2" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$3")
  # etcdctl txn reads: compares, a blank line, the operations on success, a blank line, those on failure.
  if ! txn=$(printf 'create("%s") = "0"\n\nput --lease=%s %s '"'"'%s'"'"'\n\nget %s\n\n' "$key" "$lock_lease" "$key" "$value" "$key" |
    etcdctl "${lock_ctl[@]}" txn); then
    cluster_lock_release
    return 2
  fi
  if [[ $(head -n1 <<<"$txn") != SUCCESS ]]; then
    lock_holder=$(awk -v k="$key" 'f { print; exit } $0 == k { f = 1 }' <<<"$txn")
    cluster_lock_release
    return 1
  fi
  etcdctl "${lock_ctl[@]}" lease keep-alive "$lock_lease" >/dev/null 2>&1 &
  lock_keepalive=$!
}
