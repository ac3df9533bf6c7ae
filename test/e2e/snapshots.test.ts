// Issue 5 (first part): SnapshotSchedule on the bed with s3rver. A 1-minute timer on every member;
// only the leader takes a snapshot per interval; retention keeps the newest 2, locally and in S3.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminTls, bedTarballSha256, clusterOutputs, ClusterOutputs, membersConfig, withClient } from "./cluster";
import { Bed, bedDown, bedLeftovers, bedUp, onHost, repo, Stack } from "./harness";
import { hostScript } from "../../provider/common/hostScripts";
import { commandLine } from "../../provider/common/ssh";
import { renderSnapshotService, renderSnapshotTimer } from "../../planning/etcd/snapshotSpec";

const V36 = "3.6.16";
const BUCKET = "etcd-backups";
const PREFIX = "e2e/";
let bed: Bed;
let stack: Stack;

/** The bucket's keys under the prefix, read from s3rver's HTTP API. */
async function bucketKeys(): Promise<string[]> {
  const xml = await (await fetch(`${bed.s3}/${BUCKET}?list-type=2&prefix=${PREFIX}`)).text();
  return [...xml.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]).sort();
}

/** "snapshot <name>: ..." lines each host's runner logged. */
async function taken(): Promise<{ host: number; name: string }[]> {
  const all: { host: number; name: string }[] = [];
  for (const host of [1, 2, 3]) {
    const log = await onHost(host, "journalctl -u etcd-snapshot --no-pager -o cat | grep -o 'snapshot [^ ]*\\.db\\.gz:' || true");
    for (const m of log.matchAll(/snapshot (\S+\.db\.gz):/g)) all.push({ host, name: m[1] });
  }
  return all;
}

beforeAll(async () => {
  bed = await bedUp(3);
  // The bucket, created the way a user would: SigV4 from a host.
  await onHost(
    1,
    `curl -fsS --aws-sigv4 aws:amz:us-east-1:s3 --user S3RVER:S3RVER -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -X PUT ${bed.s3}/${BUCKET}`,
  );
  const sha = bedTarballSha256(bed, V36);
  stack = await Stack.create("schedule-ts", "snap");
  await stack.setConfig("sshKey", readFileSync(bed.key, "utf8"), true);
  await stack.setConfig("members", membersConfig(bed, [0, 1, 2], ["s1", "s2", "s3"]));
  await stack.setConfig("version", V36);
  await stack.setConfig("sha256", sha);
  await stack.setConfig("downloadUrl", `${bed.mirror}/etcd/etcd-v{version}-linux-{arch}.tar.gz`);
  await stack.setConfig("schedule", "*:*:00"); // every minute
  await stack.setConfig("keep", "2");
  await stack.setConfig("s3Endpoint", bed.s3);
  await stack.setConfig("s3Bucket", BUCKET);
  await stack.setConfig("s3Prefix", PREFIX);
  await stack.setConfig("s3AccessKey", "S3RVER");
  await stack.setConfig("s3SecretKey", "S3RVER", true);
});

afterAll(async () => {
  await stack?.cleanup();
  await bedDown();
});

