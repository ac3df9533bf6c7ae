// The one health wait: until the expected members form one healthy cluster (every member answers,
// one cluster, one leader, the member list is exactly the expected voters, a linearizable read
// works). Expected are either the declared members (the health gate, a restore) or, after one
// membership change, the voters of the live member list (other declared members may not have
// joined yet; learners are not counted). On timeout the error holds the problems and the suspect
// members' journal tails (of those whose host is known).
import { ExpectedMember, HealthVerdict, judgeHealth, liveVoters } from "../../planning/etcd/health";
import { Context } from "../common/handler";
import { diagnose } from "../common/hostStep";
import { SshConnection } from "../common/ssh";
import { etcdJournal } from "./etcdService";
import { ClientTls, etcdClient, listMembers, LiveMember, probeMember } from "./client";

type Known = ExpectedMember & { connection: SshConnection };

export interface HealthWait {
  clusterName: string;
  /** The declared members: the cluster must be exactly these. */
  members: Known[];
  caCertPem: string;
  clientCertPem: string;
  clientKeyPem: string;
  timeoutSeconds?: number;
}

/** After one membership change: every voter the cluster lists (read through `seeds`) must be healthy. */
export interface VotersWait {
  clusterName: string;
  /** Client URLs to read the member list from; the first that answers is used. */
  seeds: string[];
  tls: ClientTls;
  /** Members whose host is known, for their journal on timeout. */
  hosts: { name: string; connection: SshConnection }[];
  timeoutSeconds: number;
}

interface Observed {
  verdict: HealthVerdict;
  voters: number;
}

async function quorumRead(endpoints: string[], tls: ClientTls): Promise<string | undefined> {
  const client = etcdClient(endpoints, tls);
  try {
    await client.get("health").string(); // what `etcdctl endpoint health` does: a linearizable read
    return undefined;
  } catch (e) {
    return `a linearizable read failed (no quorum?): ${(e as Error).message.split("\n")[0]}`;
  } finally {
    client.close();
  }
}

/** The member list as the first seed that answers reports it. */
async function memberList(seeds: string[], tls: ClientTls): Promise<LiveMember[] | Error> {
  let last = new Error("no member answers");
  for (const e of [...new Set(seeds)]) {
    try {
      return await listMembers([e], tls);
    } catch (err) {
      last = err as Error;
    }
  }
  return last;
}

async function observe(expected: ExpectedMember[], members: LiveMember[] | Error, tls: ClientTls): Promise<Observed> {
  const endpoints = expected.map((m) => m.endpoint);
  const probes = await Promise.all(
    endpoints.map((e) =>
      e ? probeMember(e, tls) : Promise.resolve({ endpoint: e, ok: false, error: "it has no client URL (not started)" }),
    ),
  );
  const verdict = judgeHealth(expected, probes, members);
  if (verdict.healthy) {
    const readProblem = await quorumRead(endpoints, tls);
    if (readProblem) return { verdict: { ...verdict, healthy: false, problems: [readProblem] }, voters: expected.length };
  }
  return { verdict, voters: expected.length };
}

/** Pauses between checks: short at first (a cluster that just started elects its leader within a second), then 1 s. */
export function pollDelayMs(attempt: number): number {
  return Math.min(100 * 2 ** attempt, 1000);
}

/** Polls `check` until healthy or the timeout; then fails with the problems and the suspects' journals. */
async function waitUntilHealthy(
  ctx: Context,
  clusterName: string,
  timeoutSeconds: number,
  hosts: { name: string; connection: SshConnection }[],
  check: () => Promise<Observed>,
): Promise<{ clusterId: string; leader: string }> {
  const start = Date.now();
  let nextNote = start + 10_000;
  for (let attempt = 0; ; attempt++) {
    const { verdict: v, voters } = await check();
    if (v.healthy) {
      const took = ((Date.now() - start) / 1000).toFixed(1);
      await ctx.log("health", clusterName, `healthy: ${voters} voter(s), leader ${v.leader}, cluster ID ${v.clusterId} (${took} s)`);
      return { clusterId: v.clusterId ?? "", leader: v.leader ?? "" };
    }
    if (Date.now() - start > timeoutSeconds * 1000) {
      const suspects = v.suspects.length > 0 ? hosts.filter((m) => v.suspects.includes(m.name)) : hosts;
      const journals = await Promise.all(
        suspects.map(async (m) => `--- ${m.name} (${m.connection.host}) ---\n${await diagnose(m.connection, etcdJournal())}`),
      );
      throw new Error(
        `cluster ${clusterName} is not healthy after ${timeoutSeconds} s:\n  - ${v.problems.join("\n  - ")}` +
          (journals.length ? `\njournal of ${suspects.map((m) => m.name).join(", ")}:\n${journals.join("\n")}` : ""),
      );
    }
    if (Date.now() >= nextNote) {
      await ctx.log("health", clusterName, `still waiting: ${v.problems.join("; ")}`);
      nextNote = Date.now() + 10_000;
    }
    await new Promise((r) => setTimeout(r, pollDelayMs(attempt)));
  }
}

/** Waits until the declared members form one healthy cluster; on timeout the error holds the suspects' journals. */
export async function waitForHealth(ctx: Context, inputs: HealthWait): Promise<{ clusterId: string; leader: string }> {
  const tls = { caCertPem: inputs.caCertPem, certPem: inputs.clientCertPem, keyPem: inputs.clientKeyPem };
  await ctx.log("health", inputs.clusterName, `waiting for ${inputs.members.length} member(s) to be healthy with one leader`);
  const endpoints = inputs.members.map((m) => m.endpoint);
  return waitUntilHealthy(ctx, inputs.clusterName, inputs.timeoutSeconds ?? 180, inputs.members, async () => {
    let members: LiveMember[] | Error;
    try {
      members = await listMembers(endpoints, tls);
    } catch (e) {
      members = e as Error;
    }
    return observe(inputs.members, members, tls);
  });
}

/** Waits until every voter of the live member list is healthy with one leader (after a membership change). */
export async function waitForVoters(ctx: Context, w: VotersWait): Promise<{ clusterId: string; leader: string }> {
  return waitUntilHealthy(ctx, w.clusterName, w.timeoutSeconds, w.hosts, async () => {
    const list = await memberList(w.seeds, w.tls);
    if (list instanceof Error) return { verdict: judgeHealth([], [], list), voters: 0 };
    const { expected, members } = liveVoters(list);
    if (expected.length === 0) return { verdict: judgeHealth([], [], new Error("the member list has no voter")), voters: 0 };
    return observe(expected, members, w.tls);
  });
}
