// etcd:cluster:HealthGate: `pulumi up` returns only when the declared members form one healthy
// cluster with exactly one leader. On failure the error shows the failing members' journal tails.
import { ClientTls, etcdClient, listMembers, LiveMember, probeMember } from "../etcd/client";
import { ExpectedMember, HealthVerdict, judgeHealth } from "../etcd/health";
import { hostScript } from "../host/scripts";
import { runScript, SshConnection } from "../host/ssh";
import { clusterRegistry } from "../clusterRegistry";
import { reveal, sameValue } from "../secrets";
import { Context, ResourceHandler } from "./handler";

interface Inputs {
  clusterName: string;
  token: string;
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

async function checkHealth(inputs: Pick<Inputs, "members" | "caCertPem" | "clientCertPem" | "clientKeyPem">): Promise<HealthVerdict> {
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

async function journalOf(m: Inputs["members"][number]): Promise<string> {
  try {
    const r = await runScript(m.connection, {
      script: hostScript("etcd-journal").text,
      name: "etcd-journal",
      env: { PE_LINES: "20" },
      timeoutMs: 30_000,
    });
    return r.stdout.trim();
  } catch (e) {
    return `(journal not available: ${(e as Error).message})`;
  }
}

/** Waits until the members form one healthy cluster; on timeout the error holds the suspects' journals. */
export async function waitForHealth(ctx: Context, inputs: Omit<Inputs, "token">): Promise<{ clusterId: string; leader: string }> {
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
      const journals = await Promise.all(suspects.map(async (m) => `--- ${m.name} (${m.connection.host}) ---\n${await journalOf(m)}`));
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

export const healthGateResource: ResourceHandler = {
  async check(news) {
    return { inputs: news };
  },
  // The gate belongs to the cluster's birth: later member changes gate themselves (each member
  // resource waits for a healthy cluster after its change), so they do not show up here. A restore
  // is a new birth (a new token): the gate checks the restored cluster and reports its new ID.
  async diff(olds, news) {
    return { changes: !sameValue(olds.token, news.token) };
  },
  async create(ctx, wire) {
    const result = await waitForHealth(ctx, reveal<Inputs>(wire));
    return { id: `${reveal<Inputs>(wire).clusterName}-health`, outs: { ...wire, ...result } };
  },
  async update(ctx, _id, _olds, news) {
    return { outs: { ...news, ...(await waitForHealth(ctx, reveal<Inputs>(news))) } };
  },
  // Deleted first when the whole cluster is destroyed (it depends on every member): from then on
  // the members are stopped without membership changes.
  async delete(ctx, _id, props) {
    const { token, clusterName } = reveal<Inputs>(props);
    if (token) clusterRegistry.markDestroying(token);
    await ctx.log(`cluster ${clusterName} is being destroyed as a whole: members are stopped without membership changes`);
  },
};
