// The service network: CIDR parsing, the first service IP (the `kubernetes` Service's ClusterIP, a
// SAN of the apiserver certificate) and overlap with host addresses.
import { isIP } from "node:net";
import { canonicalAddress } from "../common/addresses";

export interface Cidr {
  family: 4 | 6;
  base: bigint;
  bits: number;
}

function ipToBigInt(ip: string): bigint {
  if (isIP(ip) === 4) return ip.split(".").reduce((acc, o) => (acc << 8n) + BigInt(Number(o)), 0n);
  return canonicalAddress(ip)
    .split(":")
    .reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g, 16)), 0n);
}

function bigIntToIp(v: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join(".");
  const groups: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((v >> s) & 0xffffn).toString(16));
  return canonicalAddress(groups.join(":"));
}

/** The CIDR, or a reason it is not one. */
export function parseCidr(text: string): Cidr | string {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  const family = m ? isIP(m[1]) : 0;
  if (!m || family === 0) return `${JSON.stringify(text)} is not a CIDR like 10.96.0.0/12`;
  const bits = Number(m[2]);
  const width = family === 4 ? 32 : 128;
  if (bits > width) return `${text}: prefix length ${bits} is longer than ${width}`;
  const value = ipToBigInt(m[1]);
  const hostBits = BigInt(width - bits);
  if (value & ((1n << hostBits) - 1n))
    return `${text} has host bits set (the network is ${bigIntToIp((value >> hostBits) << hostBits, family as 4 | 6)}/${bits})`;
  return { family: family as 4 | 6, base: value, bits };
}

/**
 * The service CIDR's problems: kube-apiserver accepts at most 20 host bits (IPv6: /108 or longer);
 * at least 16 addresses, so that the cluster DNS address (the 10th, as kubeadm picks it) is in it.
 */
export function serviceCidrProblem(text: string): string | undefined {
  const c = parseCidr(text);
  if (typeof c === "string") return `serviceCidr: ${c}`;
  const hostBits = (c.family === 4 ? 32 : 128) - c.bits;
  if (hostBits > 20)
    return `serviceCidr ${text} is too large: kube-apiserver allows at most 2^20 service addresses (e.g. /12 for IPv4, /108 for IPv6)`;
  if (hostBits < 4)
    return `serviceCidr ${text} is too small for the cluster's services: it needs at least 16 addresses (the cluster DNS Service takes the 10th)`;
  return undefined;
}

export function cidrContains(c: Cidr, address: string): boolean {
  if (isIP(address) !== c.family) return false;
  const width = c.family === 4 ? 32 : 128;
  const shift = BigInt(width - c.bits);
  return ipToBigInt(address) >> shift === c.base >> shift;
}

/** The n-th address of the range (the network address is the 0th); throws when the range has none. */
export function serviceIp(text: string, n: number): string {
  const c = parseCidr(text);
  if (typeof c === "string") throw new Error(c);
  if (BigInt(n) >= 1n << BigInt((c.family === 4 ? 32 : 128) - c.bits)) throw new Error(`${text} has no address number ${n}`);
  return bigIntToIp(c.base + BigInt(n), c.family);
}

/** The first usable address: the ClusterIP of the `kubernetes` Service. */
export function firstServiceIp(text: string): string {
  return serviceIp(text, 1);
}

/** An IPv6 address in RFC 5952's short form (Go's net.IP.String()): the longest run of 2+ zero groups as "::". */
function shortIpv6(ip: string): string {
  const groups = canonicalAddress(ip).split(":");
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j > i ? j : i + 1;
  }
  if (best.at < 0) return groups.join(":");
  return `${groups.slice(0, best.at).join(":")}::${groups.slice(best.at + best.len).join(":")}`;
}

/**
 * The cluster DNS Service's address, as kubeadm picks it (constants.GetDNSIP): the 10th of the
 * range, written as Go writes it (kubeadm compares the KubeletConfiguration's text with its own).
 */
export function clusterDnsIp(text: string): string {
  const ip = serviceIp(text, 10);
  return isIP(ip) === 6 ? shortIpv6(ip) : ip;
}
