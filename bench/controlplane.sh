#!/usr/bin/env bash
# bench/controlplane: `pulumi up` of a KubeControlPlane in the external-etcd topology of
# test/e2e/kube.test.ts (etcd on bed hosts 1-3, control plane on 4-5, haproxy on 6; the Kubernetes
# binaries from the bed's mirror, checked against its .sha256 files) against a floor measured in the
# same run: a minimal hand-written script doing the same steps on the same hosts.
#
# What is compared. Only the control plane: the etcd cluster is created once before the race (its
# own stack, untimed) and stays up; the timed `pulumi up` is that of a stack holding only the
# KubeControlPlane (kube-ts's, given the etcd as endpoints + CA, the form other languages use):
# certificates, preflight, install, files, units one host at a time (each ready and back in the load
# balancer's rotation before the next), haproxy, bootstrap objects, health gate. The floor: openssl
# for the same PKI (the apiserver-etcd-client issued from the etcd CA of the etcd stack's outputs),
# then one ssh session per host, all in parallel: on each control-plane host curl the 4 binaries
# from the mirror + sha256sum -c, /etc/kubernetes (certificates, keys, kubeconfigs, encryption and
# scheduler configs), the 3 units with the package's flags (checked against the units the pulumi side
# wrote), start the apiserver, wait for its /readyz, start the controller-manager and scheduler; on
# the load-balancer host apt-get haproxy, the package's config, restart. Then, from here with
# kubectl: the bootstrap objects (token, cluster-info, RBAC) and the wait for the bootstrapsigner's
# signature, then the pulumi side's end condition: /readyz through the load balancer and both
# leader leases held. The floor skips what a hand-written script would: preflight checks, haproxy -c,
# rollbacks, idempotence records, and it starts both hosts at once where the package rolls them.
#
# Each run starts from the same state: after the destroy and after the floor's teardown (both
# untimed) the hosts hold nothing of either side, the haproxy host's packages are as the image had
# them, and the etcd keyspace is emptied (a new control plane's apiservers could not read the Secrets
# the previous one encrypted, and the old leader leases would be waited out). The haproxy host's
# apt lists are refreshed once before the race so neither side pays for it.
#
# Also printed: each apiserver's start-to-ready time (the stack's apiserverReadySeconds output, and
# the floor's own measure, both from `systemctl start` to /readyz ok), the RSS (VmRSS of the unit's
# MainPID, read right after each up) of kube-apiserver, kube-controller-manager, kube-scheduler and
# haproxy (its master and worker), and the host steps' durations of the last pulumi up.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runs=${BENCH_RUNS:-3}
etcd_version=3.6.16
kube_version=$(sed -n 's/^KUBE_VERSIONS="\{0,1\}\([0-9.]*\).*/\1/p' "$repo/toolchain/versions.env" | head -n 1)
kube_version=${kube_version:-1.37.2}
binaries=(kube-apiserver kube-controller-manager kube-scheduler kubectl)

