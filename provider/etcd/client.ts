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

/**
 * A client with no retries of its own (callers decide how long to wait) and a deadline per call.
 * failover: etcd3's own fault handling instead (a failing member's circuit opens and calls, lease
 * keepalives included, go to the others): for a client that lives through membership changes.
 */
export function etcdClient(endpoints: string[], tls: ClientTls, callTimeoutMs = 5000, maxReceiveBytes?: number, failover = false): Etcd3 {
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
    ...(failover ? {} : { faultHandling: { global: noop, host: () => noop } }),
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
      dbSize: s.dbSize,
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

/** What a member's /version says: its own release, the cluster version and its storage version (3.6+). */
export interface VersionInfo {
  server: string;
  cluster: string;
  /** "" before 3.6. */
  storage: string;
}

async function getJson(endpoint: string, path: string, tls: ClientTls, timeoutMs: number, body?: string): Promise<Record<string, unknown>> {
  const https = await import("node:https");
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${endpoint}${path}`,
      { method: body === undefined ? "GET" : "POST", ca: tls.caCertPem, cert: tls.certPem, key: tls.keyPem, timeout: timeoutMs },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => {
          try {
            resolve(JSON.parse(text) as Record<string, unknown>);
          } catch (e) {
            reject(new Error(`${endpoint}${path}: ${(e as Error).message}`));
          }
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${endpoint}${path}: no answer in ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}

export async function versionInfo(endpoint: string, tls: ClientTls, timeoutMs = 5000): Promise<VersionInfo> {
  const v = await getJson(endpoint, "/version", tls, timeoutMs);
  return { server: String(v.etcdserver ?? ""), cluster: String(v.etcdcluster ?? ""), storage: String(v.storage ?? "") };
}

/** The cluster version a member reports on /version (e.g. "3.6.0"): it moves to a new minor only once every member runs it. */
export async function clusterVersion(endpoint: string, tls: ClientTls, timeoutMs = 5000): Promise<string> {
  return (await versionInfo(endpoint, tls, timeoutMs)).cluster;
}

/** The downgrade a member knows of (etcd 3.6+; the status RPC's downgradeInfo, read through etcd's JSON gateway). */
export async function downgradeInfo(endpoint: string, tls: ClientTls, timeoutMs = 5000): Promise<{ enabled: boolean; target: string }> {
  const s = await getJson(endpoint, "/v3/maintenance/status", tls, timeoutMs, "{}");
  const d = (s.downgradeInfo ?? {}) as { enabled?: boolean; targetVersion?: string };
  return { enabled: d.enabled === true, target: d.targetVersion ?? "" };
}

/** etcd's downgrade API (3.6+): validate or enable a downgrade of the cluster to `minor` ("3.6"), or cancel it. */
export async function downgrade(
  endpoints: string[],
  tls: ClientTls,
  action: "Validate" | "Enable" | "Cancel",
  minor: string,
): Promise<void> {
  const client = etcdClient(endpoints, tls);
  try {
    await client.maintenance.downgrade({ action, version: minor });
  } finally {
    client.close();
  }
}

/** Active alarms (NOSPACE, CORRUPT) of the cluster, as "memberId:ALARM". */
export async function activeAlarms(endpoints: string[], tls: ClientTls): Promise<string[]> {
  const client = etcdClient(endpoints, tls);
  try {
    const r = await client.maintenance.alarm({ action: "Get", memberID: 0, alarm: "None" } as never);
    // etcd3 names the enum "Nospace"; etcdctl and etcd's docs say NOSPACE.
    return (r.alarms ?? []).map((a) => `${a.memberID}:${String(a.alarm).toUpperCase()}`);
  } finally {
    client.close();
  }
}
