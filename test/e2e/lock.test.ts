// Issue 14 (item 3) end to end: one lock for every operation of the package. The same program from
// two checkouts with their own state (a copy of the first's, as two CI runners that restored the
// same state would have) scales one cluster from 3 to 5 members at once: one `pulumi up` waits for
// the other's lock and says who holds it, then sees the other's change (no second add); the cluster
// ends with exactly the declared members. And the snapshot timer skips its run while the lock is
// held (status file), and takes its snapshot once it is released.
import { copyFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminTls, bedTarballSha256, clusterOutputs, ClusterOutputs, leaderCount, membersSpec, withClient } from "./cluster";
import { Bed, bedDown, bedUp, onHost, RunResult, Stack } from "./harness";
import { withClusterLock } from "../../provider/etcd/lock";
import { probeMember } from "../../provider/etcd/client";
import type { Context } from "../../provider/common/handler";

const V36 = "3.6.16";
const CLUSTER = "lockc";
const STACK = "lock";
let bed: Bed;
let sha256: string;
let a: Stack | undefined;
let b: Stack | undefined;
let out: ClusterOutputs;

beforeAll(async () => {
  bed = await bedUp(5);
  sha256 = bedTarballSha256(bed, V36);
});
afterAll(async () => {
  // B's state is a copy of A's: destroying A's takes the cluster down; B's is only dropped.
  await a?.cleanup();
  if (b) {
    await b.pulumi(["stack", "rm", "--force", "--yes"], { allowFailure: true });
    rmSync(path.dirname(b.dir), { recursive: true, force: true });
  }
  await bedDown();
});

const members = (spec: string) => membersSpec(bed, spec);

async function configure(stack: Stack): Promise<void> {
  await stack.setConfig("sshKey", readFileSync(bed.key, "utf8"), true);
  await stack.setConfig("clusterName", CLUSTER);
  await stack.setConfig("version", V36);
  await stack.setConfig("sha256", sha256);
  await stack.setConfig("downloadUrl", `${bed.mirror}/etcd/etcd-v{version}-linux-{arch}.tar.gz`);
}

async function memberNames(): Promise<{ names: string[]; learners: string[] }> {
  return withClient(out.clientEndpoints, adminTls(out), async (c) => {
    const { members: list } = await c.cluster.memberList({ linearizable: true } as never);
    return { names: list.map((m) => m.name).sort(), learners: list.filter((m) => m.isLearner).map((m) => m.name) };
  });
}