status=$(bash "$repo/scripts/bed.sh" status)
json() { node -e "const s=JSON.parse(process.argv[1]); console.log($1)" "$status"; }
(($(json 's.hosts.length') >= 6)) || { echo "bench/controlplane needs 6 bed hosts (bed.sh up 6)" >&2; exit 1; }
mapfile -t ips < <(json 's.hosts.slice(0, 6).map(h => h.ip).join("\n")')
cp_ips=("${ips[@]:3:2}")
cp_names=(cp1 cp2)
lb_ip=${ips[5]}
mirror=$(json 's.mirror')
dist=$(json 's.etcdDist')
etcd_sha=$(awk -v f="etcd-v$etcd_version-linux-amd64.tar.gz" '$2 == f {print $1}' "$dist/SHA256SUMS")
kube_dir="$(dirname "$dist")/kube/release/v$kube_version/bin/linux/amd64"
kube_base="$mirror/kube/release/v$kube_version/bin/linux/amd64"
declare -A kube_sha
for b in "${binaries[@]}"; do kube_sha[$b]=$(awk '{print $1}' "$kube_dir/$b.sha256"); done
etcdctl="$(dirname "$bin")/etcd/$etcd_version/etcdctl"
[[ -x $etcdctl ]] || etcdctl="$bin/etcdctl"
kubectl="$bin/kubectl"
ssh_host() { ssh -i "$bed/id_ed25519" -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$bed/known_hosts" "root@$1" "$2"; }
hosts_config() { # NAME=INDEX ... → [{name, ip, hostKey}]
  # shellcheck disable=SC2016 # JavaScript
  node -e 'const s=JSON.parse(process.argv[1]); console.log(JSON.stringify(process.argv.slice(2).map(a => { const [name, i] = a.split("="); return { name, ip: s.hosts[+i].ip, hostKey: s.hosts[+i].hostKey }; })))' "$status" "$@"
}

# --- The two stacks: etcd (created once, kept) and the control plane (the timed up) ---
use_program kube-ts # the control-plane stack: kube-ts's Pulumi.yaml, package.json and tsconfig, env, sshKey
cat >"$work/program/index.ts" <<EOF
// kube-ts's KubeControlPlane with the etcd given as endpoints + CA (the etcd is another stack's).
import * as pulumi from "@pulumi/pulumi";
import { KubeControlPlane } from "$repo/dist/components";

interface HostConfig {
  name: string;
  ip: string;
  hostKey: string;
}
const config = new pulumi.Config();
const sshKey = config.requireSecret("sshKey");
const connection = (h: HostConfig) => ({ host: h.ip, user: "root", privateKey: sshKey, hostKey: h.hostKey });
const cp = new KubeControlPlane("cp", {
  hosts: config.requireObject<HostConfig[]>("cpHosts").map((h) => ({ name: h.name, connection: connection(h) })),
  version: config.require("version"),
  sha256: config.requireObject("sha256"),
  downloadUrl: config.require("downloadUrl"),
  etcd: {
    external: {
      endpoints: config.requireObject<string[]>("etcdEndpoints"),
      caCertPem: config.require("etcdCaCertPem"),
      caPrivateKeyPem: config.requireSecret("etcdCaKeyPem"),
    },
  },
  loadBalancer: { hosts: config.requireObject<HostConfig[]>("lbHosts").map((h) => ({ name: h.name, connection: connection(h) })) },
});
export const endpoint = cp.endpoint;
export const caCertPem = cp.caCertPem;
export const leaders = cp.leaders;
export const apiserverReadySeconds = cp.apiserverReadySeconds;
EOF

mkdir -p "$work/etcd"
cp "$work/program/package.json" "$work/program/tsconfig.json" "$work/etcd/"
sed 's/^name: .*/name: bench-etcd/' "$work/program/Pulumi.yaml" >"$work/etcd/Pulumi.yaml"
cat >"$work/etcd/index.ts" <<EOF
// The external etcd of the control-plane bench: kube-ts's EtcdCluster, with its CA key as an output.
import * as pulumi from "@pulumi/pulumi";
import { EtcdCluster } from "$repo/dist/components";

interface HostConfig {
  name: string;
  ip: string;
  hostKey: string;
}
const config = new pulumi.Config();
const sshKey = config.requireSecret("sshKey");
const etcd = new EtcdCluster("etcd", {
  members: config.requireObject<HostConfig[]>("etcdHosts").map((h) => ({
    name: h.name,
    connection: { host: h.ip, user: "root", privateKey: sshKey, hostKey: h.hostKey },
  })),
  version: config.require("etcdVersion"),
  sha256: config.require("etcdSha256"),
  downloadUrl: config.require("etcdDownloadUrl"),
  purgeDataOnDestroy: true,
});
export const clientEndpoints = etcd.clientEndpoints;
export const caCertPem = etcd.caCertPem;
export const caPrivateKeyPem = etcd.etcdCa.privateKeyPem;
export const adminCertPem = etcd.admin.certPem;
export const adminKeyPem = etcd.admin.privateKeyPem;
EOF
etcd_stack() { (cd "$work/etcd" && "$@"); }
etcd_stack pulumi stack init etcd --non-interactive >/dev/null
etcd_stack pulumi config set --secret sshKey <"$bed/id_ed25519"
etcd_stack pulumi config set etcdHosts "$(hosts_config e1=0 e2=1 e3=2)"
etcd_stack pulumi config set etcdVersion "$etcd_version"
etcd_stack pulumi config set etcdSha256 "$etcd_sha"
etcd_stack pulumi config set etcdDownloadUrl "$mirror/etcd/etcd-v{version}-linux-{arch}.tar.gz"
echo "bench/controlplane: creating the etcd cluster on hosts 1-3 (untimed, kept for the whole race)" >&2
etcd_stack quiet pulumi up --yes --skip-preview --non-interactive
etcd_stack pulumi stack output --show-secrets --json >"$work/etcd.json"
field() { node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[process.argv[2]])' "$work/etcd.json" "$1"; }
mkdir -p "$work/etcd-pki" && chmod 0700 "$work/etcd-pki"
field caCertPem >"$work/etcd-pki/ca.crt"
field caPrivateKeyPem >"$work/etcd-pki/ca.key"
field adminCertPem >"$work/etcd-pki/admin.crt"
field adminKeyPem >"$work/etcd-pki/admin.key"
etcd_endpoints=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).clientEndpoints.join(","))' "$work/etcd.json")

