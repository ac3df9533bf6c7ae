// How a cluster gets from the etcd version it runs to the declared one. etcd upgrades one minor at a
// time, each from a minimum patch (upgradePath.ts), member by member with the leader last; it goes down
// one minor only, through its downgrade API (3.6 and later). Pure: the plan is shown in the preview and
// carried out by the provider.
import { belowMinimum, minorHop } from "./upgradePath";
import { compareVersions, minorOf, normalize, pinnedVersions, SUPPORTED_MINORS, supportProblem } from "./versions";

export interface PlanMember {
  name: string;
  /** The member that leads now, when known. */
  leader?: boolean;
}

export interface UpgradeRequest {
  /** The version every member runs. */
  running: string;
  /** The declared version. */
  target: string;
  members: PlanMember[];
  /** Go through versions other than the target: a patch up to a hop's minimum, a minor in between. */
  allowHops?: boolean;
  /** Releases the user gives checksums for, besides the pinned ones, that a hop may go through. */
  extraVersions?: string[];
}

export type HopKind = "patch" | "upgrade" | "downgrade";

export interface Hop {
  from: string;
  to: string;
  kind: HopKind;
  /** The members in the order they restart on `to`: followers first, the leader last. */
  order: string[];
  /** The expected leader, which hands leadership to order[0] before it restarts; undefined when not known. */
  leader?: string;
  /** What runs before the first member restarts. */
  before: string[];
  /** What the hop means for going back, and for availability. */
  notes: string[];
}

export type UpgradePlan = { hops: Hop[]; refusal?: undefined } | { refusal: string; hops?: undefined };

const refuse = (refusal: string): UpgradePlan => ({ refusal });

export function planUpgrade(req: UpgradeRequest): UpgradePlan {
  const problem =
    memberProblem(req.members) ?? runningProblem(req.running) ?? (minorOf(req.target) ? undefined : supportProblem(req.target));
  if (problem) return refuse(problem);
  const running = normalize(req.running);
  const target = normalize(req.target);
  // The leader hands leadership to the first member that restarted, which then leads into the next hop.
  let leader = req.members.find((m) => m.leader)?.name;
  const step = (from: string, to: string, kind: HopKind) => {
    const h = hop(from, to, kind, req.members, leader);
    if (leader && h.order.length > 1) leader = h.order[0];
    return h;
  };
  const order = compareVersions(target, running);
  if (order < 0 && minorOf(running) !== minorOf(target)) return planDowngrade(running, target, step);
  const unsupported = supportProblem(target);
  if (unsupported) return refuse(unsupported);
  if (order === 0) return { hops: [] };
  if (minorOf(running) === minorOf(target)) return { hops: [step(running, target, "patch")] };
  return planMinorUpgrades(running, target, req, step);
}

function memberProblem(members: PlanMember[]): string | undefined {
  if (members.length === 0) return "the cluster has no members to upgrade";
  const names = members.map((m) => m.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) return `the member name ${JSON.stringify(twice)} is listed twice`;
  const leaders = members.filter((m) => m.leader).map((m) => m.name);
  if (leaders.length > 1) return `${leaders.join(" and ")} are both marked as the leader; a cluster has one`;
  return undefined;
}

function runningProblem(running: string): string | undefined {
  const minor = minorOf(running);
  if (!minor) return `the running version ${JSON.stringify(running)} is not an etcd release version`;
  if (!SUPPORTED_MINORS.some((s) => s.minor === minor))
    return `the cluster runs etcd ${running}, a minor the package does not manage (${SUPPORTED_MINORS.map((s) => s.minor).join(", ")}); upgrade it to one of them first`;
  return undefined;
}

type Step = (from: string, to: string, kind: HopKind) => Hop;

// etcd's downgrade API (etcdctl downgrade validate/enable/cancel) arrived in 3.6.
const DOWNGRADE_API_SINCE = "3.6.0";

function planDowngrade(running: string, target: string, step: Step): UpgradePlan {
  const from = minorOf(running)!;
  const to = minorOf(target)!;
  if (compareVersions(running, DOWNGRADE_API_SINCE) < 0)
    return refuse(`etcd ${from} has no downgrade to ${to} (etcd's downgrade API starts with 3.6; etcd-io/etcd#15878)`);
  const unsupported = supportProblem(target);
  if (unsupported) return refuse(unsupported);
  const back = minorHop(to);
  if (back?.to !== from)
    return refuse(
      `etcd downgrades one minor at a time (\`etcdctl downgrade enable\` takes the next lower minor): go from ${running} to a ${minorBelow(from)} release first, then to ${target}`,
    );
  // The older patches carry the bugs the minimum was raised for, and upgrading again would need a hop.
  if (compareVersions(target, back.minimumPatch) < 0)
    return refuse(`downgrade to ${back.minimumPatch} or later, not ${target}: ${belowMinimum(target)}`);
  return { hops: [step(running, target, "downgrade")] };
}