describe("SnapshotSchedule every minute, keep 2, local and S3", () => {
  let snapshots: { host: number; name: string }[] = [];

  it("pulumi up installs a timer on every member; no secret reaches the output", async () => {
    const up = await stack.up();
    expect(up.stdout).not.toMatch(/S3RVER:S3RVER|PRIVATE KEY/);
    // Some data, so the snapshots carry a revision.
    const out = await clusterOutputs(stack);
    await withClient(out.clientEndpoints, adminTls(out), async (c) => {
      for (let i = 0; i < 50; i++) await c.put(`snap/${i}`).value(String(i));
    });
    for (const h of [1, 2, 3]) {
      expect((await onHost(h, "systemctl is-enabled etcd-snapshot.timer")).trim()).toBe("enabled");
      expect((await onHost(h, "stat -c '%a %U' /etc/pulumi-etcd/snapshot.env")).trim()).toBe("600 root");
    }
  });

  it("re-running the schedule and service steps with the same parameters changes nothing and restarts nothing", async () => {
    // What a forced re-run does (a new package version with a higher rerun revision): the scripts as
    // the provider sends them, with the same parameters and stdin, run again over SSH.
    const files =
      "/etc/systemd/system/etcd-snapshot.timer /etc/systemd/system/etcd-snapshot.service /usr/local/lib/pulumi-etcd/etcd-snapshot-run /etc/pulumi-etcd/snapshot.env /etc/etcd/etcd.conf.yml /etc/systemd/system/etcd.service";
    const state = (h: number) =>
      onHost(
        h,
        "systemctl show -p ActiveEnterTimestampMonotonic -p NextElapseUSecRealtime etcd-snapshot.timer; " +
          `systemctl show -p MainPID -p NRestarts etcd.service; stat -c '%n %i %Y' ${files}`,
      );
    // The timer fires every minute: read and re-run well inside one minute, so NextElapse must not move.
    while (Number((await onHost(1, "date +%S")).trim()) > 30) await new Promise((r) => setTimeout(r, 2_000));
    const schedule = commandLine({
      script: hostScript("etcd-snapshot-schedule").text,
      name: "etcd-snapshot-schedule",
      env: { PE_ON_CALENDAR: "*:*:00", PE_TIMER_UNIT: renderSnapshotTimer("*:*:00"), PE_SERVICE_UNIT: renderSnapshotService() },
    });
    const config = await onHost(1, "cat /etc/etcd/etcd.conf.yml");
    const unit = await onHost(1, "cat /etc/systemd/system/etcd.service");
    const identity = Object.fromEntries(
      (await onHost(1, "cat /etc/etcd/identity"))
        .trim()
        .split("\n")
        .map((l) => l.split("=", 2)),
    );
    const service = commandLine({
      script: hostScript("etcd-service").text,
      name: "etcd-service",
      env: {
        PE_PHASE: "update",
        PE_NAME: identity.name,
        PE_TOKEN: identity.token,
        PE_DATA_DIR: identity.data_dir,
        PE_CONFIG: config,
        PE_UNIT: unit,
        PE_START_TIMEOUT: "300",
        PE_FRESH: "false",
      },
    });
    const before = await state(1);
    expect(before).toMatch(/^ActiveEnterTimestampMonotonic=[1-9]\d*$/m);
    expect(before).toMatch(/^MainPID=[1-9]\d*$/m);
    const rerun = await onHost(1, `${schedule} </etc/pulumi-etcd/snapshot.env 2>&1`);
    const rerunService = await onHost(1, `${service} 2>&1`);
    // Same timer activation and next elapse, same etcd process, same files (inode and mtime).
    expect(await state(1)).toBe(before);
    expect(rerun).toMatch(/snapshot timer on \(\*:\*:00\); nothing changed/);
    expect(rerunService).toMatch(/etcd is running with this config; nothing to do/);
  });

  it("within 5 minutes, 3 snapshots were taken, one per interval by one member", async () => {
    const deadline = Date.now() + 300_000;
    while (Date.now() < deadline) {
      snapshots = await taken();
      if (snapshots.length >= 3) break;
      await new Promise((r) => setTimeout(r, 10_000));
    }
    expect(snapshots.length).toBeGreaterThanOrEqual(3);
    // The file name carries the minute: exactly one snapshot per minute across the members.
    const perMinute = new Map<string, number>();
    for (const s of snapshots) {
      const minute = /-(\d{8}T\d{4})\d\dZ-/.exec(s.name)![1];
      perMinute.set(minute, (perMinute.get(minute) ?? 0) + 1);
    }
    expect([...perMinute.values()].every((n) => n === 1)).toBe(true);
  });

  it("S3 and the local dirs keep exactly the 2 newest, each with its metadata, sha256 matching", async () => {
    const newest = snapshots
      .map((s) => s.name)
      .sort()
      .slice(-2);
    const keys = await bucketKeys();
    expect(keys).toEqual(newest.flatMap((n) => [`${PREFIX}${n}`, `${PREFIX}${n}.json`]).sort());
    for (const n of newest) {
      const meta = (await (await fetch(`${bed.s3}/${BUCKET}/${PREFIX}${n}.json`)).json()) as Record<string, unknown>;
      const body = Buffer.from(await (await fetch(`${bed.s3}/${BUCKET}/${PREFIX}${n}`)).arrayBuffer());
      expect(meta.sha256).toBe(createHash("sha256").update(body).digest("hex"));
      expect(meta.revision).toBeGreaterThanOrEqual(50);
      expect(meta.keys).toBeGreaterThanOrEqual(50);
      expect(meta).toMatchObject({ file: n, etcdVersion: V36, compression: "gzip" });
      expect(["s1", "s2", "s3"]).toContain(meta.member);
    }
    let local = 0;
    for (const h of [1, 2, 3]) {
      const files = (await onHost(h, "ls /var/backups/etcd 2>/dev/null || true")).split("\n").filter(Boolean);
      const snaps = files.filter((f) => f.endsWith(".db.gz"));
      expect(snaps.length).toBeLessThanOrEqual(2);
      for (const f of snaps) expect(files).toContain(`${f}.json`);
      local += snaps.length;
    }
    expect(local).toBeGreaterThanOrEqual(2);
  });

  it("the leader's status file and textfile metric report the last success", async () => {
    const last = snapshots
      .map((s) => s)
      .sort((a, b) => a.name.localeCompare(b.name))
      .pop()!;
    const status = await onHost(last.host, "cat /var/lib/pulumi-etcd/snapshot-status");
    expect(status).toMatch(/^last_success=\d+$/m);
    expect(await onHost(last.host, "cat /var/lib/node_exporter/textfile_collector/etcd_snapshot.prom")).toMatch(
      /^etcd_snapshot_last_success_timestamp_seconds \d+$/m,
    );
  });

  it("a failed run fails the service visibly and records the error", async () => {
    const leader = snapshots.sort((a, b) => a.name.localeCompare(b.name)).pop()!.host;
    // Point the leader at a bucket that does not exist, run once by hand, and put it back.
    await onHost(
      leader,
      "cp /etc/pulumi-etcd/snapshot.env /root/snapshot.env.bak && sed -i \"s/^PE_S3_BUCKET=.*/PE_S3_BUCKET='no-such-bucket'/\" /etc/pulumi-etcd/snapshot.env",
    );
    const run = await onHost(
      leader,
      "systemctl start etcd-snapshot.service && echo started-ok || echo start-failed; systemctl is-failed etcd-snapshot.service || true",
    );
    await onHost(leader, "mv /root/snapshot.env.bak /etc/pulumi-etcd/snapshot.env");
    expect(run).toMatch(/start-failed/);
    expect(run).toMatch(/^failed$/m);
    expect(await onHost(leader, "cat /var/lib/pulumi-etcd/snapshot-status")).toMatch(/^last_error_message=upload of .* failed$/m);
  });

  it("an on-demand snapshot reports its location and sha256, and a new trigger takes a new one", async () => {
    const taken: Record<string, string>[] = [];
    for (const trigger of ["before-3.6.17", "before-3.6.18"]) {
      await stack.setConfig("onDemandTrigger", trigger);
      await stack.up();
      const o = (await stack.outputs()).onDemand as Record<string, string>;
      expect(o.location).toBe(`s3://${BUCKET}/ondemand/${o.file}`);
      const body = Buffer.from(await (await fetch(`${bed.s3}/${BUCKET}/ondemand/${o.file}`)).arrayBuffer());
      expect(createHash("sha256").update(body).digest("hex")).toBe(o.sha256);
      expect(Number(o.revision)).toBeGreaterThanOrEqual(50);
      taken.push(o);
    }
    expect(taken[1].file).not.toBe(taken[0].file);
    // A second up with the same trigger takes nothing new.
    const again = await stack.up();
    expect(again.stdout).not.toMatch(/etcd-snapshot-now/);
  });

  it("pulumi destroy removes the timers and keeps the snapshots", async () => {
    await stack.destroy();
    for (const h of [1, 2, 3])
      expect((await onHost(h, "systemctl is-enabled etcd-snapshot.timer 2>&1 || true")).trim()).not.toBe("enabled");
    expect((await bucketKeys()).length).toBe(4);
  });
});

