#!/usr/bin/env bash
# bench/slice: `pulumi up` of the first slice (a CA, 3 client certificates, the CA file on 3 hosts)
# against a floor measured in the same run: a minimal hand-written script that does the same host
# work (openssl CA + the file written over ssh on each host, in parallel). Prints medians and the ratio.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runs=${BENCH_RUNS:-5}

status=$(bash "$repo/scripts/bed.sh" status)
mapfile -t ips < <(node -e 'for (const h of JSON.parse(process.argv[1]).hosts.slice(0, 3)) console.log(h.ip)' "$status")

floor_once() {
  local d="$work/floor" ip
  rm -rf "$d" && mkdir -p "$d"
  openssl ecparam -name prime256v1 -genkey -noout -out "$d/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$d/ca.key" -subj "/CN=bench CA" -days 3650 -out "$d/ca.crt" 2>/dev/null
  for cn in etcd-admin etcd-healthcheck kube-apiserver-etcd-client; do
    openssl ecparam -name prime256v1 -genkey -noout -out "$d/$cn.key" 2>/dev/null
    openssl req -new -key "$d/$cn.key" -subj "/CN=$cn" 2>/dev/null |
      openssl x509 -req -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 365 -out "$d/$cn.crt" 2>/dev/null
  done
  for ip in "${ips[@]}"; do
    ssh -i "$bed/id_ed25519" -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$bed/known_hosts" \
      "root@$ip" 'install -d /etc/pulumi-etcd-bench && cat > /etc/pulumi-etcd-bench/ca.crt && chmod 0640 /etc/pulumi-etcd-bench/ca.crt' <"$d/ca.crt" &
  done
  wait
}

use_program slice-ts
pulumi config set hosts "$(node -e 'console.log(JSON.stringify(JSON.parse(process.argv[1]).hosts.slice(0, 3).map(h=>({ip:h.ip,hostKey:h.hostKey}))))' "$status")"
pulumi config set path /etc/pulumi-etcd-bench/ca.crt

race "$runs" bench/slice "CA + 3 client certs + file on ${#ips[@]} hosts" "openssl + ssh, same work" floor_once
