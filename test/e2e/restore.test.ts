// Issue 5 (restore): a snapshot is the way back after quorum loss. Cluster A (3 members) gets
// 10,000 keys, an on-demand snapshot to S3 (s3rver), 100 more keys, then loses 2 of its 3 members'
// data; `pulumi up` with a restore brings back one healthy cluster with exactly the snapshot's
// keys. A corrupted snapshot is refused with every member still running. The same snapshot is
// restored into a new cluster B on three other hosts.
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import { AddressInfo } from "node:net";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeMember } from "../../provider/etcd/client";
import { adminTls, bedTarballSha256, clusterOutputs, ClusterOutputs, leaderCount, membersConfig, withClient } from "./cluster";
import { Bed, bedDown, bedLeftovers, bedUp, onHost, Stack } from "./harness";

const V36 = "3.6.16";
const BUCKET = "etcd-restore";
const KEYS = 10_000;
let bed: Bed;
let a: Stack;
let b: Stack;
let work: string;

/** Puts an object into the bucket (s3rver checks no signature). */
async function s3put(key: string, body: Buffer | string): Promise<void> {
  const r = await fetch(`${bed.s3}/${BUCKET}/${key}`, { method: "PUT", body });
  if (!r.ok) throw new Error(`PUT ${key}: ${r.status} ${await r.text()}`);
}

async function newStack(program: string, name: string, hosts: number[], names: string[]): Promise<Stack> {
  const s = await Stack.create(program, name);
  await s.setConfig("sshKey", readFileSync(bed.key, "utf8"), true);
  await s.setConfig("clusterName", name);
  await s.setConfig("members", membersConfig(bed, hosts, names));
  await s.setConfig("version", V36);
  await s.setConfig("sha256", bedTarballSha256(bed, V36));
  await s.setConfig("downloadUrl", `${bed.mirror}/etcd/etcd-v{version}-linux-{arch}.tar.gz`);
  await s.setConfig("s3Endpoint", bed.s3);
  await s.setConfig("s3Bucket", BUCKET);
  await s.setConfig("s3AccessKey", "S3RVER");
  await s.setConfig("s3SecretKey", "S3RVER", true);
  return s;
}

/** Every key under k/ with its value, and how many extra/ keys exist. */
async function contents(out: ClusterOutputs): Promise<{ keys: Record<string, string>; extra: number }> {
  return withClient(out.clientEndpoints, adminTls(out), async (c) => ({
    keys: await c.getAll().prefix("k/").strings(),
    extra: Number(await c.getAll().prefix("extra/").count()),
  }));
}

const expectedKeys = Object.fromEntries(Array.from({ length: KEYS }, (_, i) => [`k/${String(i).padStart(5, "0")}`, `value-${i}`]));

async function mainPids(hosts: number[]): Promise<string[]> {
  return Promise.all(hosts.map(async (h) => (await onHost(h, "systemctl show -p MainPID --value etcd.service")).trim()));
}

beforeAll(async () => {
  bed = await bedUp(6);
  work = mkdtempSync(path.join(tmpdir(), "pe-restore-e2e-"));
  await onHost(
    1,
    `curl -fsS --aws-sigv4 aws:amz:us-east-1:s3 --user S3RVER:S3RVER -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -X PUT ${bed.s3}/${BUCKET}`,
  );
  a = await newStack("restore-ts", "alpha", [0, 1, 2], ["a1", "a2", "a3"]);
});

afterAll(async () => {
  await b?.cleanup();
  await a?.cleanup();
  rmSync(work, { recursive: true, force: true });
  await bedDown();
});

