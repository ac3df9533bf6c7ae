// The provider's view of a live cluster, over mTLS with etcd3. Plain TypeScript, no Pulumi types.
// Status must come from a client bound to one member (a pooled client answers from any member).
import type { Etcd3 } from "etcd3";
import { ClientTls, LiveMember, MemberProbe } from "../../planning/etcd/liveCluster";

export { ClientTls, LiveMember, MemberProbe };

// etcd3 parses its protobuf definitions when loaded (a noticeable part of a second): it is loaded
// with the first client, not when the plugin starts (a no-op `pulumi up` talks to no cluster).
let lib: { Etcd3: typeof Etcd3; noop: typeof import("cockatiel").noop } | undefined;
function load(): NonNullable<typeof lib> {
  /* eslint-disable @typescript-eslint/no-require-imports */
  lib ??= { Etcd3: (require("etcd3") as typeof import("etcd3")).Etcd3, noop: (require("cockatiel") as typeof import("cockatiel")).noop };
  /* eslint-enable @typescript-eslint/no-require-imports */
  return lib;
}

/** Loads etcd3 while a member's host step runs (the process waits on SSH then), not after it. */
export function preloadEtcdClient(): void {
  setImmediate(() => void load());
}

/** A client with no retries of its own (callers decide how long to wait) and a deadline per call. */
export function etcdClient(endpoints: string[], tls: ClientTls, callTimeoutMs = 5000, maxReceiveBytes?: number): Etcd3 {
  const { Etcd3, noop } = load();
  return new Etcd3({
    hosts: endpoints,
    ...(maxReceiveBytes ? { grpcOptions: { "grpc.max_receive_message_length": maxReceiveBytes } } : {}),
    credentials: {
      rootCertificate: Buffer.from(tls.caCertPem),
      certChain: Buffer.from(tls.certPem),
      privateKey: Buffer.from(tls.keyPem),
    },
    dialTimeout: callTimeoutMs,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
    faultHandling: { global: noop, host: () => noop },
  });
}

export async function probeMember(endpoint: string, tls: ClientTls): Promise<MemberProbe> {
  const client = etcdClient([endpoint], tls);
  try {
    const s = await client.maintenance.status();
    return {
      endpoint,
      ok: true,
      memberId: s.header.member_id,
      clusterId: s.header.cluster_id,
      leaderId: s.leader,
      isLearner: s.isLearner,
      version: s.version,
      raftIndex: s.raftIndex,
      revision: s.header.revision,
    };
  } catch (e) {
    return { endpoint, ok: false, error: (e as Error).message.split("\n")[0] };
  } finally {
    client.close();
  }
}

export async function listMembers(endpoints: string[], tls: ClientTls): Promise<LiveMember[]> {
  const client = etcdClient(endpoints, tls);
  try {
    const r = await client.cluster.memberList({ linearizable: true } as never);
    return r.members.map((m) => ({ id: m.ID, name: m.name, peerUrls: m.peerURLs, clientUrls: m.clientURLs, isLearner: !!m.isLearner }));
  } finally {
    client.close();
  }
}
