// Member addresses and the URLs etcd advertises for them. IPv6 literals are bracketed in URLs.
import { isIP } from "node:net";

export function isIpAddress(address: string): boolean {
  return isIP(address) !== 0;
}

export function isIPv6(address: string): boolean {
  return isIP(address) === 6;
}

/** RFC 1123 host name (what a DNS name in a member address must look like). */
export function isDnsName(name: string): boolean {
  return name.length <= 253 && name.split(".").every((label) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(label));
}

export function urlHost(address: string): string {
  return isIPv6(address) ? `[${address}]` : address;
}

export function httpsUrl(address: string, port: number): string {
  return `https://${urlHost(address)}:${port}`;
}

/** The same address spelled differently (e.g. "fd77::b" and "fd77:0::b") must count as a duplicate. */
export function canonicalAddress(address: string): string {
  if (!isIPv6(address)) return address.toLowerCase();
  // An embedded IPv4 tail ("::ffff:10.0.0.1") is two groups.
  const hex = address
    .toLowerCase()
    .replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) => `${(+a * 256 + +b).toString(16)}:${(+c * 256 + +d).toString(16)}`);
  const [head, tail] = hex.split("::");
  const parts = (s: string | undefined) => (s ? s.split(":") : []);
  const h = parts(head);
  const t = tail === undefined ? [] : parts(tail);
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return groups.map((g) => g.replace(/^0+(?=.)/, "")).join(":");
}
