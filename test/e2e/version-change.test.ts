// Issue 13 (first slice) end to end: a running cluster's etcd version changed by one hop per
// `pulumi up` — 3.6.16 → 3.7.3 under a writer at 300 puts/s, each member restarted exactly once,
// one at a time — and the changes this release refuses at preview, with every etcd left running.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminTls, bedTarballSha256, clusterOutputs, ClusterOutputs, leaderCount, membersConfig, withClient } from "./cluster";
import { Bed, bedDown, bedUp, onHost, Stack } from "./harness";
import { Writer } from "./writer";

let bed: Bed;
beforeAll(async () => {
  bed = await bedUp(6);
});
afterAll(() => bedDown());

async function newStack(name: string, version: string, hosts: number[]): Promise<Stack> {
  const stack = await Stack.create("cluster-ts", name);
  await stack.setConfig("sshKey", readFileSync(bed.key, "utf8"), true);
  await stack.setConfig("clusterName", name);
  await setVersion(stack, version);
  await stack.setConfig("downloadUrl", `${bed.mirror}/etcd/etcd-v{version}-linux-{arch}.tar.gz`);
  await stack.setConfig(
    "members",
    membersConfig(
      bed,
      hosts.map((h) => h - 1),
      hosts.map((h) => `m${h}`),
    ),
  );
  return stack;
}

async function setVersion(stack: Stack, version: string): Promise<void> {
  await stack.setConfig("version", version);
  await stack.setConfig("sha256", bedTarballSha256(bed, version));
}

const pidOf = async (host: number) => (await onHost(host, "systemctl show -p MainPID --value etcd.service")).trim();

/** [stop began, started] of every etcd restart on a host since `sinceSec` (epoch seconds), from the journal. */
async function restarts(host: number, sinceSec: number): Promise<[number, number][]> {
  const log = await onHost(
    host,
    `journalctl -u etcd.service --since @${sinceSec} -o short-unix --no-pager | grep -E 'systemd\\[1\\]: (Stopping|Started) ' || true`,
  );
  const spans: [number, number][] = [];
  let stopping: number | undefined;
  for (const line of log.split("\n").filter(Boolean)) {
    const t = Number(line.split(" ")[0]);
    if (/ Stopping /.test(line)) stopping = t;
    else if (stopping !== undefined) {
      spans.push([stopping, t]);
      stopping = undefined;
    }
  }
  return spans;
}

describe("version changes of a running cluster (one hop per up)", () => {
  let stack: Stack;
  let out: ClusterOutputs;
  let writer: Writer;
  afterAll(() => stack?.cleanup());

  it("3 members on 3.6.16, a writer at 300 puts/s", async () => {
    stack = await newStack("vc", "3.6.16", [1, 2, 3]);
    await stack.up();
    out = await clusterOutputs(stack);
    writer = new Writer(out.clientEndpoints, adminTls(out), 300);
    writer.start();
  });

  it("refuses a downgrade at preview; every etcd keeps running", async () => {
    const pids = await Promise.all([1, 2, 3].map(pidOf));
    await setVersion(stack, "3.5.35");
    const r = await stack.pulumi(["preview"], { allowFailure: true });
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/changing etcd 3\.6\.16 to 3\.5\.35 on a running cluster is a downgrade.*keep version 3\.6\.16/);
    expect(await Promise.all([1, 2, 3].map(pidOf))).toEqual(pids);
  });

  it("3.6.16 → 3.7.3 in one up: each member restarted once, one at a time; no write failed or lost", async () => {
    await setVersion(stack, "3.7.3");
    const since = Math.floor(Date.now() / 1000) - 1;
    const pids = await Promise.all([1, 2, 3].map(pidOf));
    await stack.up();
    const report = await writer.stop(out.clientEndpoints);
    console.log(`writer: ${report.acknowledged} acknowledged puts, ${report.retries} retries, ${report.failed} failed`);
    expect(report.failed).toBe(0);
    expect(report.missing).toEqual([]);
    expect(report.acknowledged).toBeGreaterThan(1000);

    const after = await Promise.all([1, 2, 3].map(pidOf));
    after.forEach((p, i) => expect(p).not.toBe(pids[i]));
    const spans = await Promise.all([1, 2, 3].map((h) => restarts(h, since)));
    for (const s of spans) expect(s).toHaveLength(1);
    // One at a time: no member stopped before the one before it had started again.
    const sorted = spans.map((s) => s[0]).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i][0]).toBeGreaterThanOrEqual(sorted[i - 1][1]);

    out = await clusterOutputs(stack);
    expect(await leaderCount(out)).toBe(1);
    const versions = await withClient(out.clientEndpoints, adminTls(out), () =>
      Promise.all(out.clientEndpoints.map((e) => withClient([e], adminTls(out), async (c) => (await c.maintenance.status()).version))),
    );
    expect(versions).toEqual(["3.7.3", "3.7.3", "3.7.3"]);
    // A 3.7 member renders no experimental key (3.7 would ignore it silently).
    for (const h of [1, 2, 3]) expect(await onHost(h, "grep -c experimental /etc/etcd/etcd.conf.yml || true")).toBe("0\n");
  });

  it("a second up restarts nothing", async () => {
    const pids = await Promise.all([1, 2, 3].map(pidOf));
    await stack.up();
    expect(await Promise.all([1, 2, 3].map(pidOf))).toEqual(pids);
  });

  it("a 3.5 patch below the 3.6 minimum is refused when it would skip the hop there; etcd keeps running", async () => {
    const old = await newStack("vc-old", "3.5.21", [4, 5, 6]);
    try {
      await old.up();
      const pids = await Promise.all([4, 5, 6].map(pidOf));
      await setVersion(old, "3.6.16");
      const r = await old.pulumi(["preview"], { allowFailure: true });
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(
        /changing etcd 3\.5\.21 to 3\.6\.16 on a running cluster takes 2 hops \(3\.5\.21 → 3\.5\.\d+ → 3\.6\.16\)/,
      );
      expect(await Promise.all([4, 5, 6].map(pidOf))).toEqual(pids);
      await setVersion(old, "3.5.21");
      await old.destroy();
    } finally {
      await old.cleanup();
    }
  });

  it("destroy", async () => {
    await stack.destroy();
  });
});
