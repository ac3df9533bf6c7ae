// Membership operations on a live cluster through the etcd API (etcd3 over mTLS). Plain
// TypeScript: the decisions are in planning/membershipPlan.ts; this module only talks to etcd.
import { VoterState } from "../../planning/etcd/membershipPlan";
import { ClientTls, etcdClient, listMembers, LiveMember, probeMember } from "./client";

/** The live member list with each member's health, or undefined when no endpoint answers. */
export async function discover(endpoints: string[], tls: ClientTls): Promise<VoterState[] | undefined> {
  let members: LiveMember[] | undefined;
  for (const e of [...new Set(endpoints)]) {
    try {
      members = await listMembers([e], tls);
      break;
    } catch {
      // try the next one
    }
  }
  if (!members) return undefined;
  const probes = await Promise.all(members.map((m) => (m.clientUrls[0] ? probeMember(m.clientUrls[0], tls) : undefined)));
  return members.map((m, i) => ({
    id: m.id,
    name: m.name,
    peerUrls: m.peerUrls,
    clientUrls: m.clientUrls,
    isLearner: m.isLearner,
    // A learner answers status too; "healthy" means it answered and knows a leader.
    healthy: !!probes[i]?.ok && probes[i]?.leaderId !== "0",
    isLeader: !!probes[i]?.ok && probes[i]?.memberId === probes[i]?.leaderId,
  }));
}

export type LiveVoter = VoterState & { clientUrls: string[]; isLeader: boolean };

/** Client URLs of the healthy members other than `exceptId`: where to send membership calls. */
export function healthyEndpoints(live: LiveVoter[], exceptId?: string): string[] {
  return live.filter((m) => m.healthy && m.id !== exceptId && !m.isLearner).flatMap((m) => m.clientUrls.slice(0, 1));
}

/**
 * etcd's strict reconfiguration check refuses a change until the leader has been connected to
 * every voter for 5 s ("unhealthy cluster", "not enough started members"): right after another
 * change, wait and retry; anything else is final.
 */
async function whenReconfigAllowed<T>(what: string, onWait: (m: string) => void, fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const msg = (e as Error).message;
      if (!/unhealthy cluster|not enough started members|too many learner/i.test(msg) || Date.now() > deadline) throw e;
      if (attempt === 1) onWait(`${what}: etcd is not ready for a membership change yet (${msg.split("\n")[0]}); retrying`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

export async function addLearner(
  endpoints: string[],
  tls: ClientTls,
  peerUrls: string[],
  onWait: (m: string) => void = () => undefined,
): Promise<{ id: string; members: LiveMember[] }> {
  const client = etcdClient(endpoints, tls, 15_000);
  try {
    const r = await whenReconfigAllowed("member add", onWait, () => client.cluster.memberAdd({ peerURLs: peerUrls, isLearner: true }));
    return {
      id: r.member.ID,
      members: r.members.map((m) => ({ id: m.ID, name: m.name, peerUrls: m.peerURLs, clientUrls: m.clientURLs, isLearner: !!m.isLearner })),
    };
  } finally {
    client.close();
  }
}

/** Promotes a learner, retrying while etcd says it is not in sync yet (FAILED_PRECONDITION). */
export async function promote(
  endpoints: string[],
  tls: ClientTls,
  id: string,
  timeoutMs: number,
  onWait: (msg: string) => void,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let attempts = 0;
  for (;;) {
    attempts++;
    const client = etcdClient(endpoints, tls, 10_000);
    try {
      await client.cluster.memberPromote({ ID: id });
      return attempts;
    } catch (e) {
      const msg = (e as Error).message;
      if (/member not found/i.test(msg)) throw new Error(`learner ${id} disappeared before it was promoted (removed by someone else?)`);
      if (/not a learner|is not a learner/i.test(msg)) return attempts; // promoted already (an earlier, interrupted attempt)
      if (Date.now() > deadline) throw new Error(`learner ${id} was not promoted within ${Math.round(timeoutMs / 1000)} s: ${msg}`);
      if (attempts % 10 === 1) onWait(`learner not promoted yet (${msg.split("\n")[0]}); retrying`);
    } finally {
      client.close();
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function removeMember(
  endpoints: string[],
  tls: ClientTls,
  id: string,
  onWait: (m: string) => void = () => undefined,
): Promise<void> {
  const client = etcdClient(endpoints, tls, 15_000);
  try {
    await whenReconfigAllowed("member remove", onWait, () => client.cluster.memberRemove({ ID: id }));
  } catch (e) {
    if (!/member not found/i.test((e as Error).message)) throw e;
  } finally {
    client.close();
  }
}

/** Moves leadership to `targetId`; only the leader accepts this, so the call goes to its endpoint. */
export async function moveLeader(leaderEndpoint: string, tls: ClientTls, targetId: string): Promise<void> {
  const client = etcdClient([leaderEndpoint], tls, 15_000);
  try {
    await client.maintenance.moveLeader({ targetID: targetId });
  } finally {
    client.close();
  }
}
