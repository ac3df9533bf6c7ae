// The subject alternative names of a member's server and peer certificates: every address it
// advertises, any extra names, its host name, and the loopback names (etcdctl on the host itself).
import { isIpAddress } from "../common/addresses";

export interface Sans {
  ips: string[];
  dns: string[];
}

export function memberSans(addresses: string[], hostname: string, extraSans: string[] = []): Sans {
  const all = [...addresses, ...extraSans, hostname, "localhost", "127.0.0.1", "::1"];
  return {
    ips: [...new Set(all.filter(isIpAddress))],
    dns: [...new Set(all.filter((x) => !isIpAddress(x)))],
  };
}