describe("from YAML: SnapshotSchedule, EtcdSnapshot and a restore through the package schema", () => {
  let yaml: Stack;
  afterAll(() => yaml?.cleanup());
  const outputs = async () => (await yaml.outputs()) as unknown as ClusterOutputs & Record<string, unknown>;

  it("installs the timer and takes on-demand snapshots with sha256 outputs", async () => {
    yaml = await Stack.create("backup-yaml", "yaml");
    await yaml.setConfig("sshKey", readFileSync(bed.key, "utf8"), true);
    await yaml.setConfig("host", bed.hosts[0].ip);
    await yaml.setConfig("hostKey", bed.hosts[0].hostKey);
    await yaml.setConfig("sha256", bedTarballSha256(bed, V36));
    await yaml.setConfig("downloadUrl", `${bed.mirror}/etcd/etcd-v{version}-linux-{arch}.tar.gz`);
    await yaml.setConfig("trigger", "t1");
    await yaml.pulumi(["package", "add", `${repo}/bin/pulumi-resource-etcd`]);
    await yaml.up();
    expect((await onHost(1, "systemctl is-enabled etcd-snapshot.timer")).trim()).toBe("enabled");
    expect(await onHost(1, "cat /etc/systemd/system/etcd-snapshot.timer")).toMatch(/^OnCalendar=\*-\*-\* 03:00:00$/m);
    const out = await outputs();
    await withClient(out.clientEndpoints, adminTls(out), (c) => c.put("yaml/kept").value("in the snapshot"));
    await yaml.setConfig("trigger", "t2");
    await yaml.up();
    const o = await yaml.outputs();
    const sha = (await onHost(1, `sha256sum /var/backups/etcd-yaml/${o.snapshotFile as string}`)).split(" ")[0];
    expect(sha).toBe(o.snapshotSha256);
  });

  it("a restore block restores the snapshot: later writes are gone, a new cluster ID", async () => {
    const before = await outputs();
    await withClient(before.clientEndpoints, adminTls(before), (c) => c.put("yaml/after").value("not in the snapshot"));
    const file = (await yaml.outputs()).snapshotFile as string;
    const manifest = path.join(yaml.dir, "Pulumi.yaml");
    writeFileSync(
      manifest,
      readFileSync(manifest, "utf8").replace(
        // (`pulumi package add` rewrote the file: the comment's indentation changed.)
        /^ *# restore\n/m,
        `      restore:\n        generation: 1\n        source:\n          host: { member: yb-1, path: /var/backups/etcd-yaml/${file} }\n`,
      ),
    );
    await yaml.up();
    const after = await outputs();
    expect(after.clusterId).not.toBe(before.clusterId);
    await withClient(after.clientEndpoints, adminTls(after), async (c) => {
      expect(await c.get("yaml/kept").string()).toBe("in the snapshot");
      expect(await c.get("yaml/after").string()).toBeNull();
    });
    expect(((await yaml.outputs()).restoreArchives as string[]).length).toBe(1);
    await yaml.destroy();
  });
});

describe("the bed", () => {
  it("leaves nothing of the bed behind", async () => {
    await bedDown();
    expect(bedLeftovers()).toEqual([]);
  });
});
