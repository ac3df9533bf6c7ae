// What the provider reads from a live cluster: per-member probes and the member list. Types only,
// so the pure rules in planning/ (health, membership) and the provider's etcd client share them.
/** A client certificate for the cluster's mTLS, and the CA that the members' certificates must chain to. */
export interface ClientTls {
  /** The cluster's CA certificate (PEM). */
  caCertPem: string;
  /** The client certificate (PEM). */
  certPem: string;
  /**
   * The client certificate's private key (PEM).
   * @secret
   */
  keyPem: string;
}

export interface MemberProbe {
  endpoint: string;
  ok: boolean;
  error?: string;
  memberId?: string;
  clusterId?: string;
  leaderId?: string;
  isLearner?: boolean;
  version?: string;
  raftIndex?: string;
  revision?: string;
  /** Bytes the member's backend database takes on disk. */
  dbSize?: string;
}

export interface LiveMember {
  id: string;
  name: string;
  peerUrls: string[];
  clientUrls: string[];
  isLearner: boolean;
}
