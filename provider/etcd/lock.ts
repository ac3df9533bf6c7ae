// The cluster lock, the I/O part (the rules are in planning/etcd/lock.ts): the key
// /pulumi-etcd/<cluster>/lock, created in a transaction only when absent (create revision 0) and
// attached to a lease etcd3 keeps alive (every TTL/3 over one stream). Taken by every operation of
// the package on a live cluster; the snapshot timer on the hosts takes the same key with etcdctl.
//
// Re-entrant within one provider process: the engine runs a whole `pulumi up` through one process,
// so operations nested in one another (or running side by side) in it share one holding, counted:
// the lease is revoked (and the key with it) when the last of them ends. Across processes it
// serializes: the second waits, says who holds the lock, and gives up after lockTimeoutSeconds.
import type { Etcd3, Lease } from "etcd3";
import { hostname } from "node:os";
import {
  describeHolder,
  encodeHolder,
  LOCK_POLL_MS,
  LOCK_TTL_SECONDS,
  LockHolder,
  lockKey,
  lockTimeoutMs,
  nextWaitStep,
  parseHolder,
  stackOfUrn,
  staleAfterRestore,
  timeoutMessage,
  waitingMessage,
} from "../../planning/etcd/lock";
import { ClientTls, etcdClient } from "./client";
import { Context } from "../common/handler";

export interface LockRequest {
  /** The cluster's name: the lock's key is /pulumi-etcd/<clusterName>/lock. */
  clusterName: string;
  /** Where to find the cluster (any member's client URL). */
  endpoints: string[];
  tls: ClientTls;
  /** What the holder does, shown to whoever waits ("member-add m4"). */
  operation: string;
  /** How long to wait for another holder; default 600 s. */
  timeoutSeconds?: number;
  /** The lease's TTL (tests); default 30 s. */
  ttlSeconds?: number;
  /** How long etcd may fail to answer before giving up (LockUnavailableError); default 60 s. */
  unavailableAfterSeconds?: number;
  /** Whether losing the lease is worth a warning (a restore stops the cluster that holds it); default yes. */
  warnOnLoss?: () => boolean;
}

interface Holding {
  refs: number;
  ready: Promise<{ client: Etcd3; lease: Lease }>;
}

/** The holdings of this process, by cluster name. */
const holdings = new Map<string, Holding>();

/** How long etcd may keep failing (no answer, no leader) while we try to take the lock. */
const ERROR_BUDGET_MS = 60_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs fn while this process holds the cluster's lock (taking it first unless it already does). */
export async function withClusterLock<T>(ctx: Context, req: LockRequest, fn: () => Promise<T>): Promise<T> {
  let h = holdings.get(req.clusterName);
  if (h) {
    h.refs++; // synchronously: a release in between cannot drop what this call is about to use
  } else {
    h = { refs: 1, ready: take(ctx, req) };
    holdings.set(req.clusterName, h);
  }
  const holding = h;
  try {
    await holding.ready;
  } catch (e) {
    if (--holding.refs === 0 && holdings.get(req.clusterName) === holding) holdings.delete(req.clusterName);
    throw e;
  }
  try {
    return await fn();
  } finally {
    if (--holding.refs === 0) {
      if (holdings.get(req.clusterName) === holding) holdings.delete(req.clusterName);
      const { client, lease } = await holding.ready;
      // Revoking the lease deletes the key with it. If etcd does not answer, the lease expires.
      await lease.revoke().catch(() => undefined);
      client.close();
    }
  }
}

/** Does this process hold (or take) the cluster's lock right now? (tests) */
export function holdsClusterLock(clusterName: string): boolean {
  return holdings.has(clusterName);
}