describe("two pulumi ups from two checkouts with their own state, on one cluster", () => {
  it("the first creates a 3-member cluster (with a snapshot timer on every member)", async () => {
    a = await Stack.create("lock-ts", STACK);
    await configure(a);
    await a.setConfig("members", members("m1@1,m2@2,m3@3"));
    await a.up();
    out = await clusterOutputs(a);
    expect((await memberNames()).names).toEqual(["m1", "m2", "m3"]);
  });

  it("the second checkout has a copy of the first's state: its preview changes nothing", async () => {
    b = await Stack.create("lock-ts", STACK);
    // The same stack config (its secrets under the same passphrase salt) and a copy of the state.
    copyFileSync(path.join(a!.dir, `Pulumi.${STACK}.yaml`), path.join(b.dir, `Pulumi.${STACK}.yaml`));
    const state = path.join(path.dirname(b.dir), "a-state.json");
    writeFileSync(state, await a!.exportState());
    await b.pulumi(["stack", "import", "--file", state]);
    const plan = await b.preview();
    expect((plan.steps ?? []).filter((s) => s.op !== "same").map((s) => `${s.op} ${s.urn}`)).toEqual([]);
  });

  it("both scale it to 5 at once: one waits for the other's lock, then sees its change; 5 members, each added once", async () => {
    const five = members("m1@1,m2@2,m3@3,m4@4,m5@5");
    await a!.setConfig("members", five);
    await b!.setConfig("members", five);
    const args = ["up", "--yes", "--skip-preview", "--suppress-progress"];
    const runs = [a!.start(args), b!.start(args)];
    const results: RunResult[] = await Promise.all(runs.map((r) => r.done));
    for (const [k, r] of results.entries()) {
      if (r.code !== 0)
        throw new Error(`${k === 0 ? "A" : "B"}: pulumi up failed (exit ${r.code}):\n${r.stdout.slice(-6000)}\n${r.stderr.slice(-3000)}`);
    }
    for (const [k, r] of results.entries()) writeFileSync(path.join(tmpdir(), `pe-lock-e2e-${"ab"[k]}.log`), r.stdout + r.stderr);
    const both = results.map((r) => r.stdout).join("\n");
    // One of them waited, naming the holder: the other process, its stack and its operation.
    const waited = new RegExp(
      String.raw`\[lock\] ${CLUSTER}: member-add m[45]: cluster ${CLUSTER} is locked by host \S+ pid \d+ \(stack ${STACK} of project lock-ts\), member-add m[45], since \S+ \(for \d+ s\); waiting for it`,
    );
    expect(both).toMatch(waited);
    expect(both).toMatch(/\[lock\] \S+: member-add m[45]: took the lock after \d+ s/);
    // Each new member added by one of the two; the other found it in the list (a line may show
    // twice in one output: inline and in the diagnostics at the end).
    for (const m of ["m4", "m5"]) {
      const added = results.map((r) => new RegExp(String.raw`\[member-add\] ${m}: adding as a learner`).test(r.stdout));
      const found = results.map((r) => new RegExp(String.raw`\[member-add\] ${m}: already a healthy voter`).test(r.stdout));
      expect(added.filter(Boolean), `${m} added by one`).toHaveLength(1);
      expect(found, `${m} found by the other`).toEqual(added.map((x) => !x));
    }
    expect(both).not.toMatch(/\[member-remove\]/);
    expect(both).not.toMatch(/first removing (learner|unstarted member)/);
    out = await clusterOutputs(a!);
    const live = await memberNames();
    expect(live.names).toEqual(["m1", "m2", "m3", "m4", "m5"]);
    expect(live.learners).toEqual([]);
    expect(await leaderCount(out)).toBe(1);
    // The new members' etcd started once: the second to get there left them running as they were.
    for (const h of [4, 5])
      expect((await onHost(h, "journalctl -u etcd.service -o cat | grep -c '^Started ' || true")).trim(), `host ${h}`).toBe("1");
    // The lock is released at the end of both.
    expect(await withClient(out.clientEndpoints, adminTls(out), (c) => c.get(`/pulumi-etcd/${CLUSTER}/lock`).string())).toBeNull();
  });

  it("a snapshot and a defrag timer run while the lock is held skip their runs (status files); once released they run", async () => {
    const tls = adminTls(out);
    const probes = await Promise.all(out.clientEndpoints.map((e) => probeMember(e, tls)));
    const leaderAt = probes.findIndex((p) => p.ok && p.memberId === p.leaderId);
    expect(leaderAt).toBeGreaterThan(-1);
    const host = Number(out.memberList.find((m) => m.clientUrls[0] === out.clientEndpoints[leaderAt])!.name.slice(1));
    const snapshots = async () => (await onHost(host, "find /var/backups/etcd -name '*.db.gz' 2>/dev/null | wc -l")).trim();
    const before = await snapshots();
    let defragStatus = "";
    const lines: string[] = [];
    const ctx: Context = {
      urn: `urn:pulumi:e2e::lock-test::etcd:cluster:Member::holder`,
      log: async (p, s, m) => void lines.push(`[${p}] ${s}: ${m}`),
      warn: async (p, s, m) => void lines.push(`warning [${p}] ${s}: ${m}`),
    };
    const status = await withClusterLock(
      ctx,
      { clusterName: CLUSTER, endpoints: out.clientEndpoints, tls, operation: "e2e holds the lock" },
      async () => {
        await onHost(host, "systemctl start etcd-snapshot.service");
        // The defrag timer's run (its service, as the timer starts it) skips too.
        await onHost(host, "systemctl start etcd-defrag.service");
        defragStatus = await onHost(host, "cat /var/lib/pulumi-etcd/defrag-status");
        return onHost(host, "cat /var/lib/pulumi-etcd/snapshot-status");
      },
    );
    expect(defragStatus).toMatch(/^last_skipped_message=cluster lock held by \{.*"operation":"e2e holds the lock",.*\}$/m);
    expect(await onHost(host, "journalctl -u etcd-defrag.service -n 20 --no-pager")).toMatch(/skipped: the cluster lock is held by/);
    expect(status).toMatch(/^last_skipped_message=cluster lock held by \{"host":"[^"]+","pid":\d+,"operation":"e2e holds the lock",.*\}$/m);
    expect(await snapshots()).toBe(before);
    expect(await onHost(host, "journalctl -u etcd-snapshot.service -n 20 --no-pager")).toMatch(/skipped: the cluster lock is held by/);
    // Released: the next run takes its snapshot, and its own lock is gone afterwards.
    await onHost(host, "systemctl start etcd-snapshot.service");
    expect(await onHost(host, "cat /var/lib/pulumi-etcd/snapshot-status")).toMatch(/^last_success_message=lockc-.*\.db\.gz$/m);
    expect(Number(await snapshots())).toBe(Number(before) + 1);
    expect(await onHost(host, "journalctl -u etcd-snapshot.service -n 20 --no-pager")).toMatch(
      /took the cluster lock \/pulumi-etcd\/lockc\/lock/,
    );
    expect(await withClient(out.clientEndpoints, tls, (c) => c.get(`/pulumi-etcd/${CLUSTER}/lock`).string())).toBeNull();
    // Released: the defrag timer's run takes the lock (nothing is fragmented enough: it defragments nothing).
    await onHost(host, "systemctl start etcd-defrag.service");
    expect(await onHost(host, "journalctl -u etcd-defrag.service -n 20 --no-pager")).toMatch(
      /took the cluster lock \/pulumi-etcd\/lockc\/lock/,
    );
    expect(await onHost(host, "cat /var/lib/pulumi-etcd/defrag-status")).toMatch(/^last_success_message=nothing to defragment$/m);
    expect(await withClient(out.clientEndpoints, tls, (c) => c.get(`/pulumi-etcd/${CLUSTER}/lock`).string())).toBeNull();
    expect(lines).toEqual([]); // nobody else held it: taken at once
  });
});
