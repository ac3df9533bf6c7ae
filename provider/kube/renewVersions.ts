// Writes every Kubernetes object in an etcd again, unchanged, while the apiservers are stopped: each
// object's resourceVersion ends above the bumped head (why: planning/kube/renewVersions.ts). Each
// transaction puts a batch only if none of its keys changed since it was read (something else
// writing to this etcd fails the step rather than being overwritten). Keys bound to an etcd lease
// (Events) are left as they are: they expire on their own. The endpoint leases are dropped apart.
// Superseded versions are compacted as it goes, so the db grows by at most ~64 MiB.
import type { Etcd3 } from "etcd3";
import {
  COMPACT_EVERY_BYTES,
  ENDPOINT_LEASES_PREFIX,
  keyAfter,
  KUBE_PREFIX,
  nextPageLimit,
  prefixEnd,
  renewBatches,
} from "../../planning/kube/renewVersions";
import { ClientTls, etcdClient } from "../etcd/client";

export interface RenewResult {
  keys: number;
  bytes: number;
  leased: number;
  revision: number;
  seconds: number;
}

const MiB = 1024 * 1024;

export async function renewObjectVersions(
  endpoints: string[],
  tls: ClientTls,
  progress: (message: string) => Promise<void>,
  prefix = KUBE_PREFIX,
): Promise<RenewResult> {
  const started = Date.now();
  const client = etcdClient(endpoints, tls, 60_000, 256 * MiB);
  const result = { keys: 0, bytes: 0, leased: 0, revision: 0 };
  let sinceCompact = 0;
  let compacted = 0;
  let nextNote = Date.now() + 5000;
  try {
    const end = prefixEnd(Buffer.from(prefix));
    let from: Buffer = Buffer.from(prefix);
    let limit = 64;
    for (;;) {
      const page = await client.kv.range({ key: from, range_end: end, limit });
      const kvs = page.kvs;
      if (!kvs.length) break;
      const free = kvs.filter((kv) => kv.lease === "0" || !kv.lease);
      result.leased += kvs.length - free.length;
      for (const batch of renewBatches(free)) {
        const r = await client.kv.txn({
          compare: batch.map((kv) => ({ key: kv.key, target: "Mod", result: "Equal", mod_revision: kv.mod_revision })),
          success: batch.map((kv) => ({ request_put: { key: kv.key, value: kv.value } })),
        });
        if (!r.succeeded)
          throw new Error(
            `a key under ${prefix} changed while the objects were written again (among ${batch[0].key.toString()}…): something other than the stopped apiservers writes to this etcd`,
          );
        const bytes = batch.reduce((n, kv) => n + kv.key.length + kv.value.length, 0);
        result.keys += batch.length;
        result.bytes += bytes;
        result.revision = Number(r.header.revision);
        sinceCompact += bytes;
        if (sinceCompact >= COMPACT_EVERY_BYTES) {
          await compact(client, (compacted = result.revision));
          sinceCompact = 0;
        }
      }
      if (Date.now() >= nextNote) {
        await progress(`objects written again: ${result.keys} keys, ${(result.bytes / MiB).toFixed(1)} MiB`);
        nextNote = Date.now() + 5000;
      }
      if (!page.more) break;
      from = keyAfter(kvs[kvs.length - 1].key);
      const pageBytes = kvs.reduce((n, kv) => n + kv.key.length + kv.value.length, 0);
      limit = nextPageLimit(limit, kvs.length, pageBytes);
    }
    if (result.revision > compacted) await compact(client, result.revision);
    return { ...result, seconds: (Date.now() - started) / 1000 };
  } finally {
    client.close();
  }
}

/** Deletes every apiserver endpoint lease (why: planning/kube/renewVersions.ts); returns how many. */
export async function dropEndpointLeases(endpoints: string[], tls: ClientTls): Promise<number> {
  const client = etcdClient(endpoints, tls, 30_000);
  try {
    const r = await client.delete().prefix(ENDPOINT_LEASES_PREFIX).exec();
    return Number(r.deleted);
  } finally {
    client.close();
  }
}

/** Drops the versions the rewrite superseded (no client can read them: the restore marked them compacted). */
async function compact(client: Etcd3, revision: number): Promise<void> {
  await client.kv.compact({ revision, physical: true });
}
