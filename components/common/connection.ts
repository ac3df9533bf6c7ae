import * as pulumi from "@pulumi/pulumi";

/** How the provider reaches a host: SSH with a key, and the host key pinned (never unchecked). */
export interface HostConnection {
  /** Address the provider connects to (IPv4, IPv6 or DNS name). */
  host: pulumi.Input<string>;
  port?: pulumi.Input<number>;
  user: pulumi.Input<string>;
  /** The SSH private key; kept secret in state. */
  privateKey: pulumi.Input<string>;
  /** The host's public key as in known_hosts, e.g. "ssh-ed25519 AAAA...". */
  hostKey: pulumi.Input<string>;
}

/** The connection with its private key marked secret, whatever the caller passed. */
export function secretConnection(c: HostConnection): pulumi.Input<HostConnection> {
  return { ...c, privateKey: pulumi.secret(c.privateKey) };
}
