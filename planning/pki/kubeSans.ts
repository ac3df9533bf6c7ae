// Subject alternative names of a control-plane host's apiserver serving certificate (kubeadm's set):
// the host's names and addresses, the load balancer's, the first service IP and the
// kubernetes.default names, so in-cluster clients, the LB's health checks and users all verify it.
import { isIpAddress } from "../common/addresses";

export function apiserverSans(spec: {
  hostname: string;
  addresses: string[];
  dnsDomain: string;
  firstServiceIp: string;
  /** The load balancer's address(es) clients use: its endpoint host, dedicated LB host addresses. */
  loadBalancerAddresses: string[];
}): { dns: string[]; ips: string[] } {
  const names = [
    spec.hostname,
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    `kubernetes.default.svc.${spec.dnsDomain}`,
    "localhost",
    ...spec.addresses,
    ...spec.loadBalancerAddresses,
  ];
  const ips = [spec.firstServiceIp, "127.0.0.1", "::1", ...names.filter(isIpAddress)];
  return { dns: [...new Set(names.filter((n) => !isIpAddress(n)))], ips: [...new Set(ips)] };
}
