// What a running member's version change may be in this release. The cluster-wide rollout (several
// hops in one `up`, the leader last, checks and a snapshot first, downgrades through etcd's API) is
// not built yet; a member's update restarts it on the new version one member at a time, each healthy
// before the next (provider/etcd/memberHandler.ts). That is a safe way through exactly one hop: a
// patch within a minor, or one minor up from its minimum patch. Everything else is refused at preview.
import { planUpgrade } from "./upgradePlan";
import { normalize } from "./versions";

export function versionChangeProblem(running: string, target: string): string | undefined {
  if (normalize(running) === normalize(target)) return undefined;
  const plan = planUpgrade({ running, target, members: [{ name: "member" }], allowHops: true });
  const head = `changing etcd ${normalize(running)} to ${normalize(target)} on a running cluster`;
  if (plan.refusal !== undefined) return `${head} is refused: ${plan.refusal}`;
  const [first, ...rest] = plan.hops;
  if (first.kind === "downgrade")
    return `${head} is a downgrade, which goes through etcd's downgrade API; this release does not drive it yet: keep version ${normalize(running)}`;
  if (rest.length > 0) {
    const path = [first.from, ...plan.hops.map((h) => h.to)].join(" → ");
    return `${head} takes ${plan.hops.length} hops (${path}); this release makes one hop per \`pulumi up\`: declare version ${first.to}, run pulumi up, then the next`;
  }
  return undefined;
}
