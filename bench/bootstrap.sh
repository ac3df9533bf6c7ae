#!/usr/bin/env bash
# bench/bootstrap: `pulumi up` of a 3-member EtcdCluster against a floor measured in the same run:
# a minimal hand-written script doing the same install/config/start steps on the same hosts
# (openssl certificates; per host in parallel over one ssh session: download from the mirror,
# sha256 check, unpack, etcd user, PKI files, config, systemd unit, start; then a health check
# with etcdctl over mTLS). Pairs alternate; prints medians and the ratio.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runs=${BENCH_RUNS:-3}
version=3.6.16

status=$(bash "$repo/scripts/bed.sh" status)
mapfile -t ips < <(node -e 'for (const h of JSON.parse(process.argv[1]).hosts.slice(0, 3)) console.log(h.ip)' "$status")
mirror=$(node -e 'console.log(JSON.parse(process.argv[1]).mirror)' "$status")
dist=$(node -e 'console.log(JSON.parse(process.argv[1]).etcdDist)' "$status")
sha=$(awk -v f="etcd-v$version-linux-amd64.tar.gz" '$2 == f {print $1}' "$dist/SHA256SUMS")
etcdctl="$(dirname "$bin")/etcd/$version/etcdctl"
[[ -x $etcdctl ]] || etcdctl="$bin/etcdctl"
ssh_host() { ssh -i "$bed/id_ed25519" -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$bed/known_hosts" "root@$1" "$2"; }

issue() { # name, CN, SAN ext or "", out dir
  openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkcs8 -topk8 -nocrypt -out "$4/$1.key" 2>/dev/null
  openssl req -new -key "$4/$1.key" -subj "/CN=$2" 2>/dev/null >"$4/$1.csr"
  printf 'extendedKeyUsage=serverAuth,clientAuth\n%s\n' "$3" >"$4/$1.ext"
  openssl x509 -req -in "$4/$1.csr" -CA "$4/ca.crt" -CAkey "$4/ca.key" -CAcreateserial -days 365 -extfile "$4/$1.ext" -out "$4/$1.crt" 2>/dev/null
}

# The per-host part of the floor: what an experienced operator's script would do, nothing more.
# shellcheck disable=SC2016 # expanded on the host
floor_host_script='set -euo pipefail
v=$1 url=$2 sha=$3 name=$4 ip=$5 cluster=$6 token=$7
tmp=$(mktemp -d); cd "$tmp"; tar -x   # certificates arrive on stdin
curl -fsS -o etcd.tgz "$url"; echo "$sha  etcd.tgz" | sha256sum -c --quiet
tar -xzf etcd.tgz; install -d /opt/etcd-floor; install -m 0755 etcd-v$v-linux-amd64/etcd* /opt/etcd-floor/
getent passwd etcd >/dev/null || useradd --system --no-create-home --shell /usr/sbin/nologin etcd
install -d -m 0750 -o root -g etcd /etc/etcd/pki
for f in ca.crt server.crt peer.crt; do install -m 0644 -o etcd -g etcd $f /etc/etcd/pki/; done
for f in server.key peer.key; do install -m 0600 -o etcd -g etcd $f /etc/etcd/pki/; done
install -d -m 0700 -o etcd -g etcd /var/lib/etcd-floor
cat >/etc/etcd/etcd.conf.yml <<EOC
name: $name
data-dir: /var/lib/etcd-floor
listen-peer-urls: https://$ip:2380
listen-client-urls: https://$ip:2379,https://127.0.0.1:2379
listen-metrics-urls: http://127.0.0.1:2381
initial-advertise-peer-urls: https://$ip:2380
advertise-client-urls: https://$ip:2379
initial-cluster: $cluster
initial-cluster-token: $token
initial-cluster-state: new
client-transport-security: {cert-file: /etc/etcd/pki/server.crt, key-file: /etc/etcd/pki/server.key, trusted-ca-file: /etc/etcd/pki/ca.crt, client-cert-auth: true}
peer-transport-security: {cert-file: /etc/etcd/pki/peer.crt, key-file: /etc/etcd/pki/peer.key, trusted-ca-file: /etc/etcd/pki/ca.crt, client-cert-auth: true}
EOC
cat >/etc/systemd/system/etcd.service <<EOU
[Service]
Type=notify
User=etcd
ExecStart=/opt/etcd-floor/etcd --config-file /etc/etcd/etcd.conf.yml
LimitNOFILE=65536
[Install]
WantedBy=multi-user.target
EOU
systemctl daemon-reload; systemctl enable etcd 2>/dev/null; systemctl start etcd
rm -rf "$tmp"'

floor_once() {
  local d="$work/floor" i cluster="" eps="" token pids=()
  token="floor-$(date +%s%N)"
  rm -rf "$d" && mkdir -p "$d"
  openssl ecparam -name prime256v1 -genkey -noout -out "$d/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$d/ca.key" -subj "/CN=floor CA" -days 3650 -out "$d/ca.crt" 2>/dev/null
  issue admin etcd-admin "" "$d"
  for i in 0 1 2; do
    cluster+="${cluster:+,}f$i=https://${ips[$i]}:2380"
    eps+="${eps:+,}https://${ips[$i]}:2379"
  done
  for i in 0 1 2; do
    mkdir -p "$d/h$i"
    cp "$d/ca.crt" "$d/ca.key" "$d/h$i/"
    issue server "f$i" "subjectAltName=IP:${ips[$i]},IP:127.0.0.1,DNS:localhost" "$d/h$i"
    issue peer "f$i" "subjectAltName=IP:${ips[$i]},IP:127.0.0.1,DNS:localhost" "$d/h$i"
    tar -C "$d/h$i" -c ca.crt server.crt server.key peer.crt peer.key |
      ssh_host "${ips[$i]}" "bash -c $(printf %q "$floor_host_script") floor $version $mirror/etcd/etcd-v$version-linux-amd64.tar.gz $sha f$i ${ips[$i]} $cluster $token" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  "$etcdctl" --endpoints "$eps" --cacert "$d/ca.crt" --cert "$d/admin.crt" --key "$d/admin.key" endpoint health >/dev/null 2>&1
}

floor_teardown() {
  for ip in "${ips[@]}"; do
    ssh_host "$ip" 'systemctl disable --now etcd 2>/dev/null; rm -rf /etc/systemd/system/etcd.service /etc/etcd /opt/etcd-floor /var/lib/etcd-floor; systemctl daemon-reload' &
  done
  wait
}

use_program cluster-ts
# shellcheck disable=SC2016 # JavaScript
pulumi config set members "$(node -e 'console.log(JSON.stringify(JSON.parse(process.argv[1]).hosts.slice(0, 3).map((h, i) => ({ name: `b${i}`, ip: h.ip, hostKey: h.hostKey }))))' "$status")"
pulumi config set version "$version"
pulumi config set sha256 "$sha"
pulumi config set downloadUrl "$mirror/etcd/etcd-v{version}-linux-{arch}.tar.gz"
pulumi config set purgeDataOnDestroy true

race "$runs" "bench/bootstrap (3 members, etcd $version)" \
  "EtcdCluster: certs, preflight, install, PKI, config, unit, start, health gate" \
  "hand-written openssl + one ssh session per host, same steps, etcdctl health" floor_once floor_teardown
