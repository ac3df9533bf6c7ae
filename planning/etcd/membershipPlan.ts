// Membership decisions, pure so every rule is unit-tested: is it safe to remove a member, and how
// does a member that is being created enter the cluster (bootstrap, join, or resume an earlier,
// interrupted join)? The provider applies them through the etcd API.
import { initialCluster } from "./etcdConfig";

export interface VoterState {
  id: string;
  name: string;
  peerUrls: string[];
  isLearner: boolean;
  /** Answered a status request just now. */
  healthy: boolean;
}

export function quorum(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

export interface RemovalVerdict {
  ok: boolean;
  /** Nothing to remove: the member is not in the cluster (removed before, e.g. by hand). */
  alreadyGone?: boolean;
  reason?: string;
}

/** May `target` (a member ID) be removed now? */
export function judgeRemoval(members: VoterState[], targetId: string, allowUnsafeScaleDown = false): RemovalVerdict {
  const target = members.find((m) => m.id === targetId);
  if (!target) return { ok: true, alreadyGone: true };
  if (target.isLearner) return { ok: true }; // a learner does not vote: removing it never costs quorum
  const voters = members.filter((m) => !m.isLearner);
  const healthyNow = voters.filter((m) => m.healthy).length;
  const label = target.name || target.id;
  if (healthyNow < quorum(voters.length)) {
    return {
      ok: false,
      reason: `the cluster has no quorum (${healthyNow} of ${voters.length} voters healthy, ${quorum(voters.length)} needed): no membership change is safe; bring members back or restore from a snapshot`,
    };
  }
  if (voters.length === 1)
    return { ok: false, reason: `${label} is the last voter: a cluster cannot remove its last member; destroy the cluster instead` };
  const after = voters.length - 1;
  const healthyAfter = healthyNow - (target.healthy ? 1 : 0);
  if (after === 1 && !allowUnsafeScaleDown) {
    return {
      ok: false,
      reason: `removing ${label} leaves 1 voter, which tolerates no failure; set allowUnsafeScaleDown: true to do it anyway`,
    };
  }
  if (healthyAfter < quorum(after)) {
    const unhealthy = voters.filter((m) => !m.healthy && m.id !== targetId).map((m) => m.name || m.id);
    return {
      ok: false,
      reason:
        `removing ${label} would leave ${healthyAfter} healthy voter(s) of ${after}, below the quorum of ${quorum(after)}` +
        (unhealthy.length ? ` (${unhealthy.join(", ")} not healthy): remove or replace the unhealthy member(s) first` : ""),
    };
  }
  return { ok: true };
}

export type EntryMode =
  /** A member of a new cluster: start with state "new" and the bootstrap member list. */
  | { kind: "bootstrap" }
  /** Add as a learner, start with state "existing", promote when caught up. */
  | { kind: "join" }
  /** An earlier join got as far as the member add (a learner or an unstarted member with this peer URL): start it and promote. */
  | { kind: "resume"; memberId: string; isLearner: boolean }
  /** Already a started voter with this name and peer URL (state lost, e.g. an interrupted up): adopt it. */
  | { kind: "adopt"; memberId: string };

export interface EntryInput {
  name: string;
  peerUrls: string[];
  /** The live member list, or undefined when no member of the cluster answered. */
  live?: VoterState[];
  /** The member is one of the cluster's initial members, and the cluster was created in this deployment. */
  bootstrapping: boolean;
}

export function entryMode(i: EntryInput): EntryMode | { kind: "refuse"; reason: string } {
  if (!i.live) {
    if (i.bootstrapping) return { kind: "bootstrap" };
    return {
      kind: "refuse",
      reason: `no member of the cluster answers, so ${i.name} cannot join it. If the cluster never formed (an interrupted first up), run pulumi destroy and pulumi up; if it lost quorum, restore it from a snapshot`,
    };
  }
  if (i.live.length === 0 && i.bootstrapping) return { kind: "bootstrap" };
  const url = i.peerUrls.join(",");
  const same = i.live.find((m) => m.peerUrls.join(",") === url);
  if (same) {
    // A started member reports its name; an added-but-never-started one has none.
    if (same.name === i.name && !same.isLearner) return { kind: "adopt", memberId: same.id };
    if (same.name === "" || same.name === i.name) return { kind: "resume", memberId: same.id, isLearner: same.isLearner };
    return {
      kind: "refuse",
      reason: `peer URL ${url} already belongs to member ${same.name} (${same.id}); give ${i.name} another address`,
    };
  }
  return { kind: "join" };
}

/** --initial-cluster for a member joining now: every current member plus itself. */
export function joinInitialCluster(live: VoterState[], self: { name: string; peerUrls: string[] }): string {
  const url = self.peerUrls.join(",");
  const others = live.filter((m) => m.peerUrls.join(",") !== url);
  // A member added but never started has no name yet, and etcd needs every name in the list:
  // another join is in flight, and only one membership change may be.
  const unnamed = others.filter((m) => m.name === "");
  if (unnamed.length > 0) {
    throw new Error(
      `another member (${unnamed.map((m) => m.peerUrls.join(",")).join("; ")}) was added but never started: finish or remove it first (one membership change at a time)`,
    );
  }
  return initialCluster([...others, self]);
}