function minorBelow(minor: string): string {
  const [major, m] = minor.split(".").map(Number);
  return `${major}.${m - 1}`;
}

function planMinorUpgrades(running: string, target: string, req: UpgradeRequest, step: Step): UpgradePlan {
  const targetMinor = minorOf(target)!;
  const hops: Hop[] = [];
  let current = running;
  while (minorOf(current) !== targetMinor) {
    const path = minorHop(minorOf(current)!);
    if (!path) return refuse(`etcd has no upgrade from ${minorOf(current)} to ${targetMinor}`);
    const skips = path.to !== targetMinor;
    if (skips && !req.allowHops)
      return refuse(
        `etcd upgrades one minor at a time: ${running} → ${target} skips ${minorsBetween(path.to, targetMinor).join(", ")}; ` +
          `declare a ${path.to} release first${suggest(path.to, req)}, or allow intermediate hops`,
      );
    const tooOld = belowMinimum(current);
    if (tooOld) {
      const patch = newestInstallable(path.from, path.minimumPatch, req.extraVersions);
      if (!req.allowHops) return refuse(`${tooOld}. Declare ${patch ?? `${path.minimumPatch} or later`} first, or allow intermediate hops`);
      if (!patch) return refuse(noRelease(path.from, path.minimumPatch));
      hops.push(step(current, patch, "patch"));
      current = patch;
    }
    const next = skips ? newestInstallable(path.to, minorHop(path.to)?.minimumPatch, req.extraVersions) : target;
    if (!next) return refuse(noRelease(path.to, minorHop(path.to)?.minimumPatch));
    hops.push(step(current, next, "upgrade"));
    current = next;
  }
  return { hops };
}

/** The minors from `first` up to, not including, `last`. */
function minorsBetween(first: string, last: string): string[] {
  const out: string[] = [];
  for (let m = first; m !== last && minorHop(m); m = minorHop(m)!.to) out.push(m);
  return out;
}

function suggest(minor: string, req: UpgradeRequest): string {
  const v = newestInstallable(minor, minorHop(minor)?.minimumPatch, req.extraVersions);
  return v ? ` (e.g. ${v})` : "";
}

function noRelease(minor: string, atLeast?: string): string {
  return `no installable etcd ${minor} release${atLeast ? ` at or above ${atLeast}` : ""} for an intermediate hop: list one (with its sha256) among the extra versions`;
}

/** The newest release of a minor the package can install (pinned, or listed by the user), from `atLeast`. */
export function newestInstallable(minor: string, atLeast: string | undefined, extraVersions: string[] = []): string | undefined {
  return [...pinnedVersions(), ...extraVersions.map(normalize)]
    .filter((v) => minorOf(v) === minor && !supportProblem(v) && (atLeast === undefined || compareVersions(v, atLeast) >= 0))
    .sort((a, b) => compareVersions(b, a))[0];
}

function hop(from: string, to: string, kind: HopKind, members: PlanMember[], leader: string | undefined): Hop {
  const order = [...members.filter((m) => m.name !== leader).map((m) => m.name), ...(leader ? [leader] : [])];
  return { from, to, kind, order, leader, before: beforeHop(from, to, kind), notes: hopNotes(from, to, kind, members.length) };
}

function beforeHop(from: string, to: string, kind: HopKind): string[] {
  const toMinor = minorOf(to)!;
  if (kind === "patch") return [];
  if (kind === "downgrade")
    return [
      `etcdctl downgrade validate ${toMinor}`,
      `etcdctl downgrade enable ${toMinor}`,
      `wait until every member reports storage version ${toMinor}.0 (etcdctl endpoint status)`,
    ];
  return [
    `take a snapshot: once every member runs ${toMinor}, only etcd's downgrade or the snapshot goes back`,
    ...minorHop(minorOf(from)!)!.checks,
  ];
}

function hopNotes(from: string, to: string, kind: HopKind, members: number): string[] {
  const notes: string[] = [];
  if (kind === "upgrade")
    notes.push(
      `until the last member runs ${to}, a member goes back by restarting it on ${from}; after that, only \`etcdctl downgrade\` to ${minorOf(from)} (${minorHop(minorOf(from)!)!.downgradeGuide})`,
    );
  if (kind === "downgrade")
    notes.push(
      `until the last member runs ${to}, \`etcdctl downgrade cancel\` and restarting the downgraded members on ${from} goes back (${minorHop(minorOf(to)!)!.downgradeGuide})`,
    );
  if (kind === "patch" && compareVersions(to, from) < 0)
    notes.push(`an older patch of ${minorOf(to)}: etcd's storage version is per minor, but its guides cover patch upgrades only`);
  if (members === 1) notes.push("one member: etcd is unavailable while it restarts");
  return notes;
}
