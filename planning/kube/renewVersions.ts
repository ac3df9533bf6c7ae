// After a restore or a switch, every Kubernetes object is written again with its own bytes, so that
// each object's resourceVersion (its etcd mod revision) is above every version a client saw before.
// etcd's --bump-revision raises only the head: without this, an object restored from an older
// snapshot would come back at a lower resourceVersion than a client's cached copy (clients that keep
// "the newer version wins" would keep the lost one). The provider does the I/O
// (provider/kube/renewVersions.ts); the batching and paging rules are here.

/** The apiservers' etcd prefix (kube-apiserver's --etcd-prefix default; the package does not change it). */
export const KUBE_PREFIX = "/registry/";

/**
 * The apiservers' endpoint leases (the addresses of the `kubernetes` Service's Endpoints). Restored
 * data brings those of the apiservers that wrote it; all are dropped while the apiservers are stopped,
 * and each apiserver writes its own again when it starts (kOps' restore runbook does the same by hand).
 */
export const ENDPOINT_LEASES_PREFIX = "/registry/masterleases/";

/** etcd's defaults: --max-txn-ops 128 (compares and puts count apart), --max-request-bytes 1.5 MiB. */
export const MAX_TXN_KEYS = 64;
export const MAX_TXN_BYTES = 1024 * 1024;
/** A page read at once aims at this many bytes (the client accepts far more). */
export const PAGE_TARGET_BYTES = 4 * 1024 * 1024;
/** Superseded versions are compacted after this much is written, so the db does not double. */
export const COMPACT_EVERY_BYTES = 64 * 1024 * 1024;

export interface RenewKey {
  key: Buffer;
  value: Buffer;
}

/**
 * Groups keys, in order, into transactions of at most `maxKeys` keys and `maxBytes` of keys and
 * values; a key bigger than `maxBytes` goes alone (it was written once, so etcd takes it).
 */
export function renewBatches<T extends RenewKey>(kvs: T[], maxKeys = MAX_TXN_KEYS, maxBytes = MAX_TXN_BYTES): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const kv of kvs) {
    const size = kv.key.length + kv.value.length;
    if (current.length && (current.length >= maxKeys || bytes + size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(kv);
    bytes += size;
  }
  if (current.length) batches.push(current);
  return batches;
}

/** The next page's key limit: scaled so a page holds about `target` bytes, between 1 and 512 keys. */
export function nextPageLimit(limit: number, pageKeys: number, pageBytes: number, target = PAGE_TARGET_BYTES): number {
  if (pageKeys === 0 || pageBytes === 0) return limit;
  const perKey = pageBytes / pageKeys;
  return Math.max(1, Math.min(512, Math.floor(target / perKey)));
}

/** The end of the range of keys starting with `prefix` (etcd's "prefix + 1"). */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/** The first key after `key` in etcd's order. */
export function keyAfter(key: Buffer): Buffer {
  return Buffer.concat([key, Buffer.from([0])]);
}