async function take(ctx: Context, req: LockRequest): Promise<{ client: Etcd3; lease: Lease }> {
  const key = lockKey(req.clusterName);
  const client = etcdClient([...new Set(req.endpoints)], req.tls, 5000, undefined, true);
  const timeoutMs = lockTimeoutMs(req.timeoutSeconds);
  const started = Date.now();
  let lease: Lease | undefined;
  let leaseId = "";
  let lastLog: number | undefined;
  let lastHolder = "";
  let lastError: { since: number; message: string } | undefined;
  try {
    for (;;) {
      try {
        if (!lease || lease.revoked()) {
          lease = client.lease(req.ttlSeconds ?? LOCK_TTL_SECONDS);
          leaseId = await lease.grant();
        }
        const holder: LockHolder = {
          host: hostname(),
          pid: process.pid,
          operation: req.operation,
          since: new Date().toISOString(),
          ...stackOfUrn(ctx.urn),
          tool: "pulumi-etcd provider",
        };
        const r = await client
          .if(key, "Create", "==", 0)
          .then(client.put(key).value(encodeHolder(holder)).lease(leaseId))
          .else(client.get(key))
          .commit();
        lastError = undefined;
        if (r.succeeded) {
          const taken = lease;
          taken.on("lost", (err: Error) => {
            if (req.warnOnLoss && !req.warnOnLoss()) return;
            void ctx.warn(
              "lock",
              req.clusterName,
              `${req.operation}: the lock's lease was lost (${err.message.split("\n")[0]}): another operation may start before this one ends`,
            );
          });
          if (lastLog !== undefined)
            await ctx.log("lock", req.clusterName, `${req.operation}: took the lock after ${Math.round((Date.now() - started) / 1000)} s`);
          return { client, lease: taken };
        }
        const kv = r.responses[0]?.response_range?.kvs?.[0];
        const parsed = kv ? parseHolder(kv.value.toString()) : undefined;
        const who = parsed ? describeHolder(parsed, Date.now()) : "a holder that just released it";
        const identity = parsed ? ("raw" in parsed ? parsed.raw : `${parsed.host}/${parsed.pid}/${parsed.operation}`) : "";
        const step = nextWaitStep({ startedMs: started, nowMs: Date.now(), lastLogMs: lastLog, timeoutMs });
        if (step.action === "fail")
          throw new LockTimeoutError(timeoutMessage(req.clusterName, req.operation, who, Date.now() - started, key));
        if (step.log || (identity !== lastHolder && parsed)) {
          await ctx.log(
            "lock",
            req.clusterName,
            waitingMessage(req.clusterName, req.operation, who, Date.now() - started, timeoutMs, lastLog === undefined),
          );
          lastLog = Date.now();
          lastHolder = identity;
        }
      } catch (e) {
        if (e instanceof LockTimeoutError) throw e;
        const message = (e as Error).message.split("\n")[0];
        lastError ??= { since: Date.now(), message };
        const budget = req.unavailableAfterSeconds !== undefined ? req.unavailableAfterSeconds * 1000 : ERROR_BUDGET_MS;
        if (Date.now() - lastError.since >= Math.min(budget, timeoutMs) || Date.now() - started > timeoutMs)
          throw new LockUnavailableError(`${req.operation}: could not take the lock of cluster ${req.clusterName}: ${message}`);
        if (lease?.revoked()) lease = undefined;
      }
      await sleep(LOCK_POLL_MS);
    }
  } catch (e) {
    await lease?.revoke().catch(() => undefined);
    client.close();
    throw e;
  }
}

/** Another holder kept the lock longer than this operation may wait. */
export class LockTimeoutError extends Error {}
/** etcd did not answer (no quorum, no member reachable): the lock could not be taken. */
export class LockUnavailableError extends Error {}

/**
 * After a restore: removes a lock that came back with the snapshot (taken while someone held it,
 * as the snapshot timer does) and names its holder; a lock taken since the restore started stays.
 */
export async function clearRestoredLock(
  endpoints: string[],
  tls: ClientTls,
  clusterName: string,
  restoreStartedMs: number,
): Promise<string | undefined> {
  const key = lockKey(clusterName);
  const client = etcdClient(endpoints, tls, 5000, undefined, true);
  try {
    const r = await client.get(key).exec();
    const kv = r.kvs[0];
    if (!kv) return undefined;
    const holder = parseHolder(kv.value.toString());
    if (!staleAfterRestore(holder, restoreStartedMs)) return undefined;
    // Only that very value (mod revision): a lock taken in between is not touched.
    await client.if(key, "Mod", "==", kv.mod_revision).then(client.delete().key(key)).commit();
    return describeHolder(holder, Date.now());
  } finally {
    client.close();
  }
}