pulumi config set version "$kube_version"
sums=""
for b in "${binaries[@]}"; do sums+="${sums:+,}\"$b\":\"${kube_sha[$b]}\""; done
pulumi config set sha256 "{$sums}"
pulumi config set downloadUrl "$mirror/kube/release/v{version}/bin/linux/{arch}/{binary}"
pulumi config set cpHosts "$(hosts_config cp1=3 cp2=4)"
pulumi config set lbHosts "$(hosts_config lb1=5)"
pulumi config set etcdEndpoints "$(node -e 'console.log(JSON.stringify(process.argv[1].split(",")))' "$etcd_endpoints")"
pulumi config set etcdCaCertPem <"$work/etcd-pki/ca.crt"
pulumi config set --secret etcdCaKeyPem <"$work/etcd-pki/ca.key"

# apt lists on the haproxy host: refreshed once, before either side installs haproxy.
ssh_host "$lb_ip" 'DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null'

# --- Between runs (untimed): the hosts as the image had them, an empty etcd ---
wipe_etcd() {
  "$etcdctl" --endpoints "$etcd_endpoints" --cacert "$work/etcd-pki/ca.crt" --cert "$work/etcd-pki/admin.crt" \
    --key "$work/etcd-pki/admin.key" del "" --from-key >/dev/null
}
# Packages installed only as haproxy's dependencies go with it, on both sides.
lb_autoremove() { ssh_host "$lb_ip" 'DEBIAN_FRONTEND=noninteractive apt-get autoremove --purge -y -qq >/dev/null 2>&1'; }
# Nothing of a side may stay (the next up's preflight refuses a kube-apiserver it did not install):
# check_clean WHAT strict|note. What the destroy leaves is noted, and removed so the floor starts clean.
check_clean() {
  local ip left
  for ip in "${cp_ips[@]}" "$lb_ip"; do
    left=$(ssh_host "$ip" 'ls -d /etc/kubernetes /opt/kubernetes /usr/local/bin/kubectl /etc/systemd/system/kube-*.service /etc/haproxy /usr/sbin/haproxy 2>/dev/null || true')
    [[ -n $left ]] || continue
    echo "bench/controlplane: left on $ip after $1: $(ssh_host "$ip" "find $(tr '\n' ' ' <<<"$left") -maxdepth 2 | head -n 20" | tr '\n' ' ')" >&2
    [[ $2 == note ]] || exit 1
    ssh_host "$ip" "rm -rf $(tr '\n' ' ' <<<"$left")"
  done
}
after_destroy() {
  wipe_etcd
  lb_autoremove
  check_clean "pulumi destroy" note
}

# --- Measures, taken right after each up ---
: >"$work/ready"
: >"$work/rss"
: >"$work/floor.phases"
# rss SIDE: VmRSS (kB) of each unit's MainPID (haproxy: its master, and its worker, the master's child).
rss() {
  local i
  for i in 0 1; do
    # shellcheck disable=SC2016 # expanded on the host
    ssh_host "${cp_ips[$i]}" 'for u in kube-apiserver kube-controller-manager kube-scheduler; do
        p=$(systemctl show -p MainPID --value $u); echo "$u $(awk "/^VmRSS/ {print \$2}" /proc/$p/status)"; done' |
      sed "s/^/$1 ${cp_names[$i]} /" >>"$work/rss"
  done
  # shellcheck disable=SC2016 # expanded on the host
  ssh_host "$lb_ip" 'p=$(systemctl show -p MainPID --value haproxy); echo "haproxy-master $(awk "/^VmRSS/ {print \$2}" /proc/$p/status)"
      for w in $(pgrep -P "$p"); do echo "haproxy-worker $(awk "/^VmRSS/ {print \$2}" /proc/$w/status)"; done' |
    sed "s/^/$1 lb1 /" >>"$work/rss"
}

