// Issue 13 end to end: a running cluster upgraded 3.5.35 → 3.6.16 → 3.7.3 in ONE `pulumi up` under
// a writer at 300 puts/s (each member restarted once per hop, one at a time, the leader last), its
// preview (the hop plan, no host contacted), the downgrade 3.7.3 → 3.6.16 through etcd's downgrade
// API under the writer, an upgrade whose `pulumi up` is killed (SIGKILL, with its plugins) after the
// first member and resumed by the next one, and the refusals that leave every etcd running: hops not
// allowed, a version without checksum, a learner, an undeclared member and a NOSPACE alarm.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clusterVersion, versionInfo } from "../../provider/etcd/client";
import { adminTls, bedTarballSha256, clusterOutputs, ClusterOutputs, leaderCount, membersConfig, sshSessions, withClient } from "./cluster";
import { Bed, bedDown, bedUp, onHost, Stack } from "./harness";
import { Writer } from "./writer";

let bed: Bed;
const BUCKET = "pe-upgrade";
beforeAll(async () => {
  bed = await bedUp(6);
});
afterAll(() => bedDown());

function log(message: string): void {
  console.log(`[etcd-upgrade ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

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

/** The [upgrade] progress lines of one hop, once each (the summary repeats the live display's lines). */
function hopLines(stdout: string, hop: string): string[] {
  return stdout.split("\n").filter((l) => l.trim().startsWith("[upgrade]") && l.includes(` ${hop}: `));
}

/** Every host restarted exactly `times` times since `since`, never two at once. */
async function expectOneAtATime(hosts: number[], since: number, times: number): Promise<void> {
  const spans = await Promise.all(hosts.map((h) => restarts(h, since)));
  for (const s of spans) expect(s).toHaveLength(times);
  const sorted = spans.flat().sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < sorted.length; i++)
    expect(sorted[i][0], "a member stopped before the previous one started").toBeGreaterThanOrEqual(sorted[i - 1][1]);
}

/** In a hop every member ran the new version once, the member that led at its start last. */
function expectLeaderLast(stdout: string, hop: string, members: number): void {
  const lines = hopLines(stdout, hop);
  const leader = lines.map((l) => /the leader (\S+) goes last/.exec(l)?.[1]).find(Boolean);
  const ran = lines.flatMap((l) => /: (\S+) runs \S+, caught up/.exec(l)?.[1] ?? []);
  expect(ran, hop).toHaveLength(members);
  expect(leader, `${hop}: the leader at its start`).toBeDefined();
  expect(ran[members - 1], `${hop}: the leader last`).toBe(leader);
}

/** `pulumi up` while the writer runs: no acknowledged write failed or went missing. */
async function upUnder(stack: Stack, writer: Writer, endpoints: string[]): Promise<{ stdout: string }> {
  const up = await stack.up();
  const report = await writer.stop(endpoints);
  log(`writer: ${report.acknowledged} acknowledged puts, ${report.retries} retries, ${report.failed} failed`);
  for (const line of up.stdout.split("\n").filter((l) => /\[upgrade\]/.test(l))) log(`  ${line.trim()}`);
  expect(report.failed).toBe(0);
  expect(report.missing).toEqual([]);
  expect(report.acknowledged).toBeGreaterThan(1000);
  return up;
}

async function versionsOf(out: ClusterOutputs): Promise<string[]> {
  return Promise.all(out.clientEndpoints.map((e) => withClient([e], adminTls(out), async (c) => (await c.maintenance.status()).version)));
}

describe("3.5.35 → 3.6.16 → 3.7.3 in one up under a writer", () => {
  let stack: Stack;
  let out: ClusterOutputs;
  let writer: Writer;
  afterAll(() => stack?.cleanup());

  it("3 members on 3.5.35, a writer at 300 puts/s", async () => {
    stack = await newStack("up3", "3.5.35", [1, 2, 3]);
    await stack.setConfig("upgradeChecksums", JSON.stringify({ "3.6.16": bedTarballSha256(bed, "3.6.16") }));
    await stack.setConfig("allowUpgradeHops", "true");
    // A SnapshotSchedule to S3: the upgrade's first snapshot goes where its snapshots go.
    await onHost(
      1,
      `curl -fsS --aws-sigv4 aws:amz:us-east-1:s3 --user S3RVER:S3RVER -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -X PUT ${bed.s3}/${BUCKET}`,
    );
    for (const [k, v] of Object.entries({ s3Endpoint: bed.s3, s3Bucket: BUCKET, s3Prefix: "up3/", s3AccessKey: "S3RVER" }))
      await stack.setConfig(k, v);
    await stack.setConfig("s3SecretKey", "S3RVER", true);
    await stack.up();
    out = await clusterOutputs(stack);
    writer = new Writer(out.clientEndpoints, adminTls(out), 300);
    writer.start();
  });

  it("preview prints the hop plan and contacts no host", async () => {
    await setVersion(stack, "3.7.3");
    const before = await Promise.all([1, 2, 3].map(sshSessions));
    const r = await stack.pulumi(["preview", "--diff"]);
    const after = await Promise.all([1, 2, 3].map(sshSessions));
    expect(after).toEqual(before.map((n) => n + 1)); // the counting session itself
    const text = r.stdout + r.stderr;
    expect(text).toMatch(/etcd 3\.5\.35 → 3\.7\.3: 2 hops, one after the other/);
    expect(text).toMatch(/hop 1\/2: 3\.5\.35 → 3\.6\.16 \(upgrade 3\.5 → 3\.6\)/);
    expect(text).toMatch(/hop 2\/2: 3\.6\.16 → 3\.7\.3 \(upgrade 3\.6 → 3\.7\)/);
    expect(text).toMatch(/live checks .* and a snapshot/);
  });

  it("the up: every member once per hop, one at a time, the leader last; no write failed or lost", async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const up = await upUnder(stack, writer, out.clientEndpoints);

    // Two hops: each member twice, never two at once; in each hop the member that led goes last.
    await expectOneAtATime([1, 2, 3], since, 2);
    for (const hop of ["3.5.35 → 3.6.16", "3.6.16 → 3.7.3"]) expectLeaderLast(up.stdout, hop, 3);
    // To the SnapshotSchedule's bucket, where it is a snapshot like the schedule's (with its metadata).
    const file = new RegExp(`snapshot before the upgrade: s3://${BUCKET}/up3/(up3-\\S+\\.db\\.gz)`).exec(up.stdout)?.[1];
    expect(file, "the upgrade's snapshot in the schedule's bucket").toBeDefined();
    const meta = (await (await fetch(`${bed.s3}/${BUCKET}/up3/${file}.json`)).json()) as { etcdVersion: string; size: number };
    expect(meta.etcdVersion).toBe("3.5.35");
    const body = await (await fetch(`${bed.s3}/${BUCKET}/up3/${file}`)).arrayBuffer();
    expect(body.byteLength).toBe(meta.size);
    log(`the upgrade's snapshot: s3://${BUCKET}/up3/${file}, ${meta.size} bytes`);
    expect(up.stdout).toMatch(/hop 1\/2 3\.5\.35 → 3\.6\.16: etcdutl check v2store: no custom v2 data on m\d, m\d, m\d/);

    out = await clusterOutputs(stack);
    expect(await leaderCount(out)).toBe(1);
    expect(await versionsOf(out)).toEqual(["3.7.3", "3.7.3", "3.7.3"]);
    expect(await clusterVersion(out.clientEndpoints[0], adminTls(out))).toBe("3.7.0");
    expect((await stack.outputs()).runningVersion).toBe("3.7.3");
    for (const h of [1, 2, 3]) expect(await onHost(h, "grep -c experimental /etc/etcd/etcd.conf.yml || true")).toBe("0\n");
  });

  it("a second up restarts nothing", async () => {
    const pids = await Promise.all([1, 2, 3].map(pidOf));
    await stack.up();
    expect(await Promise.all([1, 2, 3].map(pidOf))).toEqual(pids);
  });

  it("a downgrade 3.7.3 → 3.6.16 through etcd's downgrade API under the writer: previewed, then one up", async () => {
    await setVersion(stack, "3.6.16");
    const preview = await stack.pulumi(["preview", "--diff"]);
    expect(preview.stdout + preview.stderr).toMatch(/hop 1\/1: 3\.7\.3 → 3\.6\.16 \(downgrade 3\.7 → 3\.6 through etcd's downgrade API\)/);
    expect(preview.stdout + preview.stderr).toMatch(/before: etcdctl downgrade enable 3\.6/);
    writer = new Writer(out.clientEndpoints, adminTls(out), 300);
    writer.start();
    const since = Math.floor(Date.now() / 1000) - 1;
    const up = await upUnder(stack, writer, out.clientEndpoints);
    expect(up.stdout).toMatch(/downgrade to 3\.6 validated and enabled/);
    expect(up.stdout).toMatch(/storage version 3\.6 on every member/);
    await expectOneAtATime([1, 2, 3], since, 1);
    expectLeaderLast(up.stdout, "3.7.3 → 3.6.16", 3);
    expect(await versionsOf(out)).toEqual(["3.6.16", "3.6.16", "3.6.16"]);
    const info = await versionInfo(out.clientEndpoints[0], adminTls(out));
    expect([info.cluster, info.storage]).toEqual(["3.6.0", "3.6.0"]);
    expect(await leaderCount(out)).toBe(1);
    expect((await stack.outputs()).runningVersion).toBe("3.6.16");
  });

  it("an upgrade whose `pulumi up` is killed after the first member resumes on the next up", async () => {
    await setVersion(stack, "3.7.3");
    writer = new Writer(out.clientEndpoints, adminTls(out), 300);
    writer.start();
    const run = stack.start(["up", "--yes", "--skip-preview", "--suppress-progress"], { detached: true });
    const deadline = Date.now() + 240_000;
    const first = () => /\[upgrade\] .*3\.6\.16 → 3\.7\.3: (\S+) runs 3\.7\.3, caught up/.exec(run.output())?.[1];
    while (!first() && Date.now() < deadline && run.child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    const done = first();
    expect(done, run.output().slice(-3000)).toBeDefined();
    process.kill(-run.child.pid!, "SIGKILL"); // pulumi, its language host and the provider, like a killed CI job
    const killed = await run.done;
    expect(killed.code).not.toBe(0);
    log(`killed pulumi up after ${done} ran 3.7.3`);
    const k = Number(done!.slice(1)) - 1;
    // The cluster runs on mixed versions, with quorum; the killed up may have begun the next member.
    await new Promise((r) => setTimeout(r, 3000));
    const mixed = await versionsOf(out);
    expect(mixed[k]).toBe("3.7.3");
    expect(mixed.filter((v) => v === "3.6.16").length).toBeGreaterThanOrEqual(1);
    const pidDone = await pidOf(k + 1);
    // A killed pulumi leaves the stack's lock file behind (the diy backend): the documented way out.
    const rerun = await stack.pulumi(["up", "--yes", "--skip-preview", "--suppress-progress"], { allowFailure: true });
    let resumed = rerun;
    if (rerun.code !== 0 && /locked/.test(rerun.stdout + rerun.stderr)) {
      log(
        `the next up: ${(rerun.stdout + rerun.stderr)
          .split("\n")
          .find((l) => /locked/.test(l))
          ?.trim()}`,
      );
      await stack.pulumi(["cancel", "--yes"]);
      resumed = await stack.up();
    }
    expect(resumed.code, resumed.stdout.slice(-3000) + resumed.stderr.slice(-2000)).toBe(0);
    const report = await writer.stop(out.clientEndpoints);
    log(`writer: ${report.acknowledged} acknowledged puts, ${report.retries} retries, ${report.failed} failed`);
    for (const line of resumed.stdout.split("\n").filter((l) => /\[upgrade\]/.test(l))) log(`  ${line.trim()}`);
    expect(report.failed).toBe(0);
    expect(report.missing).toEqual([]);
    expect(resumed.stdout).toMatch(new RegExp(`resuming: ${done} already on 3\\.7\\.3`));
    expect(await pidOf(k + 1), `${done} is not restarted again`).toBe(pidDone);
    expect(await versionsOf(out)).toEqual(["3.7.3", "3.7.3", "3.7.3"]);
    expect(await clusterVersion(out.clientEndpoints[0], adminTls(out))).toBe("3.7.0");
    expect(await leaderCount(out)).toBe(1);
    expect((await stack.outputs()).runningVersion).toBe("3.7.3");
    await stack.destroy();
  });
});

describe("refusals on a 3.5.21 cluster: every etcd keeps running", () => {
  let stack: Stack;
  let out: ClusterOutputs;
  let pids: string[];
  afterAll(() => stack?.cleanup());

  it("3 members on 3.5.21 (below the 3.6 minimum, 3.5.32)", async () => {
    stack = await newStack("old", "3.5.21", [4, 5, 6]);
    await stack.up();
    out = await clusterOutputs(stack);
    pids = await Promise.all([4, 5, 6].map(pidOf));
  });

  it("to 3.6.16 or 3.7.3 without allowUpgradeHops: refused at preview, the path named", async () => {
    await setVersion(stack, "3.6.16");
    const r = await stack.pulumi(["preview"], { allowFailure: true });
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/3\.5\.21 → 3\.6\.16: .*3\.5\.32/);
    await setVersion(stack, "3.7.3");
    const r37 = await stack.pulumi(["preview"], { allowFailure: true });
    expect(r37.code).not.toBe(0);
    expect(r37.stdout + r37.stderr).toMatch(/3\.5\.21 → 3\.7\.3: etcd upgrades one minor at a time: .*skips 3\.6/);
    expect(await Promise.all([4, 5, 6].map(pidOf))).toEqual(pids);
  });

  it("a version without a checksum: refused at preview", async () => {
    await stack.setConfig("version", "3.5.36");
    await stack.pulumi(["config", "rm", "sha256"]);
    const r = await stack.pulumi(["preview"], { allowFailure: true });
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/pins no checksum for etcd 3\.5\.36/);
    expect(await Promise.all([4, 5, 6].map(pidOf))).toEqual(pids);
    await setVersion(stack, "3.6.16");
  });

  it("with hops allowed but a learner, an undeclared member and a NOSPACE alarm: refused at up before any restart", async () => {
    await stack.setConfig("upgradeChecksums", JSON.stringify({ "3.5.35": bedTarballSha256(bed, "3.5.35") }));
    await stack.setConfig("allowUpgradeHops", "true");
    // etcd refuses a member change until its leader has seen every voter for 5 s: retried.
    const ghost = await withClient(out.clientEndpoints, adminTls(out), async (c) => {
      for (let t = 0; ; t++) {
        try {
          return await c.cluster.memberAdd({ peerURLs: ["https://10.77.0.99:2380"], isLearner: true });
        } catch (e) {
          if (t >= 30 || !/unhealthy cluster/.test(String(e))) throw e;
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    });
    // The alarm a member raises when its database reaches its quota (raised here through etcd's API).
    const alarmed = await withClient([out.clientEndpoints[1]], adminTls(out), async (c) => {
      const id = (await c.maintenance.status()).header.member_id;
      await c.maintenance.alarm({ action: "Activate", memberID: id, alarm: "Nospace" });
      return id;
    });
    try {
      const r = await stack.pulumi(["up", "--yes", "--skip-preview", "--suppress-progress"], { allowFailure: true });
      expect(r.code).not.toBe(0);
      const text = r.stdout + r.stderr;
      expect(text).toMatch(/upgrade of old to 3\.6\.16 refused, nothing was restarted/);
      expect(text).toMatch(/learner\(s\) .* in the cluster/);
      expect(text).toMatch(/not declared/);
      expect(text).toMatch(/active alarm\(s\) \S*NOSPACE/);
      expect(await Promise.all([4, 5, 6].map(pidOf))).toEqual(pids);
    } finally {
      await withClient(out.clientEndpoints, adminTls(out), async (c) => {
        await c.maintenance.alarm({ action: "Deactivate", memberID: alarmed, alarm: "Nospace" });
        await c.cluster.memberRemove({ ID: ghost.member.ID });
      });
    }
  });

  it("destroy", async () => {
    await setVersion(stack, "3.5.21");
    await stack.setConfig("allowUpgradeHops", "false");
    await stack.destroy();
  });
});
