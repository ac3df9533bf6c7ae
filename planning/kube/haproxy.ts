// haproxy in front of the apiservers: TCP passthrough (clients keep end-to-end mTLS), each backend
// checked over HTTPS on /readyz with the cluster CA, so a stopped, starting or draining apiserver
// is out of rotation within one check interval (kubeadm's HA guide checks only TLS: kubeadm#3052).

export const HAPROXY_CA_FILE = "/etc/haproxy/kube-apiserver-ca.crt";
export const HAPROXY_CONFIG_FILE = "/etc/haproxy/haproxy.cfg";

export interface HaproxySpec {
  /** Where haproxy listens, e.g. 0.0.0.0 (a dedicated host) or 127.0.0.1 (local on each control-plane host). */
  bindAddress: string;
  port: number;
  backends: { name: string; address: string; port: number }[];
  /** Milliseconds between checks; a server leaves after 2 failed checks, returns after 2 good ones. */
  checkIntervalMs: number;
}

export function renderHaproxyConfig(s: HaproxySpec): string {
  const bind = s.bindAddress.includes(":") ? `[${s.bindAddress}]` : s.bindAddress;
  return [
    "# Managed by pulumi-etcd (KubeControlPlane load balancer); changes are overwritten.",
    "global",
    "  log stdout format raw local0 notice",
    // No maxconn: haproxy derives it from the file-descriptor limit it is given (a fixed value
    // above what the limit allows makes it refuse to load).
    // expose-fd listeners: on a reload haproxy's master hands the listening sockets to the new
    // worker (it adds -x itself), so no connection is refused while the backends change.
    "  stats socket /run/haproxy/admin.sock mode 660 level admin expose-fd listeners",
    "",
    "defaults",
    "  mode tcp",
    "  log global",
    "  option tcplog",
    "  option dontlognull",
    "  timeout connect 5s",
    // A server that was just added counts as up until its first checks fail (2 s): a connection
    // it refuses is retried on another server instead of being closed on the client.
    "  retries 3",
    "  option redispatch 1",
    // Watches stay open for a long time.
    "  timeout client 1h",
    "  timeout server 1h",
    "  timeout check 3s",
    "",
    "frontend kube-apiserver",
    `  bind ${bind}:${s.port}`,
    "  default_backend kube-apiserver",
    "",
    "backend kube-apiserver",
    "  balance roundrobin",
    "  option httpchk",
    "  http-check send meth GET uri /readyz",
    "  http-check expect status 200",
    `  default-server inter ${s.checkIntervalMs} fall 2 rise 2 check check-ssl verify required ca-file ${HAPROXY_CA_FILE}`,
    // haproxy takes the port after the last colon: an IPv6 address goes unbracketed.
    ...s.backends.map((b) => `  server ${b.name} ${b.address}:${b.port}`),
    "",
  ].join("\n");
}
