// The cluster lock, the pure part: one key in the cluster itself, created only when absent and
// attached to a lease the holder keeps alive, so every operation of the package (membership
// changes, upgrades, restores, the snapshot timer) runs alone across processes and machines. A
// holder that dies releases it when its lease expires. The provider (provider/etcd/lock.ts) and the
// snapshot runner (hosts/etcd/lib/snapshot.sh) write the same value; this module says what it
// means, how long to wait and what to tell the user.

/** The lease's TTL: how long a dead holder keeps the lock (the live one renews it every TTL/3). */
export const LOCK_TTL_SECONDS = 30;
/** How long an operation waits for another holder by default (EtcdCluster lockTimeoutSeconds). */
export const DEFAULT_LOCK_TIMEOUT_SECONDS = 600;
/** How often a waiter tries again, and how often it says it is still waiting. */
export const LOCK_POLL_MS = 1000;
export const LOCK_LOG_EVERY_MS = 30_000;

/** The lock's key: in the cluster's own keyspace, beside the package's other keys. */
export function lockKey(clusterName: string): string {
  return `/pulumi-etcd/${clusterName}/lock`;
}

/** Who holds the lock: the key's value, as JSON. */
export interface LockHolder {
  /** The machine the holder runs on. */
  host: string;
  pid: number;
  /** What it does ("member-add m4", "upgrade to 3.6.16", "scheduled snapshot"). */
  operation: string;
  /** When it took the lock (ISO 8601). */
  since: string;
  /** The Pulumi stack and project, when the holder is a provider. */
  stack?: string;
  project?: string;
  /** "pulumi-etcd provider" or "etcd-snapshot timer". */
  tool?: string;
}

export function encodeHolder(h: LockHolder): string {
  const o: Record<string, unknown> = { host: h.host, pid: h.pid, operation: h.operation, since: h.since };
  if (h.stack) o.stack = h.stack;
  if (h.project) o.project = h.project;
  if (h.tool) o.tool = h.tool;
  return JSON.stringify(o);
}

/** The value read back; anything else than the JSON above (written by hand?) is kept as text. */
export function parseHolder(text: string): LockHolder | { raw: string } {
  try {
    const o = JSON.parse(text) as Record<string, unknown>;
    if (o && typeof o === "object" && typeof o.host === "string" && typeof o.operation === "string") {
      return {
        host: o.host,
        pid: typeof o.pid === "number" ? o.pid : Number(o.pid) || 0,
        operation: o.operation,
        since: typeof o.since === "string" ? o.since : "",
        ...(typeof o.stack === "string" ? { stack: o.stack } : {}),
        ...(typeof o.project === "string" ? { project: o.project } : {}),
        ...(typeof o.tool === "string" ? { tool: o.tool } : {}),
      };
    }
  } catch {
    // not JSON
  }
  return { raw: text };
}

/** The stack and project of a resource URN (urn:pulumi:<stack>::<project>::<type>::<name>). */
export function stackOfUrn(urn: string): { stack?: string; project?: string } {
  const m = /^urn:pulumi:([^:]+)::([^:]+)::/.exec(urn);
  return m ? { stack: m[1], project: m[2] } : {};
}

function seconds(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`;
}

/** One line naming the holder: "host ci-2 pid 4711 (stack prod of project infra), member-add m4, since 12:00:03Z (for 42 s)". */
export function describeHolder(h: LockHolder | { raw: string }, nowMs: number): string {
  if ("raw" in h) return `an unknown holder (value ${JSON.stringify(h.raw.slice(0, 200))})`;
  const who = [`host ${h.host}`, h.pid ? `pid ${h.pid}` : "", h.tool && h.tool !== "pulumi-etcd provider" ? `(${h.tool})` : ""]
    .filter(Boolean)
    .join(" ");
  const stack = h.stack ? ` (stack ${h.stack}${h.project ? ` of project ${h.project}` : ""})` : "";
  const started = Date.parse(h.since);
  const since = Number.isNaN(started) ? "" : `, since ${h.since} (for ${seconds(nowMs - started)})`;
  return `${who}${stack}, ${h.operation}${since}`;
}

export type WaitStep = { action: "retry"; log: boolean } | { action: "fail" };

/** After a failed attempt: try again (and say so now and then) until the timeout, then give up. */
export function nextWaitStep(s: {
  startedMs: number;
  nowMs: number;
  lastLogMs?: number;
  timeoutMs: number;
  logEveryMs?: number;
}): WaitStep {
  if (s.nowMs - s.startedMs >= s.timeoutMs) return { action: "fail" };
  const every = s.logEveryMs ?? LOCK_LOG_EVERY_MS;
  return { action: "retry", log: s.lastLogMs === undefined || s.nowMs - s.lastLogMs >= every };
}

/** The timeout an operation waits for the lock, in ms (input in seconds; 0 means do not wait). */
export function lockTimeoutMs(seconds: number | undefined): number {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return DEFAULT_LOCK_TIMEOUT_SECONDS * 1000;
  return Math.round(seconds * 1000);
}

/** The first line a waiter logs (first), and the later ones. */
export function waitingMessage(
  cluster: string,
  operation: string,
  holder: string,
  waitedMs: number,
  timeoutMs: number,
  first: boolean,
): string {
  const left = seconds(timeoutMs - waitedMs);
  return first
    ? `${operation}: cluster ${cluster} is locked by ${holder}; waiting for it (up to ${seconds(timeoutMs)})`
    : `${operation}: still waiting for the lock of cluster ${cluster}, held by ${holder} (${left} left)`;
}

export function timeoutMessage(cluster: string, operation: string, holder: string, waitedMs: number, key: string): string {
  return (
    `${operation} on cluster ${cluster} did not start: the cluster is locked by ${holder}; gave up after ${seconds(waitedMs)}. ` +
    `Nothing was changed. Wait for that operation to finish (a holder that died releases the lock within ${LOCK_TTL_SECONDS} s) ` +
    `and run pulumi up again, or raise lockTimeoutSeconds. If you are sure nobody holds it, delete the key: etcdctl del ${key}`
  );
}

/**
 * After a restore every lock in the restored data is stale: the snapshot was taken while someone
 * held it (the snapshot timer always does), and that lease lives on in the restored cluster until it
 * expires. A holder that took the lock before the restore started is such a leftover.
 */
export function staleAfterRestore(h: LockHolder | { raw: string }, restoreStartedMs: number): boolean {
  if ("raw" in h) return true;
  const since = Date.parse(h.since);
  return Number.isNaN(since) || since < restoreStartedMs;
}
