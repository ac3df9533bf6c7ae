// Subject alternative names of a control-plane host's apiserver serving certificate (kubeadm's set):
// the host's names and addresses, the load balancer's, the first service IP and the
// kubernetes.default names, so in-cluster clients, the LB's health checks and users all verify it.
import { canonicalAddress, isIpAddress } from "../common/addresses";

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
  const unique = new Map<string, string>();
  for (const ip of ips) if (!unique.has(canonicalAddress(ip))) unique.set(canonicalAddress(ip), ip);
  return { dns: [...new Set(names.filter((n) => !isIpAddress(n)))], ips: [...unique.values()] };
}
