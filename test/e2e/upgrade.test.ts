// Issue 10 (item 5): upgrading the package never restarts or replaces anything on a cluster whose
// declaration did not change. The previous release (release/previous.json) is built from its
// commit; a program brings up a 3-member cluster with a SnapshotSchedule and an EtcdSnapshot with
// it; then the very same program is pointed at this checkout's package. Its preview may update
// (e.g. the snapshot schedule, whose runner now travels inside its script) but must not replace,
// delete or create anything; after `pulumi up` every etcd keeps its process, the member list its
// IDs, the hosts their etcd files, and snapshots still work; a second preview is all `same`.
// Both consumers: TypeScript (the components in the program's process) and YAML (the plugin's
// construct, after `pulumi package add`), one after the other on the same 3 hosts.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminTls, bedTarballSha256, ClusterOutputs, membersConfig, withClient } from "./cluster";
import { Bed, bedDown, bedLeftovers, bedUp, onHost, repo, RunResult, Stack } from "./harness";
import { buildRelease, previousRelease, removeRelease } from "./release";
import { LEGACY_DEFAULT_VERSION } from "../../planning/etcd/versions";

const BUCKET = "etcd-upgrade";
const HOSTS = [1, 2, 3];
const release = previousRelease();
const current = (JSON.parse(readFileSync(`${repo}/package.json`, "utf8")) as { version: string }).version;
let bed: Bed;
let previous: string; // the previous release's build

interface Step {
  op: string;
  urn: string;
  diffReasons?: string[];
  replaceReasons?: string[];
  detailedDiff?: Record<string, { kind: string }>;
  oldState?: { type?: string; inputs?: Record<string, unknown> };
  newState?: { type?: string; inputs?: Record<string, unknown> };
}

