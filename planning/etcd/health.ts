// When is a cluster healthy? Every declared member answers, they agree on one cluster and one
// leader, and the member list is exactly the declared voters. Pure, so each rule is unit-tested.
import { LiveMember, MemberProbe } from "./liveCluster";

export interface ExpectedMember {
  name: string;
  endpoint: string;
  peerUrls: string[];
}

export interface HealthVerdict {
  healthy: boolean;
  problems: string[];
  /** Members whose own state is at fault (to show their journal). */
  suspects: string[];
  leader?: string;
  clusterId?: string;
}

export function judgeHealth(expected: ExpectedMember[], probes: MemberProbe[], members: LiveMember[] | Error): HealthVerdict {
  const problems: string[] = [];
  const suspects = new Set<string>();
  const byEndpoint = new Map(probes.map((p) => [p.endpoint, p]));
  for (const m of expected) {
    const p = byEndpoint.get(m.endpoint);
    if (!p?.ok) {
      problems.push(`${m.name} (${m.endpoint}) does not answer: ${p?.error ?? "not probed"}`);
      suspects.add(m.name);
    } else if (p.isLearner) {
      problems.push(`${m.name} is still a learner`);
      suspects.add(m.name);
    }
  }
  const answered = probes.filter((p) => p.ok);
  const clusters = new Set(answered.map((p) => p.clusterId));
  if (clusters.size > 1) problems.push(`members report different cluster IDs: ${[...clusters].join(", ")}`);
  const leaders = new Set(answered.map((p) => p.leaderId));
  const leaderId = leaders.size === 1 ? [...leaders][0] : undefined;
  if (leaders.size > 1) problems.push(`members disagree about the leader (${[...leaders].join(", ")})`);
  if (answered.length > 0 && leaders.size <= 1 && (leaderId === undefined || leaderId === "0")) problems.push("the cluster has no leader");
  const leaderCount = answered.filter((p) => p.memberId === leaderId).length;
  if (leaderId && leaderId !== "0" && answered.length === expected.length && leaderCount !== 1) {
    problems.push(`expected exactly one leader among the members, found ${leaderCount}`);
  }

  let leader: string | undefined;
  if (members instanceof Error) {
    problems.push(`cannot list members: ${members.message.split("\n")[0]}`);
  } else {
    const want = new Map(expected.map((m) => [m.name, m]));
    for (const live of members) {
      const decl = want.get(live.name);
      if (!decl) problems.push(`member ${live.name || live.id} (${live.peerUrls.join(",")}) is in the cluster but not declared`);
      else if (live.peerUrls.join(",") !== decl.peerUrls.join(","))
        problems.push(`${live.name} has peer URLs ${live.peerUrls.join(",")}, declared ${decl.peerUrls.join(",")}`);
      if (live.isLearner) problems.push(`${live.name || live.id} is a learner`);
      if (live.id === leaderId) leader = live.name;
    }
    const liveNames = new Set(members.map((m) => m.name));
    for (const m of expected)
      if (!liveNames.has(m.name)) problems.push(`${m.name} is not in the member list (not started or not joined yet)`);
  }
  return { healthy: problems.length === 0, problems, suspects: [...suspects], leader, clusterId: answered[0]?.clusterId };
}

/**
 * What to expect after one membership change, when other declared members may not have joined
 * yet: the voters the cluster lists (learners are not counted). A member added but never started
 * has no name yet: it goes by its ID, and fails for want of a client URL.
 */
export function liveVoters(list: LiveMember[]): { expected: ExpectedMember[]; members: LiveMember[] } {
  const members = list.filter((m) => !m.isLearner).map((m) => ({ ...m, name: m.name || m.id }));
  return { expected: members.map((m) => ({ name: m.name, endpoint: m.clientUrls[0] ?? "", peerUrls: m.peerUrls })), members };
}