describe("restore after quorum loss, a corrupted snapshot refused, a clone into a new cluster", () => {
  let before: ClusterOutputs;
  let snap: { file: string; sha256: string; revision: string; location: string };

  it("cluster A with 10,000 keys, a snapshot in S3, then 100 keys more", async () => {
    await a.up();
    before = await clusterOutputs(a);
    await withClient(before.clientEndpoints, adminTls(before), async (c) => {
      const entries = Object.entries(expectedKeys);
      for (let i = 0; i < entries.length; i += 500) await Promise.all(entries.slice(i, i + 500).map(([k, v]) => c.put(k).value(v)));
    });
    await a.setConfig("snapshotTrigger", "before-disaster");
    await a.up();
    snap = (await a.outputs()).snapshot as typeof snap;
    expect(snap.location).toBe(`s3://${BUCKET}/ondemand/${snap.file}`);
    await withClient(before.clientEndpoints, adminTls(before), async (c) => {
      for (let i = 0; i < 100; i++) await c.put(`extra/${i}`).value("after the snapshot");
    });
    expect((await contents(before)).extra).toBe(100);
  });

  it("2 of 3 members wiped: no quorum", async () => {
    for (const h of [2, 3]) await onHost(h, "systemctl stop etcd.service && rm -rf /var/lib/etcd");
    const read = await withClient(before.clientEndpoints, adminTls(before), (c) =>
      c
        .get("k/00001")
        .string()
        .then(
          () => "ok",
          (e: Error) => e.message,
        ),
    );
    expect(read).not.toBe("ok");
  });

  it("preview says what the restore will do, before anything is touched", async () => {
    await a.setConfig("restore", JSON.stringify({ generation: 1, key: `ondemand/${snap.file}` }));
    const pids = await mainPids([1]);
    const p = await a.pulumi(["preview", "--diff"]);
    // The plan is a warning (it stops every member); with --diff pulumi prints warnings on stderr.
    const text = p.stdout + p.stderr;
    expect(text).toMatch(/warning: \[restore\] alpha: generation 1 from s3:\/\/etcd-restore\/ondemand\/\S+ will:/);
    expect(text).toMatch(/2\. stop etcd on a1, a2, a3/);
    expect(text).toMatch(/archive each data dir with its config, unit and identity/);
    expect(p.stdout).toMatch(/\+ etcd:cluster:Restore: \(create\)/);
    expect(p.stdout).toMatch(/~ token\s*: "alpha-[0-9a-f]+" => \[unknown\]/);
    expect(await mainPids([1])).toEqual(pids);
  });

  it("pulumi up restores: 3 healthy members, exactly the snapshot's keys, a new cluster ID, old data archived", async () => {
    const up = await a.up();
    expect(up.stdout).toMatch(/\[restore\] alpha: restored \(generation 1\): 3 member\(s\), new cluster ID/);
    // The free-disk check ran (mawk printed df's bytes as 7.27e+10, a bash syntax error, before).
    expect(up.stdout + up.stderr).not.toMatch(/syntax error/);
    expect(up.stdout).not.toMatch(/PRIVATE KEY|S3RVER:S3RVER/);
    const out = await clusterOutputs(a);
    expect(out.clusterId).not.toBe(before.clusterId);
    expect(await leaderCount(out)).toBe(1);
    const probes = await Promise.all(out.clientEndpoints.map((e) => probeMember(e, adminTls(out))));
    expect(probes.every((p) => p.ok && p.clusterId === out.clusterId)).toBe(true);
    expect(Number(probes[0].revision)).toBeGreaterThanOrEqual(Number(snap.revision) + 1_000_000_000);
    const names = await withClient(out.clientEndpoints, adminTls(out), async (c) =>
      (await c.cluster.memberList({})).members.map((m) => m.name).sort(),
    );
    expect(names).toEqual(["a1", "a2", "a3"]);
    const { keys, extra } = await contents(out);
    expect(Object.keys(keys).length).toBe(KEYS);
    expect(keys).toEqual(expectedKeys);
    expect(extra).toBe(0);
    // Every member's earlier state is archived: the survivor's data dir, and each config and unit.
    const archives = (await a.outputs()).restoreArchives as string[];
    expect(archives.length).toBe(3);
    for (const [k, h] of [1, 2, 3].entries()) {
      const dir = archives.find((x) => x.startsWith(`${bed.hosts[k].ip}:`))!.split(":")[1];
      expect(dir).toMatch(/^\/var\/lib\/etcd\.pre-restore1-\d{8}T\d{6}Z$/);
      const listing = await onHost(h, `ls ${dir}`);
      expect(listing).toMatch(/etcd\.conf\.yml/);
      expect(listing).toMatch(/etcd\.service/);
      if (h === 1) expect(await onHost(h, `ls ${dir}/data/member`)).toMatch(/wal/);
      else expect(listing).not.toMatch(/data/);
      expect(await onHost(h, "ls -d /var/lib/etcd.pe-restore 2>/dev/null || echo none")).toMatch(/none/);
    }
  });

  it("a second up changes nothing", async () => {
    const p = await a.preview();
    expect(p.changeSummary).toEqual({ same: expect.any(Number) });
  });

  it("a corrupted snapshot (with or without its metadata) is refused; every member keeps running unchanged", async () => {
    const out = await clusterOutputs(a);
    const body = Buffer.from(await (await fetch(`${bed.s3}/${BUCKET}/ondemand/${snap.file}`)).arrayBuffer());
    const bad = Buffer.from(body);
    for (let i = Math.floor(bad.length / 2); i < Math.floor(bad.length / 2) + 64; i++) bad[i] ^= 0xff;
    const meta = await (await fetch(`${bed.s3}/${BUCKET}/ondemand/${snap.file}.json`)).text();
    await s3put("corrupt/with-meta.db.gz", bad);
    await s3put("corrupt/with-meta.db.gz.json", meta);
    await s3put("corrupt/no-meta.db.gz", bad);
    const pids = await mainPids([1, 2, 3]);
    // One sentence per member: what is wrong, what was checked, what to do, and that nothing changed.
    const advice =
      /Take another snapshot, compare this file's sha256 with the one recorded when it was taken, or restore an older snapshot\. Nothing was changed\./
        .source;
    for (const [key, why] of [
      [
        "corrupt/with-meta.db.gz",
        new RegExp(`^sha256 mismatch: expected [0-9a-f]{64}, got [0-9a-f]{64} \\(a corrupt or different snapshot\\)\\. ${advice}$`),
      ],
      [
        "corrupt/no-meta.db.gz",
        new RegExp(
          `^the snapshot file is corrupt(?:: it is not a valid gzip file \\(gzip says "[^"]+"; | or not an etcd snapshot: etcdutl snapshot (?:status|restore) says "[^"]+" \\()` +
            `checked: its sha256 is [0-9a-f]{64}, but no expected sha256 was given or found beside it(?:; [^)]+)?\\)\\. ${advice}$`,
        ),
      ],
    ] as const) {
      await a.setConfig("restore", JSON.stringify({ generation: 2, key }));
      const up = await a.pulumi(["up", "--yes", "--skip-preview"], { allowFailure: true });
      expect(up.code).not.toBe(0);
      const reasons = [...up.stdout.matchAll(/^\s*- (a\d): etcd-restore-stage failed on \S+ \(exit \d+\): (.*)$/gm)].map((m) =>
        m[2].trim(),
      );
      expect(reasons.length).toBeGreaterThanOrEqual(1);
      for (const r of reasons) expect(r).toMatch(why);
      expect(up.stdout + up.stderr).not.toMatch(/\+0x|goroutine|syntax error/);
      expect(up.stdout).toMatch(/Nothing was stopped: every member runs as before/);
      expect(await mainPids([1, 2, 3])).toEqual(pids);
      for (const h of [1, 2, 3]) expect(await onHost(h, "ls -d /var/lib/etcd.pe-restore 2>/dev/null || echo none")).toMatch(/none/);
      const probes = await Promise.all(out.clientEndpoints.map((e) => probeMember(e, adminTls(out))));
      expect(probes.every((p) => p.ok && p.clusterId === probes[0].clusterId)).toBe(true);
      expect(Object.keys((await contents(out)).keys).length).toBe(KEYS);
    }
    expect(createHash("sha256").update(body).digest("hex")).toBe(snap.sha256);
    // Back to the restore that was done: nothing to do.
    await a.setConfig("restore", JSON.stringify({ generation: 1, key: `ondemand/${snap.file}` }));
    expect((await a.preview()).changeSummary).toEqual({ same: expect.any(Number) });
  });

  it("the snapshot restored into a new cluster B on three other hosts (from a file on one of them)", async () => {
    // The snapshot on b1's host, as a user would copy it there.
    await onHost(4, `curl -fsS -o /root/snapshot.db.gz ${bed.s3}/${BUCKET}/ondemand/${snap.file}`);
    b = await newStack("restore-ts", "beta", [3, 4, 5], ["b1", "b2", "b3"]);
    await b.setConfig("restore", JSON.stringify({ generation: 1, host: { member: "b1", path: "/root/snapshot.db.gz" } }));
    await b.up();
    const outB = await clusterOutputs(b);
    const outA = await clusterOutputs(a);
    expect(outB.clusterId).not.toBe(outA.clusterId);
    expect(await leaderCount(outB)).toBe(1);
    expect((await contents(outB)).keys).toEqual(expectedKeys);
    // Nothing of B's hosts was there to archive; A is untouched.
    expect((await b.outputs()).restoreArchives).toEqual([]);
    expect(Object.keys((await contents(outA)).keys).length).toBe(KEYS);
  });

  it("a new generation restores a healthy cluster B again (from a file on the Pulumi machine): later writes are gone, every data dir archived", async () => {
    const outB = await clusterOutputs(b);
    await withClient(outB.clientEndpoints, adminTls(outB), (c) => c.put("extra/after-clone").value("x"));
    const local = path.join(work, "snapshot.db.gz");
    writeFileSync(local, Buffer.from(await (await fetch(`${bed.s3}/${BUCKET}/ondemand/${snap.file}`)).arrayBuffer()));
    await b.setConfig("restore", JSON.stringify({ generation: 2, file: local, sha256: snap.sha256 }));
    await b.up();
    const after = await clusterOutputs(b);
    expect(after.clusterId).not.toBe(outB.clusterId);
    const { keys, extra } = await contents(after);
    expect(keys).toEqual(expectedKeys);
    expect(extra).toBe(0);
    const archives = (await b.outputs()).restoreArchives as string[];
    expect(archives.length).toBe(3);
    for (const [k, h] of [4, 5, 6].entries()) {
      const dir = archives.find((x) => x.startsWith(`${bed.hosts[k + 3].ip}:`))!.split(":")[1];
      expect(dir).toMatch(/^\/var\/lib\/etcd\.pre-restore2-/);
      expect(await onHost(h, `ls ${dir}/data/member`)).toMatch(/snap/);
    }
  });

  it("a restore from S3 with the instance role's credentials (IMDSv2) instead of keys", async () => {
    // A metadata service like EC2's, on the bed's bridge: a session token first, then the role's keys.
    const seen: string[] = [];
    const imds = createServer((req, res) => {
      const token = req.headers["x-aws-ec2-metadata-token"];
      seen.push(`${req.method} ${req.url} ${token ? "with-token" : "no-token"}`);
      if (req.method === "PUT" && req.url === "/latest/api/token" && req.headers["x-aws-ec2-metadata-token-ttl-seconds"])
        return res.end("imds-session");
      if (token !== "imds-session") return res.writeHead(401).end();
      if (req.url === "/latest/meta-data/iam/security-credentials/") return res.end("bed-role\n");
      if (req.url === "/latest/meta-data/iam/security-credentials/bed-role")
        return res.end(JSON.stringify({ Code: "Success", AccessKeyId: "S3RVER", SecretAccessKey: "S3RVER", Token: "role-session-token" }));
      res.writeHead(404).end();
    });
    const bridge = new URL(bed.mirror).hostname;
    await new Promise<void>((resolve) => imds.listen(0, bridge, resolve));
    try {
      const port = (imds.address() as AddressInfo).port;
      await b.setConfig("restore", JSON.stringify({ generation: 3, key: `ondemand/${snap.file}`, imds: `http://${bridge}:${port}` }));
      const up = await b.up();
      expect(up.stdout).toMatch(/using the credentials of instance role bed-role/);
      expect(up.stdout).not.toMatch(/role-session-token/);
      expect((await contents(await clusterOutputs(b))).keys).toEqual(expectedKeys);
    } finally {
      imds.close();
    }
    // Each of the 3 members: a token, the role's name, its credentials.
    expect(seen.filter((s) => s === "PUT /latest/api/token no-token").length).toBe(3);
    expect(seen.filter((s) => s === "GET /latest/meta-data/iam/security-credentials/bed-role with-token").length).toBe(3);
  });

  it("a restored cluster (its token changed three times) upgrades to 3.7.3 in place", async () => {
    const out = await clusterOutputs(b);
    await b.setConfig("version", "3.7.3");
    await b.setConfig("sha256", bedTarballSha256(bed, "3.7.3"));
    const up = await b.up();
    expect(up.stdout).toMatch(/\[upgrade\] .*3\.6\.16 → 3\.7\.3: .* runs 3\.7\.3, caught up/);
    const versions = await Promise.all(
      out.clientEndpoints.map((e) => withClient([e], adminTls(out), async (c) => (await c.maintenance.status()).version)),
    );
    expect(versions).toEqual(["3.7.3", "3.7.3", "3.7.3"]);
    expect((await contents(out)).keys).toEqual(expectedKeys);
  });

  it("destroy keeps the archives", async () => {
    await b.destroy();
    await a.destroy();
    const kept = await onHost(1, "ls -d /var/lib/etcd.*");
    expect(kept).toMatch(/^\/var\/lib\/etcd\.pre-restore1-\S+$/m);
    expect(kept).toMatch(/^\/var\/lib\/etcd\.archived-\S+$/m);
  });

  it("leaves nothing of the bed behind", async () => {
    await bedDown();
    expect(bedLeftovers()).toEqual([]);
  });
});
