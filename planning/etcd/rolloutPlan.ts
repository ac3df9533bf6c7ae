// The rollout's plan from what the members run now (read live at `up`), not from what was recorded:
// an `up` that was interrupted mid-hop left some members on the hop's new version, and the next one
// finishes that hop first (mixed versions within one hop are legal in etcd), then goes on. When the
// target is on the older minor, it is the members on the newer one that go back (a downgrade, or an
// upgrade that never finished), then the rest of the way.
import { Hop, planUpgrade, PlanMember, UpgradePlan } from "./upgradePlan";
import { compareVersions, minorOf, normalize } from "./versions";

export interface LiveVersions {
  /** member name → the version it reports. */
  [member: string]: string;
}

export interface RolloutPlan {
  /** The version every member ran, or the older one of an interrupted hop. */
  running: string;
  hops: Hop[];
}

/** Versions the rollout may install: the pinned ones, the user's checksummed ones, the target. */
export function rolloutPlan(
  live: LiveVersions,
  target: string,
  members: PlanMember[],
  extraVersions: string[],
  allowHops = false,
): { plan: RolloutPlan; refusal?: undefined } | { refusal: string; plan?: undefined } {
  const versions = [...new Set(Object.values(live).map(normalize))].sort(compareVersions);
  if (versions.length === 0) return { refusal: "no member reported its version" };
  if (versions.length > 2)
    return { refusal: `the members run ${versions.join(", ")}: more than one hop apart; bring them to one version by hand first` };
  const extra = [...extraVersions, target];
  const [lo, hi] = versions;
  const rest = (from: string): UpgradePlan => planUpgrade({ running: from, target, members, allowHops, extraVersions: extra });
  if (hi === undefined) {
    const p = rest(lo);
    return p.refusal !== undefined ? { refusal: p.refusal } : { plan: { running: lo, hops: p.hops } };
  }
  if (minorOf(target) === minorOf(lo) && minorOf(hi) !== minorOf(lo)) return resumeDowngrade(live, lo, hi, target, members, extra);
  // An interrupted hop lo → hi: only an upgrade (or a patch) one hop long is resumed.
  const finish = planUpgrade({ running: lo, target: hi, members, allowHops: false, extraVersions: extra });
  if (finish.refusal !== undefined || finish.hops.length !== 1 || minorOf(hi) === undefined)
    return { refusal: `the members run ${lo} and ${hi}, which is not one interrupted hop; bring them to one version by hand first` };
  const onLo = members.filter((m) => normalize(live[m.name] ?? lo) === lo).map((m) => m.name);
  const first: Hop = {
    ...finish.hops[0],
    order: finish.hops[0].order.filter((n) => onLo.includes(n)),
    notes: [...finish.hops[0].notes, `resumes an interrupted hop: ${onLo.join(", ")} still on ${lo}`],
  };
  const after = rest(hi);
  if (after.refusal !== undefined) return { refusal: after.refusal };
  return { plan: { running: lo, hops: [first, ...after.hops] } };
}

/** Members on `hi` go back to `lo` (hi's minor one above lo's), then every member on to `target` within lo's minor. */
function resumeDowngrade(live: LiveVersions, lo: string, hi: string, target: string, members: PlanMember[], extra: string[]) {
  const back = planUpgrade({ running: hi, target: lo, members, extraVersions: extra });
  if (back.refusal !== undefined || back.hops.length !== 1)
    return { refusal: `the members run ${lo} and ${hi}, and ${hi} → ${lo} is not one hop back: ${back.refusal ?? "more than one hop"}` };
  const onHi = members.filter((m) => normalize(live[m.name] ?? hi) === hi).map((m) => m.name);
  const first: Hop = {
    ...back.hops[0],
    order: back.hops[0].order.filter((n) => onHi.includes(n)),
    notes: [...back.hops[0].notes, `resumes: ${onHi.join(", ")} still on ${hi}`],
  };
  const after = planUpgrade({ running: lo, target, members, extraVersions: extra });
  if (after.refusal !== undefined) return { refusal: after.refusal };
  return { plan: { running: hi, hops: [first, ...after.hops] } };
}
