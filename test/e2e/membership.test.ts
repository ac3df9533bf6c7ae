// Issue 4 (Day 2) end to end: membership changes from `pulumi up` while a writer keeps writing,
// refusals that protect quorum, a dead host replaced, an interrupted add, drift seen by refresh.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminTls, bedTarballSha256, clusterOutputs, ClusterOutputs, leaderCount, membersSpec, sshSessions, withClient } from "./cluster";
import { Bed, bedDown, bedLeftovers, bedUp, killHost, onHost, Stack } from "./harness";
import { Writer } from "./writer";

const V36 = "3.6.16";
let bed: Bed;
let sha256: string;

beforeAll(async () => {
  bed = await bedUp(6);
  sha256 = bedTarballSha256(bed, V36);
});
afterAll(() => bedDown());

const members = (spec: string) => membersSpec(bed, spec);

async function newStack(name: string): Promise<Stack> {
  const stack = await Stack.create("cluster-ts", name);
  await stack.setConfig("sshKey", readFileSync(bed.key, "utf8"), true);
  await stack.setConfig("clusterName", name);
  await stack.setConfig("version", V36);
  await stack.setConfig("sha256", sha256);
  await stack.setConfig("downloadUrl", `${bed.mirror}/etcd/etcd-v{version}-linux-{arch}.tar.gz`);
  return stack;
}

async function etcdPid(host: number): Promise<string> {
  return (await onHost(host, "pgrep -x etcd || echo none")).trim();
}

async function voters(out: ClusterOutputs, endpoints = out.clientEndpoints): Promise<string[]> {
  return withClient(endpoints, adminTls(out), async (c) => {
    const { members } = await c.cluster.memberList({});
    expect(members.filter((m) => m.isLearner)).toEqual([]);
    return members.map((m) => m.name).sort();
  });
}

describe("scale 1→3→5→3→1 under a steady writer", () => {
  let stack: Stack;
  let writer: Writer;
  let out: ClusterOutputs;
  afterAll(() => stack?.cleanup());

  const steps: { spec: string; names: string[]; unsafe?: boolean }[] = [
    { spec: "m1@1,m2@2,m3@3", names: ["m1", "m2", "m3"] },
    { spec: "m1@1,m2@2,m3@3,m4@4,m5@5", names: ["m1", "m2", "m3", "m4", "m5"] },
    { spec: "m1@1,m2@2,m3@3", names: ["m1", "m2", "m3"] },
    { spec: "m1@1", names: ["m1"], unsafe: true },
  ];

  it("starts with 1 member and a writer at 300 puts/s", async () => {
    stack = await newStack("scale");
    await stack.setConfig("members", members("m1@1"));
    // A joining member receives a snapshot; with the writer going, the leader must keep enough log
    // behind it for the learner to catch up afterwards (etcd's default of 5000 entries is ~17 s here).
    await stack.setConfig("tuning", JSON.stringify({ snapshotCatchupEntries: 100000 }));
    await stack.up();
    out = await clusterOutputs(stack);
    // m1 stays through every step: the writer talks to it.
    writer = new Writer([out.clientEndpoints[0]], adminTls(out), 300);
    writer.start();
  });

  it("pulumi preview for 3→5 creates only the two new members' resources and contacts no host", async () => {
    await stack.setConfig("members", members(steps[0].spec));
    await stack.up();
    await stack.setConfig("members", members(steps[1].spec));
    const before = await Promise.all([1, 2, 3, 4, 5].map(sshSessions));
    const plan = await stack.preview();
    const after = await Promise.all([1, 2, 3, 4, 5].map(sshSessions));
    expect(after).toEqual(before.map((n) => n + 1));
    const changed = (plan.steps ?? []).filter((s) => s.op !== "same");
    expect(new Set(changed.map((s) => s.op))).toEqual(new Set(["create"]));
    const names = changed.map((s) => s.urn.split("::").pop()!);
    for (const n of names) expect(n).toMatch(/^scale-m[45](-|$)/);
    expect(names.filter((n) => n.endsWith("-member")).sort()).toEqual(["scale-m4-member", "scale-m5-member"]);
    await stack.setConfig("members", members(steps[0].spec));
  });

  it.each(steps.map((s, i) => [i, s] as const))(
    "step %i: members that stay keep their etcd process; the cluster is as declared",
    async (i, step) => {
      await stack.setConfig("members", members(step.spec));
      if (step.unsafe) await stack.setConfig("allowUnsafeScaleDown", "true");
      const previous = i === 0 ? ["m1"] : steps[i - 1].names;
      const stayHosts = step.names.filter((n) => previous.includes(n)).map((n) => Number(n.slice(1)));
      const pidsBefore = await Promise.all(stayHosts.map(etcdPid));
      const up = await stack.up();
      if (i === 1) {
        // Added one after another: the second add starts after the first was promoted.
        const log = up.stdout;
        const firstPromoted = log.search(/\[member-promote\] m[45]: promoted to voter/);
        const secondAdded = log.slice(firstPromoted + 1).search(/\[member-add\] m[45]: adding as a learner/);
        expect(firstPromoted).toBeGreaterThan(-1);
        expect(secondAdded).toBeGreaterThan(-1);
      }
      out = await clusterOutputs(stack);
      const pidsAfter = await Promise.all(stayHosts.map(etcdPid));
      expect(pidsAfter).toEqual(pidsBefore);
      expect(await voters(out)).toEqual(step.names);
      expect(await leaderCount(out)).toBe(1);
      for (let h = 2; h <= 5; h++) {
        const expectRunning = step.names.includes(`m${h}`);
        expect((await etcdPid(h)) !== "none").toBe(expectRunning);
      }
    },
  );

  it("the writer saw no failed write, and every acknowledged key is there", async () => {
    const report = await writer.stop(out.clientEndpoints);
    console.log(`writer: ${report.acknowledged} acknowledged puts, ${report.retries} retries, ${report.failed} failed`);
    expect(report.failed).toBe(0);
    expect(report.missing).toEqual([]);
    expect(report.acknowledged).toBeGreaterThan(300 * 20);
  });
});