function log(message: string): void {
  console.log(`[upgrade ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

/** Paths (a.b.c) of the leaves that differ between two values (inputs as the preview shows them). */
function changedPaths(a: unknown, b: unknown, at = ""): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  const isObj = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObj(a) || !isObj(b)) return [at || "(value)"];
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  return [...new Set([...Object.keys(x), ...Object.keys(y)])].sort().flatMap((k) => changedPaths(x[k], y[k], at ? `${at}.${k}` : k));
}

/** The engine's preview; every step that is not `same` printed with its type, URN and diffs. */
async function previewSteps(stack: Stack, label: string): Promise<Step[]> {
  const plan = JSON.parse((await stack.pulumi(["preview", "--json"])).stdout) as { steps?: Step[]; changeSummary?: Record<string, number> };
  const steps = plan.steps ?? [];
  const other = steps.filter((s) => s.op !== "same");
  log(`${label}: ${JSON.stringify(plan.changeSummary ?? {})}; not same: ${other.length}`);
  for (const s of other) {
    const type = s.newState?.type ?? s.oldState?.type ?? s.urn.split("::")[2];
    const diffs = s.detailedDiff ? Object.entries(s.detailedDiff).map(([k, d]) => `${k}(${d.kind})`) : (s.diffReasons ?? []);
    const inputs = changedPaths(s.oldState?.inputs ?? {}, s.newState?.inputs ?? {});
    log(
      `  ${s.op} ${type} ${s.urn}\n      diffs: ${diffs.join(", ") || "-"}; replaceReasons: ${(s.replaceReasons ?? []).join(", ") || "-"}` +
        `\n      inputs changed: ${inputs.join(", ") || "-"}`,
    );
  }
  return steps;
}

/**
 * Steps an upgrade may not contain: a replace in any form, a delete, a create (nothing new was
 * declared). A default provider of another version is the exception when the version changed.
 */
/**
 * Resource types this checkout has and the previous release did not, whose create changes nothing on
 * a cluster that already runs as declared (etcd:cluster:Rollout only reads the members' versions;
 * etcd:kube:Rollout finds every control-plane unit current and restarts nothing).
 * Their creation is allowed; the host facts checked after the up prove that nothing changed.
 */
const NEW_BOOKKEEPING_TYPES = ["etcd:cluster:Rollout", "etcd:kube:Rollout"];

function forbidden(steps: Step[]): Step[] {
  const versionChanged = release.version !== current;
  return steps.filter((s) => {
    if (s.op === "same" || s.op === "update") return false;
    if (s.op === "create" && NEW_BOOKKEEPING_TYPES.includes(s.newState?.type ?? "")) return false;
    if (versionChanged && s.urn.includes("::pulumi:providers:etcd::") && (s.op === "create" || s.op === "delete")) return false;
    return true;
  });
}

/** What must not change on the hosts: etcd's process, the member list, the files etcd runs from. */
interface HostFacts {
  mainPids: string[];
  /** The binary each etcd runs (/opt/etcd/v<version>/etcd). */
  binaries: string[];
  members: string[];
  etcdFiles: string[];
}

async function hostFacts(out: ClusterOutputs): Promise<HostFacts> {
  const mainPids: string[] = [];
  const binaries: string[] = [];
  const etcdFiles: string[] = [];
  for (const h of HOSTS) {
    const pid = (await onHost(h, "systemctl show -p MainPID --value etcd")).trim();
    expect(Number(pid), `etcd on host ${h} runs`).toBeGreaterThan(0);
    mainPids.push(pid);
    binaries.push((await onHost(h, `readlink /proc/${pid}/exe`)).trim());
    // Config, unit, identity, PKI: any change here would mean a restart to take effect.
    etcdFiles.push(await onHost(h, "sha256sum /etc/systemd/system/etcd.service $(find /etc/etcd -type f | sort)"));
  }
  const members = await withClient(out.clientEndpoints, adminTls(out), async (c) =>
    (await c.cluster.memberList({})).members.map((m) => `${m.ID} ${m.name} learner=${m.isLearner}`).sort(),
  );
  return { mainPids, binaries, members, etcdFiles };
}

/** Snapshots the runners have logged ("snapshot <file>.db.gz: ..."), on all hosts. */
async function snapshotsTaken(): Promise<string[]> {
  const all: string[] = [];
  for (const h of HOSTS) {
    const journal = await onHost(h, "journalctl -u etcd-snapshot --no-pager -o cat | grep -o 'snapshot [^ ]*\\.db\\.gz:' || true");
    all.push(...journal.split("\n").filter(Boolean));
  }
  return all;
}

function summary(up: RunResult): string {
  return (/^Resources:\n(?:[ \t]+\S.*\n?)+/m.exec(up.stdout)?.[0] ?? "").replace(/\s+/g, " ").trim();
}

/**
 * The whole upgrade for one consumer: `pulumi up` with the previous release, then the same program
 * with this checkout's package (switch() points it there).
 */
async function upgrade(stack: Stack, switchToCurrent: () => Promise<void>, version: string): Promise<void> {
  const t0 = Date.now();
  const secs = () => `${((Date.now() - t0) / 1000).toFixed(0)} s`;
  const first = await stack.up();
  log(`${stack.name}: up with ${release.version}: ${summary(first)} (${secs()})`);
  const out = (await stack.outputs()) as unknown as ClusterOutputs;
  await withClient(out.clientEndpoints, adminTls(out), async (c) => {
    for (let i = 0; i < 20; i++) await c.put(`upgrade/${i}`).value(String(i));
  });
  const before = await hostFacts(out);
  log(`${stack.name}: etcd MainPIDs ${before.mainPids.join(", ")} (${before.binaries.join(", ")}); members ${before.members.join("; ")}`);
  expect(before.binaries).toEqual(HOSTS.map(() => `/opt/etcd/v${version}/etcd`));
  for (const h of HOSTS) expect((await onHost(h, "systemctl is-active etcd-snapshot.timer")).trim()).toBe("active");

  await switchToCurrent();
  const steps = await previewSteps(stack, `${stack.name}: preview, ${release.version} -> this checkout (${current})`);
  expect(forbidden(steps).map((s) => `${s.op} ${s.urn}`)).toEqual([]);

  const up = await stack.up();
  log(`${stack.name}: up with this checkout: ${summary(up)} (${secs()})`);
  // What the provider ran on the hosts (its progress lines).
  for (const line of up.stdout.split("\n").filter((l) => /^\s*((create|update|delete): [a-z-]+ on |\[host\d+ )/.test(l)))
    log(`  ${line.trim()}`);
  const after = await hostFacts(out);
  expect(after.mainPids, "etcd's MainPID on each host").toEqual(before.mainPids);
  expect(after.binaries, "the etcd binary each member runs").toEqual(before.binaries);
  expect(after.members, "the member list (IDs, names)").toEqual(before.members);
  expect(after.etcdFiles, "etcd's config, unit, identity and PKI").toEqual(before.etcdFiles);
  await withClient(out.clientEndpoints, adminTls(out), async (c) => expect(await c.get("upgrade/19").string()).toBe("19"));

  // The schedule still runs: the timer is on, and a run by hand takes one snapshot (on the leader).
  const taken = await snapshotsTaken();
  for (const h of HOSTS) {
    expect((await onHost(h, "systemctl is-active etcd-snapshot.timer")).trim()).toBe("active");
    await onHost(h, "systemctl start etcd-snapshot.service");
  }
  const nowTaken = await snapshotsTaken();
  expect(nowTaken.length, "snapshots taken by one run on every member").toBe(taken.length + 1);
  log(`${stack.name}: a run of etcd-snapshot.service on every member took ${nowTaken.filter((s) => !taken.includes(s)).join(", ")}`);

  const again = await previewSteps(stack, `${stack.name}: second preview with this checkout`);
  expect(again.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.urn}`)).toEqual([]);
  log(`${stack.name}: done in ${secs()}`);
}

