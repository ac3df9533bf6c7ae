// The one health wait: until the declared members form one healthy cluster (every member answers,
// one cluster, one leader, the member list is exactly the declared voters, a linearizable read
// works). On timeout the error holds the problems and the suspect members' journal tails.
import { ExpectedMember, HealthVerdict, judgeHealth } from "../../planning/etcd/health";
import { Context } from "../common/handler";
import { diagnose } from "../common/hostStep";
import { SshConnection } from "../common/ssh";
import { etcdJournal } from "./etcdService";
import { ClientTls, etcdClient, listMembers, LiveMember, probeMember } from "./client";

export interface HealthWait {
  clusterName: string;
  members: (ExpectedMember & { connection: SshConnection })[];
  caCertPem: string;
  clientCertPem: string;
  clientKeyPem: string;
  timeoutSeconds?: number;
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

async function checkHealth(inputs: Omit<HealthWait, "clusterName" | "timeoutSeconds">): Promise<HealthVerdict> {
  const tls = { caCertPem: inputs.caCertPem, certPem: inputs.clientCertPem, keyPem: inputs.clientKeyPem };
  const endpoints = inputs.members.map((m) => m.endpoint);
  const probes = await Promise.all(endpoints.map((e) => probeMember(e, tls)));
  let members: LiveMember[] | Error;
  try {
    members = await listMembers(endpoints, tls);
  } catch (e) {
    members = e as Error;
  }
  const verdict = judgeHealth(inputs.members, probes, members);
  if (verdict.healthy) {
    const readProblem = await quorumRead(endpoints, tls);
    if (readProblem) return { ...verdict, healthy: false, problems: [readProblem] };
  }
  return verdict;
}

/** Waits until the members form one healthy cluster; on timeout the error holds the suspects' journals. */
export async function waitForHealth(ctx: Context, inputs: HealthWait): Promise<{ clusterId: string; leader: string }> {
  const timeoutMs = (inputs.timeoutSeconds ?? 180) * 1000;
  const start = Date.now();
  let nextNote = start + 10_000;
  await ctx.log(`health gate: waiting for ${inputs.members.length} member(s) of ${inputs.clusterName} to be healthy with one leader`);
  for (;;) {
    const v = await checkHealth(inputs);
    if (v.healthy) {
      await ctx.log(
        `cluster ${inputs.clusterName} healthy: ${inputs.members.length} voter(s), leader ${v.leader}, cluster ID ${v.clusterId} (${((Date.now() - start) / 1000).toFixed(1)} s)`,
      );
      return { clusterId: v.clusterId ?? "", leader: v.leader ?? "" };
    }
    if (Date.now() - start > timeoutMs) {
      const suspects = v.suspects.length > 0 ? inputs.members.filter((m) => v.suspects.includes(m.name)) : inputs.members;
      const journals = await Promise.all(
        suspects.map(async (m) => `--- ${m.name} (${m.connection.host}) ---\n${await diagnose(m.connection, etcdJournal())}`),
      );
      throw new Error(
        `cluster ${inputs.clusterName} is not healthy after ${inputs.timeoutSeconds ?? 180} s:\n  - ${v.problems.join("\n  - ")}\n` +
          `journal of ${suspects.map((m) => m.name).join(", ")}:\n${journals.join("\n")}`,
      );
    }
    if (Date.now() >= nextNote) {
      await ctx.log(`health gate: still waiting: ${v.problems.join("; ")}`);
      nextNote = Date.now() + 10_000;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
