// What the provider reads from a live cluster: per-member probes and the member list. Types only,
// so the pure rules in planning/ (health, membership) and the provider's etcd client share them.
export interface ClientTls {
  caCertPem: string;
  certPem: string;
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
}

export interface LiveMember {
  id: string;
  name: string;
  peerUrls: string[];
  clientUrls: string[];
  isLearner: boolean;
}