flags_checked=""
after_up() {
  local i
  cp "$work/step.log" "$work/up.$1.log"
  # shellcheck disable=SC2016 # JavaScript
  pulumi stack output apiserverReadySeconds --json |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for (const [h, v] of Object.entries(JSON.parse(s))) console.log(`pulumi ${h} ${v}`)})' >>"$work/ready"
  rss pulumi
  # The floor must start the same components with the same flags: compared with what the package wrote.
  if [[ -z $flags_checked ]]; then
    for i in 0 1; do
      floor_units "$work/units-check" "$i"
      # shellcheck disable=SC2016 # expanded on the host
      ssh_host "${cp_ips[$i]}" 'for u in kube-apiserver kube-controller-manager kube-scheduler; do sed -n "s/^ExecStart=/  /p; /^  --/p" /etc/systemd/system/$u.service; done' |
        sed 's/ \\$//' >"$work/units-check/pulumi.flags"
      for u in kube-apiserver kube-controller-manager kube-scheduler; do sed -n 's/^ExecStart=/  /p; /^  --/p' "$work/units-check/$u.service"; done |
        sed 's/ \\$//' >"$work/units-check/floor.flags"
      if diff "$work/units-check/pulumi.flags" "$work/units-check/floor.flags" >"$work/units-check/diff"; then
        flags_checked="the floor's units have the package's flags (checked on both hosts)"
      else
        flags_checked="WARNING: the floor's flags differ from the package's on ${cp_names[$i]} (< package, > floor): $(tr '\n' ' ' <"$work/units-check/diff")"
        break
      fi
    done
  fi
}

# --- The floor ---
issue() { # dir name CN O signer-prefix EKU SANs(or "")
  local d=$1
  openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkcs8 -topk8 -nocrypt -out "$d/$2.key" 2>/dev/null
  openssl req -new -key "$d/$2.key" -subj "/CN=$3${4:+/O=$4}" 2>/dev/null >"$d/$2.csr"
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\n%s\n' "$6" "${7:+subjectAltName=$7}" >"$d/$2.ext"
  openssl x509 -req -in "$d/$2.csr" -CA "$5.crt" -CAkey "$5.key" -CAcreateserial -days 365 -extfile "$d/$2.ext" -out "$d/$2.crt" 2>/dev/null
  rm -f "$d/$2.csr" "$d/$2.ext"
}
ca() { # dir name CN
  openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkcs8 -topk8 -nocrypt -out "$1/$2.key" 2>/dev/null
  openssl req -x509 -new -key "$1/$2.key" -subj "/CN=$3" -days 3650 -out "$1/$2.crt" 2>/dev/null
}
kubeconfig() { # server user cert key (the CA is pki/ca.crt of the floor's dir)
  cat <<EOK
apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: $(base64 -w0 <"$floor_dir/pki/ca.crt")
    server: $1
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: $2
  name: $2@kubernetes
current-context: $2@kubernetes
users:
- name: $2
  user:
    client-certificate-data: $(base64 -w0 <"$3")
    client-key-data: $(base64 -w0 <"$4")
EOK
}
# floor_units DIR I: the 3 units of control-plane host I, as the package's flags make them (etcd external, no audit).
floor_units() {
  local d=$1 ip=${cp_ips[$2]} v=$kube_version k=/etc/kubernetes
  mkdir -p "$d"
  cat >"$d/kube-apiserver.service" <<EOU
[Unit]
Description=Kubernetes API server $v
After=network-online.target
Wants=network-online.target

[Service]
ExecStart=/opt/kubernetes/v$v/kube-apiserver \\
  --advertise-address=$ip \\
  --bind-address=$ip \\
  --secure-port=6443 \\
  --allow-privileged=true \\
  --anonymous-auth=true \\
  --authorization-mode=Node,RBAC \\
  --client-ca-file=$k/pki/ca.crt \\
  --enable-admission-plugins=NodeRestriction \\
  --enable-bootstrap-token-auth=true \\
  --etcd-cafile=$k/pki/etcd/ca.crt \\
  --etcd-certfile=$k/pki/apiserver-etcd-client.crt \\
  --etcd-keyfile=$k/pki/apiserver-etcd-client.key \\
  --etcd-servers=$etcd_endpoints \\
  --kubelet-client-certificate=$k/pki/apiserver-kubelet-client.crt \\
  --kubelet-client-key=$k/pki/apiserver-kubelet-client.key \\
  --kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname \\
  --profiling=false \\
  --proxy-client-cert-file=$k/pki/front-proxy-client.crt \\
  --proxy-client-key-file=$k/pki/front-proxy-client.key \\
  --requestheader-allowed-names=front-proxy-client \\
  --requestheader-client-ca-file=$k/pki/front-proxy-ca.crt \\
  --requestheader-extra-headers-prefix=X-Remote-Extra- \\
  --requestheader-group-headers=X-Remote-Group \\
  --requestheader-username-headers=X-Remote-User \\
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \\
  --service-account-key-file=$k/pki/sa.pub \\
  --service-account-signing-key-file=$k/pki/sa.key \\
  --service-cluster-ip-range=10.96.0.0/12 \\
  --shutdown-delay-duration=5s \\
  --shutdown-send-retry-after=true \\
  --tls-cert-file=$k/pki/apiserver.crt \\
  --tls-min-version=VersionTLS12 \\
  --tls-private-key-file=$k/pki/apiserver.key \\
  --encryption-provider-config=$k/encryption-config.yaml
Restart=always
RestartSec=2
LimitNOFILE=65536
TimeoutStopSec=70

[Install]
WantedBy=multi-user.target
EOU
  cat >"$d/kube-controller-manager.service" <<EOU
[Unit]
Description=Kubernetes controller manager $v
After=network-online.target kube-apiserver.service
Wants=network-online.target

[Service]
ExecStart=/opt/kubernetes/v$v/kube-controller-manager \\
  --authentication-kubeconfig=$k/controller-manager.conf \\
  --authorization-kubeconfig=$k/controller-manager.conf \\
  --bind-address=127.0.0.1 \\
  --client-ca-file=$k/pki/ca.crt \\
  --cluster-name=kubernetes \\
  --cluster-signing-cert-file=$k/pki/ca.crt \\
  --cluster-signing-key-file=$k/pki/ca.key \\
  --controllers=*,bootstrapsigner,tokencleaner \\
  --kubeconfig=$k/controller-manager.conf \\
  --leader-elect=true \\
  --profiling=false \\
  --requestheader-client-ca-file=$k/pki/front-proxy-ca.crt \\
  --root-ca-file=$k/pki/ca.crt \\
  --secure-port=10257 \\
  --service-account-private-key-file=$k/pki/sa.key \\
  --service-cluster-ip-range=10.96.0.0/12 \\
  --tls-min-version=VersionTLS12 \\
  --use-service-account-credentials=true
Restart=always
RestartSec=2
LimitNOFILE=65536
TimeoutStopSec=30

[Install]
WantedBy=multi-user.target
EOU
  cat >"$d/kube-scheduler.service" <<EOU
[Unit]
Description=Kubernetes scheduler $v
After=network-online.target kube-apiserver.service
Wants=network-online.target

[Service]
ExecStart=/opt/kubernetes/v$v/kube-scheduler \\
  --authentication-kubeconfig=$k/scheduler.conf \\
  --authorization-kubeconfig=$k/scheduler.conf \\
  --bind-address=127.0.0.1 \\
  --config=$k/scheduler-config.yaml \\
  --profiling=false \\
  --secure-port=10259 \\
  --tls-min-version=VersionTLS12
Restart=always
RestartSec=2
LimitNOFILE=65536
TimeoutStopSec=30

[Install]
WantedBy=multi-user.target
EOU
}