beforeAll(async () => {
  log(`from ${release.version} (${release.commit}) to this checkout (package.json ${current})`);
  [bed, previous] = await Promise.all([bedUp(3), buildRelease(release)]);
  await onHost(
    1,
    `curl -fsS --aws-sigv4 aws:amz:us-east-1:s3 --user S3RVER:S3RVER -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -X PUT ${bed.s3}/${BUCKET}`,
  );
});

afterAll(async () => {
  await removeRelease(release);
  await bedDown();
});

describe(`upgrade from the previous release`, () => {
  it("TypeScript program without a version: no replace, delete or create; no etcd restart (still 0.1.0's default); the same members; snapshots still work", async () => {
    const stack = await Stack.create("schedule-ts", "upts", { packageRoot: previous });
    try {
      await stack.setConfig("sshKey", readFileSync(bed.key, "utf8"), true);
      await stack.setConfig("members", membersConfig(bed, [0, 1, 2], ["u1", "u2", "u3"]));
      // No version: 0.1.0 creates the cluster with its default, 3.6.9, and this checkout (whose
      // default for new clusters is newer) must keep it there.
      await stack.setConfig("sha256", bedTarballSha256(bed, LEGACY_DEFAULT_VERSION));
      await stack.setConfig("downloadUrl", `${bed.mirror}/etcd/etcd-v{version}-linux-{arch}.tar.gz`);
      await stack.setConfig("schedule", "*-*-* 03:00:00");
      await stack.setConfig("keep", "2");
      await stack.setConfig("s3Endpoint", bed.s3);
      await stack.setConfig("s3Bucket", BUCKET);
      await stack.setConfig("s3Prefix", "ts/");
      await stack.setConfig("s3AccessKey", "S3RVER");
      await stack.setConfig("s3SecretKey", "S3RVER", true);
      await stack.setConfig("onDemandTrigger", "before-upgrade");
      await upgrade(stack, async () => stack.usePackage(repo), LEGACY_DEFAULT_VERSION);
      // The version the cluster keeps is what the component reports, too.
      expect((await stack.outputs()).runningVersion).toBe(LEGACY_DEFAULT_VERSION);
      await stack.destroy();
    } finally {
      await stack.cleanup();
    }
  });

  it("YAML program (pulumi package add), also without a version: the same", async () => {
    const stack = await Stack.create("upgrade-yaml", "upyaml", { packageRoot: previous });
    try {
      await stack.setConfig("sshKey", readFileSync(bed.key, "utf8"), true);
      for (const h of HOSTS) {
        await stack.setConfig(`host${h}`, bed.hosts[h - 1].ip);
        await stack.setConfig(`hostKey${h}`, bed.hosts[h - 1].hostKey);
      }
      await stack.setConfig("sha256", bedTarballSha256(bed, LEGACY_DEFAULT_VERSION));
      await stack.setConfig("downloadUrl", `${bed.mirror}/etcd/etcd-v{version}-linux-{arch}.tar.gz`);
      await stack.setConfig("s3Endpoint", bed.s3);
      await stack.setConfig("s3Bucket", BUCKET);
      await stack.setConfig("s3AccessKey", "S3RVER");
      await stack.setConfig("s3SecretKey", "S3RVER", true);
      await stack.pulumi(["package", "add", `${previous}/bin/pulumi-resource-etcd`]);
      await upgrade(
        stack,
        async () => {
          stack.usePackage(repo);
          await stack.pulumi(["package", "add", `${repo}/bin/pulumi-resource-etcd`]);
          log(
            `upyaml: Pulumi.yaml now names ${readFileSync(`${stack.dir}/Pulumi.yaml`, "utf8")
              .match(/\/\S*bin\S*/g)
              ?.join(", ")}`,
          );
        },
        LEGACY_DEFAULT_VERSION,
      );
      await stack.destroy();
    } finally {
      await stack.cleanup();
    }
  });
});

describe("the bed", () => {
  it("leaves nothing of the bed behind", async () => {
    await bedDown();
    expect(bedLeftovers()).toEqual([]);
  });
});