describe("a dead host", () => {
  let stack: Stack;
  let out: ClusterOutputs;
  afterAll(() => stack?.cleanup());

  it("with 3 members and 1 host dead, removing a healthy member is refused before any change", async () => {
    stack = await newStack("dead");
    await stack.setConfig("members", members("d1@2,d2@3,d3@4"));
    await stack.up();
    out = await clusterOutputs(stack);
    await killHost(4);
    const pid = await etcdPid(3);
    await stack.setConfig("members", members("d1@2,d3@4"));
    const up = await stack.pulumi(["up", "--yes", "--skip-preview", "--suppress-progress"], { allowFailure: true });
    expect(up.code).not.toBe(0);
    expect(up.stdout).toMatch(
      /refusing to remove d2: removing d2 would leave 1 healthy voter\(s\) of 2, below the quorum of 2 \(d3 not healthy\)/,
    );
    expect(await etcdPid(3)).toBe(pid);
    const live = [out.clientEndpoints[0], out.clientEndpoints[1]];
    expect(await voters(out, live)).toEqual(["d1", "d2", "d3"]);
  });

  it("replacing the dead member with a new host: the up succeeds with a warning, 3 healthy voters", async () => {
    await stack.setConfig("members", members("d1@2,d2@3,d3@6"));
    const up = await stack.up();
    expect(up.stdout).toMatch(
      /warning: \[etcd-service-remove\] 10\.77\.0\.14: unreachable: its etcd was not stopped and its data dir not archived/,
    );
    out = await clusterOutputs(stack);
    expect(await voters(out)).toEqual(["d1", "d2", "d3"]);
    expect(await leaderCount(out)).toBe(1);
  });

  it("pulumi refresh shows a member removed by hand, and the next up adds it back", async () => {
    const d2 = await withClient(out.clientEndpoints, adminTls(out), async (c) =>
      (await c.cluster.memberList({})).members.find((m) => m.name === "d2")!,
    );
    // Asked of another member: d2 itself stops as it applies its removal, and may answer "server stopped".
    const others = out.clientEndpoints.filter((e) => !d2.clientURLs.includes(e));
    await withClient(others, adminTls(out), (c) => c.cluster.memberRemove({ ID: d2.ID }));
    const id = d2.ID;
    const refresh = await stack.pulumi(["refresh", "--yes", "--suppress-progress"]);
    expect(refresh.stdout).toMatch(new RegExp(`\\[refresh\\] d2: ${id} is not in the member list of dead: it was removed outside Pulumi`));
    expect(refresh.stdout).toMatch(/dead-d2-member.*deleted|- 1 deleted/s);
    const up = await stack.up();
    expect(up.stdout).toMatch(/\[member-add\] d2: adding as a learner/);
    expect(up.stdout).toMatch(/its earlier data dir was archived to \/var\/lib\/etcd\.replaced-/);
    expect(await voters(out)).toEqual(["d1", "d2", "d3"]);
  });
  it("an up interrupted during an add converges on the next up", async () => {
    await stack.setConfig("members", members("d1@2,d2@3,d3@6,d4@1,d5@5"));
    const run = stack.start(["up", "--yes", "--skip-preview", "--suppress-progress"]);
    const deadline = Date.now() + 120_000;
    while (!/\[member-add\] d[45]: adding as a learner/.test(run.output()) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(run.output()).toMatch(/\[member-add\] d[45]: adding/);
    run.child.kill("SIGINT");
    await new Promise((r) => setTimeout(r, 200));
    run.child.kill("SIGINT"); // the second one ends the engine at once, mid-operation
    const interrupted = await run.done;
    expect(interrupted.code).not.toBe(0);
    const rerun = await stack.pulumi(["up", "--yes", "--skip-preview", "--suppress-progress"], { allowFailure: true });
    const text = rerun.stdout + rerun.stderr;
    if (rerun.code !== 0) {
      // Keep the evidence: what each host's etcd said.
      const journals = await Promise.all(
        [2, 3, 6, 1, 5].map(
          async (h) =>
            `--- host${h}\n${await onHost(h, "systemctl is-active etcd; journalctl -u etcd -n 15 --no-pager -o cat | cut -c1-300").catch((e) => String(e))}`,
        ),
      );
      throw new Error(`${text.slice(-4000)}\n${journals.join("\n")}`);
    }
    out = await clusterOutputs(stack);
    expect(await voters(out)).toEqual(["d1", "d2", "d3", "d4", "d5"]);
    expect(await leaderCount(out)).toBe(1);
  });
});

describe("teardown", () => {
  it("leaves nothing of the bed behind", async () => {
    await bedDown();
    expect(bedLeftovers()).toEqual([]);
  });
});
