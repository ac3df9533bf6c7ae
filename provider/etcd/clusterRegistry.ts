// What one provider process learns about each cluster during a deployment (the engine runs a
// whole `pulumi up` or `destroy` through one provider process). Keyed by the cluster token.
//   - fresh: clusters whose Bootstrap was created in this deployment, so their initial members
//     bootstrap (state "new") instead of joining;
//   - destroying: clusters whose health gate is being deleted, i.e. the cluster goes away as a
//     whole: members are then stopped without membership changes (the last cannot be removed);
//   - endpoints: the client URLs of every member declared now (from check), so a removal at the
//     end of a deployment reaches the current members, not those of its own creation time;
//   - allowUnsafeScaleDown as the program says now (a removed member's stored state has the old value);
//   - one membership change at a time per cluster, whatever the engine runs in parallel.
const fresh = new Set<string>();
const destroying = new Set<string>();
const endpoints = new Map<string, Set<string>>();
const queues = new Map<string, Promise<unknown>>();
const unsafeScaleDown = new Map<string, boolean>();
const peers = new Map<string, Set<string>>();

export const clusterRegistry = {
  markFresh: (token: string) => void fresh.add(token),
  isFresh: (token: string) => fresh.has(token),
  markDestroying: (token: string) => void destroying.add(token),
  isDestroying: (token: string) => destroying.has(token),
  declareEndpoints(token: string, urls: string[]) {
    const set = endpoints.get(token) ?? new Set<string>();
    for (const u of urls) set.add(u);
    endpoints.set(token, set);
  },
  declaredEndpoints: (token: string) => [...(endpoints.get(token) ?? [])],
  /** Peer URLs (joined by ",") of the members declared now. */
  declarePeer(token: string, peerUrls: string) {
    const set = peers.get(token) ?? new Set<string>();
    set.add(peerUrls);
    peers.set(token, set);
  },
  isDeclaredPeer: (token: string, peerUrls: string) => peers.get(token)?.has(peerUrls) ?? false,
  declareUnsafeScaleDown: (token: string, allowed: boolean) => void unsafeScaleDown.set(token, allowed),
  /** The program's current setting, if any member of the cluster was declared in this deployment. */
  unsafeScaleDownAllowed: (token: string) => unsafeScaleDown.get(token),
  /** Runs fn when no other membership change of this cluster is running. */
  exclusive<T>(token: string, fn: () => Promise<T>): Promise<T> {
    const prev = queues.get(token) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    queues.set(
      token,
      next.catch(() => undefined),
    );
    return next;
  },
};