# What each control-plane host runs (the bundle arrives on stdin as a tar).
# shellcheck disable=SC2016 # expanded on the host
floor_cp_script='set -euo pipefail
v=$1 base=$2 ip=$3
tmp=$(mktemp -d); cd "$tmp"; tar -xp
curl -fsS -O "$base/kube-apiserver" -O "$base/kube-controller-manager" -O "$base/kube-scheduler" -O "$base/kubectl"
sha256sum -c --quiet SHA256SUMS
install -d /opt/kubernetes/v$v
install -m 0755 kube-apiserver kube-controller-manager kube-scheduler kubectl /opt/kubernetes/v$v/
ln -sfn /opt/kubernetes/v$v/kubectl /usr/local/bin/kubectl
cp -a kubernetes /etc/kubernetes
install -m 0644 units/*.service /etc/systemd/system/
systemctl daemon-reload
systemctl enable -q kube-apiserver kube-controller-manager kube-scheduler
t0=$(date +%s%N)
systemctl start kube-apiserver
until [[ $(curl -fsS --max-time 3 --cacert /etc/kubernetes/pki/ca.crt "https://$ip:6443/readyz" 2>/dev/null) == ok ]]; do
  if (($(date +%s%N) - t0 > 180000000000)); then journalctl -u kube-apiserver -n 25 --no-pager -o cat >&2; exit 1; fi
  sleep 0.2
done
awk -v ns=$(($(date +%s%N) - t0)) "BEGIN { printf \"%.2f\n\", ns / 1e9 }"
systemctl start kube-controller-manager kube-scheduler
cd /; rm -rf "$tmp"'
# shellcheck disable=SC2016 # expanded on the host
floor_lb_script='set -euo pipefail
tmp=$(mktemp -d); cd "$tmp"; tar -x
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends haproxy >/dev/null 2>&1 ||
  { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends haproxy >/dev/null; }
install -m 0644 ca.crt /etc/haproxy/kube-apiserver-ca.crt
install -m 0644 haproxy.cfg /etc/haproxy/haproxy.cfg
install -d /run/haproxy
systemctl enable -q haproxy
systemctl restart haproxy
cd /; rm -rf "$tmp"'

floor_dir="$work/floor"
floor_once() {
  local d=$floor_dir i h b token pids=() lb="https://$lb_ip:6443" t0 t1 t2
  t0=$(now)
  rm -rf "$d" && mkdir -p "$d/pki" "$d/lb"
  # The cluster's PKI (kubeadm's names), then what each host gets.
  ca "$d/pki" ca kubernetes
  ca "$d/pki" front-proxy-ca front-proxy-ca
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$d/pki/sa.key" 2>/dev/null
  openssl pkey -in "$d/pki/sa.key" -pubout -out "$d/pki/sa.pub" 2>/dev/null
  issue "$d/pki" admin kubernetes-admin system:masters "$d/pki/ca" clientAuth
  issue "$d/pki" controller-manager system:kube-controller-manager "" "$d/pki/ca" clientAuth
  issue "$d/pki" scheduler system:kube-scheduler "" "$d/pki/ca" clientAuth
  issue "$d/pki" apiserver-kubelet-client kube-apiserver-kubelet-client system:masters "$d/pki/ca" clientAuth
  issue "$d/pki" front-proxy-client front-proxy-client "" "$d/pki/front-proxy-ca" clientAuth
  issue "$d/pki" apiserver-etcd-client kube-apiserver-etcd-client "" "$work/etcd-pki/ca" clientAuth
  token="$(openssl rand -hex 3).$(openssl rand -hex 8)" # [a-z0-9]{6}.[a-z0-9]{16}
  for i in 0 1; do
    h="$d/h$i"
    mkdir -p "$h/kubernetes/pki/etcd"
    chmod 0700 "$h/kubernetes/pki" "$h/kubernetes/pki/etcd"
    cp "$d"/pki/{ca,front-proxy-ca,apiserver-kubelet-client,front-proxy-client,apiserver-etcd-client}.{crt,key} "$d/pki/sa.key" "$d/pki/sa.pub" "$h/kubernetes/pki/"
    cp "$work/etcd-pki/ca.crt" "$h/kubernetes/pki/etcd/ca.crt"
    issue "$h/kubernetes/pki" apiserver kube-apiserver "" "$d/pki/ca" serverAuth \
      "DNS:${cp_names[$i]},DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:10.96.0.1,IP:127.0.0.1,IP:::1,IP:${cp_ips[$i]},IP:$lb_ip"
    kubeconfig "$lb" kubernetes-admin "$d/pki/admin.crt" "$d/pki/admin.key" >"$h/kubernetes/admin.conf"
    kubeconfig "https://${cp_ips[$i]}:6443" system:kube-controller-manager "$d/pki/controller-manager.crt" "$d/pki/controller-manager.key" >"$h/kubernetes/controller-manager.conf"
    kubeconfig "https://${cp_ips[$i]}:6443" system:kube-scheduler "$d/pki/scheduler.crt" "$d/pki/scheduler.key" >"$h/kubernetes/scheduler.conf"
    printf 'apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nclientConnection:\n  kubeconfig: /etc/kubernetes/scheduler.conf\nleaderElection:\n  leaderElect: true\nenableProfiling: false\n' \
      >"$h/kubernetes/scheduler-config.yaml"
    [[ -f $d/encryption-config.yaml ]] ||
      printf 'apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources:\n      - secrets\n    providers:\n      - aescbc:\n          keys:\n            - name: key1\n              secret: %s\n      - identity: {}\n' \
        "$(head -c 32 /dev/urandom | base64)" >"$d/encryption-config.yaml"
    cp "$d/encryption-config.yaml" "$h/kubernetes/"
    chmod 0600 "$h"/kubernetes/pki/*.key "$h"/kubernetes/*.conf "$h/kubernetes/encryption-config.yaml"
    floor_units "$h/units" "$i"
    for b in "${binaries[@]}"; do printf '%s  %s\n' "${kube_sha[$b]}" "$b"; done >"$h/SHA256SUMS"
    tar -C "$h" -c kubernetes units SHA256SUMS |
      ssh_host "${cp_ips[$i]}" "bash -c $(printf %q "$floor_cp_script") floor $kube_version $kube_base ${cp_ips[$i]}" >"$h/ready" &
    pids+=($!)
  done
  # The load balancer: the package's haproxy config (TCP, /readyz checks with the cluster CA).
  cp "$d/pki/ca.crt" "$d/lb/ca.crt"
  cat >"$d/lb/haproxy.cfg" <<EOH
global
  log stdout format raw local0 notice
  stats socket /run/haproxy/admin.sock mode 660 level admin

defaults
  mode tcp
  log global
  option tcplog
  option dontlognull
  timeout connect 5s
  timeout client 1h
  timeout server 1h
  timeout check 3s

frontend kube-apiserver
  bind 0.0.0.0:6443
  default_backend kube-apiserver

backend kube-apiserver
  balance roundrobin
  option httpchk
  http-check send meth GET uri /readyz
  http-check expect status 200
  default-server inter 1000 fall 2 rise 2 check check-ssl verify required ca-file /etc/haproxy/kube-apiserver-ca.crt
  server ${cp_names[0]} ${cp_ips[0]}:6443
  server ${cp_names[1]} ${cp_ips[1]}:6443
EOH
  t1=$(now)
  tar -C "$d/lb" -c ca.crt haproxy.cfg | ssh_host "$lb_ip" "bash -c $(printf %q "$floor_lb_script")" &
  pids+=($!)
  for pid in "${pids[@]}"; do wait "$pid"; done
  t2=$(now)
  for i in 0 1; do echo "floor ${cp_names[$i]} $(cat "$d/h$i/ready")" >>"$work/ready"; done

  # Through the load balancer, from here: the join material kubeadm creates, then the end condition.
  kubeconfig "$lb" kubernetes-admin "$d/pki/admin.crt" "$d/pki/admin.key" >"$d/admin.conf"
  local kc=("$kubectl" --kubeconfig "$d/admin.conf" --request-timeout=10s) deadline=$((SECONDS + 180)) sig="" cm="" sch=""
  bootstrap_objects "$token" "$lb" >"$d/bootstrap.yaml"
  until "${kc[@]}" apply --server-side -f "$d/bootstrap.yaml" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { echo "floor: the bootstrap objects were not applied" >&2; return 1; }
    sleep 0.5
  done
  until [[ -n $sig ]]; do
    sig=$("${kc[@]}" -n kube-public get configmap cluster-info -o "jsonpath={.data.jws-kubeconfig-${token%%.*}}" 2>/dev/null || true)
    [[ -n $sig ]] && break
    ((SECONDS < deadline)) || { echo "floor: cluster-info was not signed" >&2; return 1; }
    sleep 0.5
  done
  while :; do
    cm=$("${kc[@]}" -n kube-system get lease kube-controller-manager -o 'jsonpath={.spec.holderIdentity}' 2>/dev/null || true)
    sch=$("${kc[@]}" -n kube-system get lease kube-scheduler -o 'jsonpath={.spec.holderIdentity}' 2>/dev/null || true)
    [[ -n $cm && -n $sch && $(curl -fsS --max-time 3 --cacert "$d/pki/ca.crt" "$lb/readyz" 2>/dev/null || true) == ok ]] && break
    ((SECONDS < deadline)) || { echo "floor: not healthy after 180 s (leases: '$cm' '$sch')" >&2; return 1; }
    sleep 0.5
  done
  printf '%s %s %s\n' "$(sub "$t1" "$t0")" "$(sub "$t2" "$t1")" "$(sub "$(now)" "$t2")" >>"$work/floor.phases"
}

crb() { # NAME CLUSTERROLE GROUP
  printf -- '---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: "%s"}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "%s"}\nsubjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: "%s"}]\n' "$@"
}
# bootstrap_objects TOKEN SERVER: kubeadm's join objects (the package creates the same ones).
bootstrap_objects() {
  local id=${1%%.*} secret=${1#*.} g=system:bootstrappers:kubeadm:default-node-token
  cat <<EOB
apiVersion: v1
kind: Secret
metadata: {name: bootstrap-token-$id, namespace: kube-system}
type: bootstrap.kubernetes.io/token
stringData:
  token-id: "$id"
  token-secret: "$secret"
  usage-bootstrap-authentication: "true"
  usage-bootstrap-signing: "true"
  auth-extra-groups: $g
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cluster-info, namespace: kube-public}
data:
  kubeconfig: |
    apiVersion: v1
    kind: Config
    clusters:
    - cluster:
        certificate-authority-data: $(base64 -w0 <"$floor_dir/pki/ca.crt")
        server: $2
      name: ""
    contexts: null
    current-context: ""
    preferences: {}
    users: null
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: "kubeadm:bootstrap-signer-clusterinfo", namespace: kube-public}
rules: [{apiGroups: [""], resources: [configmaps], resourceNames: [cluster-info], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: "kubeadm:bootstrap-signer-clusterinfo", namespace: kube-public}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: "kubeadm:bootstrap-signer-clusterinfo"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:anonymous"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "kubeadm:get-nodes"}
rules: [{apiGroups: [""], resources: [nodes], verbs: [get]}]
EOB
  crb kubeadm:get-nodes kubeadm:get-nodes "$g"
  crb kubeadm:kubelet-bootstrap system:node-bootstrapper "$g"
  crb kubeadm:node-autoapprove-bootstrap system:certificates.k8s.io:certificatesigningrequests:nodeclient "$g"
  crb kubeadm:node-autoapprove-certificate-rotation system:certificates.k8s.io:certificatesigningrequests:selfnodeclient system:nodes
}

floor_teardown() {
  rss floor
  local ip
  for ip in "${cp_ips[@]}"; do
    ssh_host "$ip" 'systemctl disable -q --now kube-scheduler kube-controller-manager kube-apiserver 2>/dev/null
      rm -f /etc/systemd/system/kube-apiserver.service /etc/systemd/system/kube-controller-manager.service /etc/systemd/system/kube-scheduler.service
      systemctl daemon-reload; rm -rf /etc/kubernetes /opt/kubernetes /usr/local/bin/kubectl' &
  done
  ssh_host "$lb_ip" 'systemctl disable -q --now haproxy 2>/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq haproxy >/dev/null 2>&1; rm -rf /etc/haproxy /run/haproxy' &
  wait
  wipe_etcd
  lb_autoremove
  check_clean "the floor's teardown" strict
}

race "$runs" "bench/controlplane (Kubernetes $kube_version: 2 control-plane hosts, 1 haproxy host, on a running 3-member etcd)" \
  "KubeControlPlane: certs, preflight, install, files, units one host at a time, haproxy, bootstrap objects, health gate" \
  "openssl + one ssh session per host in parallel, same files and flags, kubectl for the join objects, same end condition" \
  floor_once floor_teardown after_up after_destroy

# --- The rest of the figures ---
echo "  apiserver start-to-ready (s), per host, all runs:"
for side in pulumi floor; do
  for h in "${cp_names[@]}"; do
    vals=$(awk -v s="$side" -v h="$h" '$1 == s && $2 == h {print $3}' "$work/ready")
    printf '    %-6s %s: median %s (all: %s)\n' "$side" "$h" "$(median <<<"$vals")" "$(paste -sd' ' <<<"$vals")"
  done
done
echo "  RSS right after the up (MiB, median over runs):"
for side in pulumi floor; do
  line=""
  for c in kube-apiserver kube-controller-manager kube-scheduler haproxy-master haproxy-worker; do
    for h in "${cp_names[@]}" lb1; do
      vals=$(awk -v s="$side" -v h="$h" -v c="$c" '$1 == s && $2 == h && $3 == c {print $4}' "$work/rss")
      [[ -n $vals ]] && line+=$(awk -v k="$(median <<<"$vals")" -v c="$c" -v h="$h" 'BEGIN { printf " %s@%s %.0f,", c, h, k / 1024 }')
    done
  done
  printf '    %-6s%s\n' "$side" "${line%,}"
done
echo "  floor phases (s, median): local PKI and files $(cut -d' ' -f1 "$work/floor.phases" | median)," \
  "host sessions (install, files, units, apiserver ready; haproxy) $(cut -d' ' -f2 "$work/floor.phases" | median)," \
  "join objects signed + end condition $(cut -d' ' -f3 "$work/floor.phases" | median)"
echo "  $flags_checked"
load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "  load average at the end: $load ($(nproc) cores)"
echo "  host steps of the last pulumi up (script, host, seconds; resources' own times in the log):"
# Each progress line is in the log more than once (as it happens, then among the diagnostics): the first of each.
grep -o '\[[a-z-]*\] [0-9a-f.:]*: done ([0-9.]* s)' "$work/up.$runs.log" | awk '!seen[$0]++ { sub(/: done \(/, " "); sub(/ s\)$/, ""); print "    " $0 }' || true
grep -Eo '(cp|lb)[a-z0-9-]* created \([0-9.]+s\)' "$work/up.$runs.log" | awk '!seen[$0]++ { print "    (resource) " $0 }' || true

etcd_stack quiet pulumi destroy --yes --skip-preview --non-interactive
