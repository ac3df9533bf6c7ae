// Issue 14, part 2 on the bed: EtcdCluster `maintenance` on a 3-member cluster with a small quota.
// (a) The defrag timer (every minute, low thresholds) under the writer at 300 acknowledged puts/s:
//     after many keys are deleted and compacted, the leader's runner defragments every member, the
//     followers first and the leader last after moving leadership; the db file shrinks on every
//     member; 0 failed writes.
// (b) NOSPACE: the cluster is filled until the alarm; the NOSPACE timer's runner compacts,
//     defragments and disarms; writes succeed again and no key is lost. Then, with the timers
//     removed, the alarm again: `pulumi preview` says the update will recover, `pulumi up` does.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { activeAlarms } from "../../provider/etcd/client";
import { adminTls, bedTarballSha256, clusterOutputs, ClusterOutputs, membersConfig, withClient } from "./cluster";
import { Bed, bedDown, bedLeftovers, bedUp, onHost, Stack } from "./harness";
import { Writer } from "./writer";

const V36 = "3.6.16";
const QUOTA = 24 * 2 ** 20;
let bed: Bed;
let stack: Stack;
let out: ClusterOutputs;

function log(message: string): void {
  console.log(`[maintenance ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

const dbBytes = async (h: number) => Number((await onHost(h, "stat -c %s /var/lib/etcd/member/snap/db")).trim());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const VALUE = "x".repeat(256 * 1024);

/** Puts 256 KiB values on 10 keys over and over (history, freed by a compaction) until etcd refuses with NOSPACE. */
async function fillUntilNospace(): Promise<number> {
  return withClient(out.clientEndpoints, adminTls(out), async (c) => {
    for (let i = 0; i < 1000; i++) {
      try {
        await c.put(`fill/${i % 10}`).value(VALUE);
      } catch (e) {
        if (/space exceeded/.test((e as Error).message)) return i;
        throw e;
      }
    }
    throw new Error("no NOSPACE after 1000 puts of 256 KiB");
  });
}

beforeAll(async () => {
  bed = await bedUp(3);
  stack = await Stack.create("cluster-ts", "maint");
  await stack.setConfig("sshKey", readFileSync(bed.key, "utf8"), true);
  await stack.setConfig("members", membersConfig(bed, [0, 1, 2], ["d1", "d2", "d3"]));
  await stack.setConfig("version", V36);
  await stack.setConfig("sha256", bedTarballSha256(bed, V36));
  await stack.setConfig("downloadUrl", `${bed.mirror}/etcd/etcd-v{version}-linux-{arch}.tar.gz`);
  await stack.setConfig("tuning", JSON.stringify({ quotaBackendBytes: QUOTA }));
  await stack.setConfig(
    "maintenance",
    JSON.stringify({ defragSchedule: "*:*:00", nospaceCheckSchedule: "*:*:30", minFragmentedMib: 4, minFragmentedRatio: 0.3 }),
  );
});

afterAll(async () => {
  await stack?.cleanup();
  await bedDown();
});

describe("EtcdCluster maintenance", () => {
  it("pulumi up installs the defrag and NOSPACE timers on every member", async () => {
    await stack.up();
    out = await clusterOutputs(stack);
    for (const h of [1, 2, 3]) {
      expect((await onHost(h, "systemctl is-enabled etcd-defrag.timer etcd-nospace.timer")).trim().split("\n")).toEqual([
        "enabled",
        "enabled",
      ]);
      expect(await onHost(h, "cat /etc/pulumi-etcd/defrag.env")).toMatch(/^PE_MIN_FRAGMENTED_BYTES='4194304'$/m);
    }
    // A second up with nothing changed: no update (no alarm, same trigger).
    const again = await stack.preview();
    expect(again.changeSummary?.update ?? 0).toBe(0);
  });

  it("(a) the defrag timer shrinks every member's db, followers first, the leader last; 0 failed writes", async () => {
    // ~15 MiB of keys, deleted and compacted: free pages in every member's db file.
    await withClient(out.clientEndpoints, adminTls(out), async (c) => {
      for (let i = 0; i < 60; i++) await c.put(`bulk/${i}`).value(VALUE);
      await c.delete().prefix("bulk/");
      const rev = (await c.get("bulk/0").exec()).header.revision;
      await c.kv.compact({ revision: rev, physical: true });
    });
    const before = await Promise.all([1, 2, 3].map(dbBytes));
    log(`db files before: ${before.join(", ")} bytes`);
    const since = Math.floor(Date.now() / 1000);
    const writer = new Writer(out.clientEndpoints, adminTls(out), 300);
    writer.start();
    let actor = 0;
    let journal = "";
    const deadline = Date.now() + 150_000;
    while (Date.now() < deadline && !actor) {
      await sleep(5_000);
      for (const h of [1, 2, 3]) {
        const j = await onHost(h, `journalctl -u etcd-defrag --since @${since} -o short-precise --no-pager | grep etcd-defrag || true`);
        if (/defragmented d\d d\d d\d;/.test(j)) {
          actor = h;
          journal = j;
        }
      }
    }
    await sleep(3_000);
    const report = await writer.stop(out.clientEndpoints);
    log(`writer: ${JSON.stringify({ ...report, missing: report.missing.length })}`);
    log(`journal of host ${actor}:\n${journal}`);
    expect(actor).toBeGreaterThan(0);
    const after = await Promise.all([1, 2, 3].map(dbBytes));
    log(`db files after: ${after.join(", ")} bytes`);
    // The file on disk (bbolt grows it in steps again as the writer goes on): at least 8 MiB smaller.
    for (let k = 0; k < 3; k++) expect(after[k]).toBeLessThan(before[k] - 8 * 2 ** 20);
    const plan = /defragment in this order: (d\d) (d\d) (d\d) \(leader: (d\d)\)/.exec(journal)!;
    expect(plan).not.toBeNull();
    const [, first, second, last, leader] = plan;
    expect(last).toBe(leader);
    expect([first, second].sort()).toEqual([first, second]);
    const order = [...journal.matchAll(/defragmented (d\d)( \(the leader\))? in (\d+) ms/g)].map((m) => m[1]);
    expect(order).toEqual([first, second, last]);
    expect(journal.indexOf(`leadership moved from ${leader} to ${first}`)).toBeLessThan(journal.indexOf(`defragmented ${leader}`));
    expect(journal.indexOf(`leadership moved from ${leader}`)).toBeGreaterThan(journal.indexOf(`defragmented ${second}`));
    expect(report.failed).toBe(0);
    expect(report.missing).toEqual([]);
    expect(await onHost(actor, "cat /var/lib/pulumi-etcd/defrag-status")).toMatch(
      /^last_success_message=defragmented d\d d\d d\d; \d+ bytes freed$/m,
    );
    const prom = await onHost(actor, "cat /var/lib/node_exporter/textfile_collector/etcd_defrag.prom");
    expect(prom).toMatch(/^etcd_defrag_last_members_defragmented 3$/m);
    for (const h of [1, 2, 3])
      expect(await onHost(h, "cat /var/lib/node_exporter/textfile_collector/etcd_defrag.prom")).toMatch(/^etcd_defrag_db_size_bytes \d+$/m);
  });

  it("(b) NOSPACE: the timer's runner compacts, defragments, disarms; writes work again, nothing lost", async () => {
    await withClient(out.clientEndpoints, adminTls(out), async (c) => {
      await c.put("kept/before").value("still here");
    });
    const since = Math.floor(Date.now() / 1000);
    const puts = await fillUntilNospace();
    log(`NOSPACE after ${puts} puts of 256 KiB`);
    expect((await activeAlarms(out.clientEndpoints, adminTls(out))).some((a) => a.endsWith("NOSPACE"))).toBe(true);
    const t0 = Date.now();
    while ((await activeAlarms(out.clientEndpoints, adminTls(out))).length && Date.now() - t0 < 120_000) await sleep(2_000);
    log(`alarm cleared after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    expect(await activeAlarms(out.clientEndpoints, adminTls(out))).toEqual([]);
    await withClient(out.clientEndpoints, adminTls(out), async (c) => {
      await c.put("kept/after").value("written after the recovery");
      expect(await c.get("kept/before").string()).toBe("still here");
      expect(await c.get("fill/0").string()).toBe(VALUE);
    });
    let journal = "";
    for (const h of [1, 2, 3])
      journal += await onHost(h, `journalctl -u etcd-nospace --since @${since} -o cat --no-pager | grep etcd-defrag || true`);
    log(`NOSPACE runner:\n${journal}`);
    expect(journal).toMatch(/compacted to revision \d+/);
    expect(journal).toMatch(/NOSPACE alarm disarmed/);
  });

  it("(b) NOSPACE with no timers: preview says the update recovers, pulumi up does", async () => {
    await stack.setConfig(
      "maintenance",
      JSON.stringify({ defragSchedule: "", nospaceCheckSchedule: "", minFragmentedMib: 4, minFragmentedRatio: 0.3 }),
    );
    await stack.up();
    for (const h of [1, 2, 3])
      expect((await onHost(h, "ls /etc/systemd/system/ | grep -c 'etcd-defrag.timer\\|etcd-nospace.timer' || true")).trim()).toBe("0");
    await fillUntilNospace();
    const preview = await stack.pulumi(["preview", "--diff"]);
    const text = preview.stdout + preview.stderr;
    log(`preview: ${/NOSPACE alarm active[^\n]*/.exec(text)?.[0]}`);
    expect(text).toMatch(
      /NOSPACE alarm active .*: this update recovers: NOSPACE alarm: compact to the current revision, defragment d\d, d\d, then d\d \(the leader/,
    );
    const t0 = Date.now();
    const up = await stack.up();
    log(`pulumi up recovered in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(up.stdout).toMatch(/NOSPACE alarm disarmed/);
    expect(await activeAlarms(out.clientEndpoints, adminTls(out))).toEqual([]);
    await withClient(out.clientEndpoints, adminTls(out), async (c) => {
      await c.put("kept/after-up").value("ok");
      expect(await c.get("kept/before").string()).toBe("still here");
      expect(await c.get("kept/after").string()).toBe("written after the recovery");
    });
    // No alarm: nothing to do.
    expect((await stack.preview()).changeSummary?.update ?? 0).toBe(0);
  });

  it("a new trigger defragments every member on pulumi up", async () => {
    await stack.setConfig("maintenance", JSON.stringify({ defragSchedule: "", nospaceCheckSchedule: "", trigger: "t1" }));
    const up = await stack.up();
    expect(up.stdout).toMatch(/defragmented d\d d\d d\d; -?\d+ bytes freed/);
    expect(up.stdout).toMatch(/leadership moved from (d\d) to d\d[^]*defragmented \1/);
  });
});

describe("the bed", () => {
  it("leaves nothing of the bed behind", async () => {
    await stack.destroy();
    stack = undefined as never;
    await bedDown();
    expect(bedLeftovers()).toEqual([]);
  });
});
