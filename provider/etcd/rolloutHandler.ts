// etcd:cluster:Rollout: brings every member of a running cluster to the declared etcd version, one
// member at a time, through every hop etcd needs (planning/etcd/upgradePlan.ts), in one `pulumi up`.
// It runs after the members' resources (whose update on a version change only records it), so it
// reads the versions live and resumes an interrupted hop. In order:
//   1. checks, nothing restarted: every member answers and runs the planned version, one leader, the
//      member list is exactly the declared members (no learner), no alarm;
//   2. a snapshot on the leader's host, to its SnapshotSchedule's destination when it has one (else a
//      local gzip file), named in the `snapshot` output;
//   3. per hop: before 3.5 → 3.6, `etcdutl check v2store` on every member; before a downgrade, etcd's
//      downgrade API (validate, enable, every member's storage version at the lower minor); the hop's
//      binaries installed beside the old ones on every member (no restart), then
//      each member restarted on the new version — followers first, the leader last after it handed
//      leadership to a member already on the new version — each answering on the new version, one
//      leader, and caught up with the leader before the next; after a minor hop, the cluster version
//      reaches the new minor.
// Steps 1-3 run under the cluster lock (provider/etcd/lock.ts), planned again once it is taken: another
// `pulumi up` may have upgraded the cluster while this one waited.
// A failed start puts the member's previous config back (etcd-service) and stops the rollout there:
// the others still run, quorum holds, and the next `up` resumes.
import { randomBytes } from "node:crypto";
import { Bootstrap as BootFacts } from "../../planning/etcd/etcdConfig";
import { RolloutInputs, RolloutMember, RolloutOutputs } from "../../planning/etcd/resourceTypes";
import { rolloutPlan } from "../../planning/etcd/rolloutPlan";
import { snapshotSettings } from "../../planning/etcd/snapshotSpec";
import { Hop } from "../../planning/etcd/upgradePlan";
import { upgradePreviewLines } from "../../planning/etcd/upgradePreview";
import { checksumsFor, minorOf, normalize } from "../../planning/etcd/versions";
import { Context, ResourceHandler } from "../common/handler";
import { runHostStep } from "../common/hostStep";
import { onEvery } from "../common/onEvery";
import { containsUnknown, reveal } from "../common/secrets";
import {
  activeAlarms,
  clusterVersion,
  downgrade,
  downgradeInfo,
  etcdClient,
  listMembers,
  MemberProbe,
  probeMember,
  versionInfo,
} from "./client";
import { clusterRegistry } from "./clusterRegistry";
import { withClusterLock } from "./lock";
import { runEtcdService } from "./etcdService";
import { moveLeader } from "./membership";

type Inputs = RolloutInputs;
type Outputs = RolloutOutputs;

const PHASE = "upgrade";
const SNAPSHOT_DIR = "/var/lib/pulumi-etcd/upgrade-snapshots";
/** A restarted member is caught up when its raft index is within this many entries of the leader's. */
const CATCH_UP_ENTRIES = 1000;

const nameOf = (m: RolloutMember) => m.layout.name;
const endpointOf = (m: RolloutMember) => m.clientUrls[0];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function extraVersions(i: Inputs): string[] {
  return Object.keys(i.checksums ?? {}).map(normalize);
}

/** The plan as preview knows it: from the version recorded at the last `up`. */
function staticPlan(running: string, i: Inputs) {
  return rolloutPlan(
    Object.fromEntries(i.members.map((m) => [nameOf(m), running])),
    i.version,
    i.members.map((m) => ({ name: nameOf(m) })),
    extraVersions(i),
    i.allowHops,
  );
}

/** Why this change cannot be rolled out, or undefined. Checked at preview, before any host is touched. */
function changeProblem(olds: Partial<Inputs & Outputs>, news: Inputs): string | undefined {
  // check gets the old inputs, diff the old outputs too: the version last rolled out either way.
  const running = olds.running ?? olds.version;
  if (!running || normalize(running) === normalize(news.version)) return undefined;
  // A member change in the same up is refused by the members' own check (memberHandler.ts).
  const plan = staticPlan(running, news);
  if (plan.refusal !== undefined) return `${running} → ${news.version}: ${plan.refusal}`;
  return undefined;
}

async function probeAll(i: Inputs): Promise<MemberProbe[]> {
  return Promise.all(i.members.map((m) => probeMember(endpointOf(m), i.adminTls)));
}

function leaderOf(i: Inputs, probes: MemberProbe[]): RolloutMember | undefined {
  const ids = new Set(probes.filter((p) => p.ok && p.leaderId && p.leaderId !== "0").map((p) => p.leaderId));
  if (ids.size !== 1) return undefined;
  const id = [...ids][0];
  const k = probes.findIndex((p) => p.ok && p.memberId === id);
  return k >= 0 ? i.members[k] : undefined;
}

/** Step 1: everything that must hold before the first member restarts. */
async function checkCluster(i: Inputs, probes: MemberProbe[]): Promise<void> {
  const problems: string[] = [];
  probes.forEach((p, k) => {
    if (!p.ok) problems.push(`${nameOf(i.members[k])} does not answer (${p.error})`);
  });
  if (!problems.length && !leaderOf(i, probes)) problems.push("the members do not agree on one leader");
  if (!problems.length) {
    const list = await listMembers(i.members.map(endpointOf), i.adminTls);
    const learners = list.filter((m) => m.isLearner).map((m) => m.name || m.id);
    if (learners.length) problems.push(`learner(s) ${learners.join(", ")} in the cluster: finish or undo that member change first`);
    const declared = new Set(i.members.map(nameOf));
    const extra = list.filter((m) => !declared.has(m.name)).map((m) => m.name || `(unstarted ${m.peerUrls.join(",")})`);
    if (extra.length) problems.push(`member(s) ${extra.join(", ")} are in the member list but not declared: declare or remove them first`);
    const alarms = await activeAlarms(i.members.map(endpointOf), i.adminTls);
    if (alarms.length)
      problems.push(`active alarm(s) ${alarms.join(", ")}: resolve them (e.g. NOSPACE: compact, defrag, \`etcdctl alarm disarm\`) first`);
  }
  if (problems.length)
    throw new Error(`upgrade of ${i.clusterName} to ${i.version} refused, nothing was restarted:\n  - ${problems.join("\n  - ")}`);
}

/** Step 2: a snapshot on the leader's host, to its SnapshotSchedule's destination if it has one; returns where. */
async function snapshotFirst(ctx: Context, i: Inputs, m: RolloutMember, dbBytes: number, trigger: string): Promise<string> {
  // Room for the raw snapshot and its compressed copy, with a margin: checked before etcd writes it.
  const needMib = Math.ceil((2 * dbBytes) / 2 ** 20) + 64;
  const r = await runHostStep(ctx, m.connection, {
    script: "etcd-snapshot-now",
    // With a SnapshotSchedule on that host, to its destination (S3 and/or its local dir).
    env: { PE_TRIGGER: trigger, PE_NEED_MIB: String(needMib), PE_PREFER_SCHEDULE: "1" },
    stdin: snapshotSettings({ localDir: SNAPSHOT_DIR, compression: "gzip", keep: 3 }, i.clusterName, nameOf(m)),
    timeoutMs: 1_800_000,
  });
  return r.outputs.location || `${m.connection.host}:${SNAPSHOT_DIR}/${r.outputs.file}`;
}

async function install(ctx: Context, i: Inputs, m: RolloutMember, version: string): Promise<void> {
  const given = i.checksums?.[version];
  const sums = checksumsFor(version, given);
  if (!sums.amd64 && !sums.arm64) throw new Error(`no sha256 for etcd ${version}: give it in upgradeChecksums`);
  const fill = (t: string) => t.replace(/\{version\}/g, version);
  await runHostStep(ctx, m.connection, {
    script: "etcd-install",
    env: {
      PE_NAME: nameOf(m),
      PE_TOKEN: i.token,
      PE_DATA_DIR: m.layout.dataDir,
      PE_PORTS: `${m.layout.ports.client} ${m.layout.ports.peer} ${m.layout.ports.metrics}`,
      PE_MIN_FREE_MB: String(i.minFreeDiskMb ?? 1024),
      PE_VERSION: version,
      PE_URL: fill(i.downloadUrl),
      PE_TARBALL: fill(i.tarballPath ?? ""),
      PE_SHA256_AMD64: sums.amd64,
      PE_SHA256_ARM64: sums.arm64,
    },
    timeoutMs: 900_000,
  });
}

/** Waits until `m` answers on `version`, the cluster has one leader and `m` is caught up with it. */
async function waitCaughtUp(ctx: Context, i: Inputs, m: RolloutMember, version: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    const probes = await probeAll(i);
    const k = i.members.indexOf(m);
    const me = probes[k];
    const leader = leaderOf(i, probes);
    const lp = leader ? probes[i.members.indexOf(leader)] : undefined;
    if (!me.ok) last = `${nameOf(m)} does not answer (${me.error})`;
    else if (normalize(me.version ?? "") !== version) last = `${nameOf(m)} reports ${me.version}`;
    else if (!leader || !lp?.ok) last = "no single leader";
    else if (Math.abs(Number(lp.raftIndex ?? 0) - Number(me.raftIndex ?? 0)) > CATCH_UP_ENTRIES)
      last = `${nameOf(m)} is ${Number(lp.raftIndex) - Number(me.raftIndex)} entries behind the leader`;
    else return;
    if (attempt % 10 === 9) await ctx.log(PHASE, i.clusterName, `waiting: ${last}`);
    await sleep(500);
  }
  throw new Error(`${nameOf(m)} on ${version}: not healthy and caught up after ${timeoutMs / 1000} s: ${last}`);
}

async function waitClusterVersion(i: Inputs, minor: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = "";
  while (Date.now() < deadline) {
    for (const m of i.members) {
      seen = await clusterVersion(endpointOf(m), i.adminTls).catch((e: Error) => `(${e.message})`);
      if (minorOf(seen) === minor) return;
    }
    // etcd's leader raises the cluster version when it next checks its members (every 4 s); a
    // short poll finds it within 0.2 s of that (bench/upgrade: the 1 s poll cost up to 1 s).
    await sleep(200);
  }
  throw new Error(`the cluster version did not reach ${minor} within ${timeoutMs / 1000} s (last seen ${seen})`);
}

async function snapshotIndex(m: RolloutMember): Promise<number> {
  const r = await runHostStep(undefined, m.connection, { script: "etcd-snap-index", env: { PE_DATA_DIR: m.layout.dataDir } });
  return Number(r.outputs.index);
}

/**
 * etcd 3.7 cannot apply raft log entries written before the cluster ran 3.6 (it panics with
 * "unmarshal should never fail" on a data dir that came from 3.5, measured with 3.5.35 → 3.6.16 →
 * 3.7.3), and replays the log from the member's newest raft snapshot. So before 3.7, every member
 * about to restart needs a snapshot taken on 3.6 after this point. A member takes one every
 * snapshot-count entries: no-op writes to one key get there in seconds, without a restart.
 */
async function snapshotOn36(i: Inputs, members: RolloutMember[], say: (m: string) => Promise<void>): Promise<void> {
  const probes = await probeAll(i);
  const leader = leaderOf(i, probes);
  const from = Number(probes[i.members.indexOf(leader!)]?.raftIndex ?? 0);
  const pending = async () => {
    const idx = await Promise.all(members.map(snapshotIndex));
    return members.filter((_, k) => idx[k] <= from);
  };
  let left = await pending();
  if (!left.length) return;
  const count = i.tuning?.snapshotCount ?? 10_000;
  await say(
    `${left.map(nameOf).join(", ")} need a raft snapshot taken on 3.6 before 3.7 (3.7 cannot apply older log entries): writing no-op entries until each takes one (snapshot-count ${count})`,
  );
  const client = etcdClient(i.members.map(endpointOf), i.adminTls, 15_000);
  const key = `/pulumi-etcd/${i.clusterName}/upgrade-snapshot-filler`;
  const started = Date.now();
  let written = 0;
  try {
    while (left.length && written < 2 * count + 2000 && Date.now() - started < 600_000) {
      await Promise.all(Array.from({ length: 250 }, () => client.put(key).value("")));
      written += 250;
      if (written >= count && written % 1000 === 0) left = await pending();
    }
    await client.delete().key(key);
  } finally {
    client.close();
  }
  if (left.length)
    throw new Error(
      `${left.map(nameOf).join(", ")} took no raft snapshot after ${written} entries: not upgrading to 3.7 (nothing was restarted in this hop)`,
    );
  await say(`every member took a raft snapshot on 3.6 (${written} no-op entries, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

async function runHop(ctx: Context, i: Inputs, hop: Hop, n: number, total: number): Promise<void> {
  const say = (m: string) => ctx.log(PHASE, i.clusterName, `hop ${n}/${total} ${hop.from} → ${hop.to}: ${m}`);
  const members = hop.order.map((name) => i.members.find((m) => nameOf(m) === name)!);
  if (minorOf(hop.from) === "3.5" && minorOf(hop.to) === "3.6") await checkV2store(ctx, i, members, say);
  await say(`installing etcd ${hop.to} beside ${hop.from} on ${members.map(nameOf).join(", ")} (nothing restarts)`);
  const installed = await onEvery(
    members.map((m) => ({ name: nameOf(m), m })),
    ({ m }) => install(ctx, i, m, hop.to),
  );
  if (installed.problems.length)
    throw new Error(`installing etcd ${hop.to} failed, nothing was restarted:\n  - ${installed.problems.join("\n  - ")}`);
  if (minorOf(hop.from) === "3.6" && minorOf(hop.to) === "3.7") await snapshotOn36(i, members, say);
  if (hop.kind === "downgrade") await enableDowngrade(i, hop, say);
  else await cancelDowngrade(i, say);
  // The leader as it is now goes last.
  const leader = leaderOf(i, await probeAll(i));
  const order = [...members.filter((m) => m !== leader), ...members.filter((m) => m === leader)];
  if (leader && members.includes(leader)) await say(`the leader ${nameOf(leader)} goes last`);
  const done: RolloutMember[] = i.members.filter((m) => !members.includes(m));
  if (done.length) await say(`resuming: ${done.map(nameOf).join(", ")} already on ${hop.to}`);
  for (const m of order) {
    const started = Date.now();
    const now = leaderOf(i, await probeAll(i));
    if (now === m && i.members.length > 1) {
      const to = done[0] ?? i.members.find((x) => x !== m)!;
      const toId = (await probeMember(endpointOf(to), i.adminTls)).memberId!;
      await moveLeader(endpointOf(m), i.adminTls, toId);
      await say(`leadership moved from ${nameOf(m)} to ${nameOf(to)}`);
    }
    const boot: BootFacts = { ...m.joinedWith, token: i.token };
    await runEtcdService(ctx, m.connection, {
      layout: { ...m.layout, version: hop.to },
      boot,
      tuning: i.tuning,
      phase: "update",
      fresh: false,
      startTimeoutSeconds: i.startTimeoutSeconds,
    }).catch((e: Error) => {
      throw new Error(
        `${nameOf(m)} did not start on etcd ${hop.to} (its previous config was put back and it runs ${hop.from} again): ${e.message}\n` +
          `Done so far: ${done.map(nameOf).join(", ") || "no member"} on ${hop.to}. The cluster keeps its quorum; fix the cause and run pulumi up again: the rollout resumes.` +
          (hop.kind === "downgrade"
            ? ` etcd's downgrade to ${minorOf(hop.to)} stays enabled meanwhile; to go back instead, declare ${hop.from} again (the package cancels the downgrade first).`
            : ""),
      );
    });
    await waitCaughtUp(ctx, i, m, hop.to);
    done.push(m);
    await say(`${nameOf(m)} runs ${hop.to}, caught up (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
  if (minorOf(hop.from) !== minorOf(hop.to)) {
    await waitClusterVersion(i, minorOf(hop.to)!);
    await say(`cluster version ${minorOf(hop.to)}`);
  }
  if (hop.kind === "downgrade") await waitDowngradeEnded(i, say);
}

/** Before 3.5 → 3.6: 3.6 does not start while a member's v2 store or WAL holds custom v2 data. */
async function checkV2store(ctx: Context, i: Inputs, members: RolloutMember[], say: (m: string) => Promise<void>): Promise<void> {
  // A member of an interrupted hop that already runs 3.6 has nothing left to check.
  const probes = await probeAll(i);
  const on35 = members.filter((m) => minorOf(normalize(probes[i.members.indexOf(m)].version ?? "")) === "3.5");
  if (!on35.length) return;
  const checked = await onEvery(
    on35.map((m) => ({ name: nameOf(m), m })),
    ({ m }) =>
      runHostStep(ctx, m.connection, {
        script: "etcd-check-v2store",
        env: { PE_DATA_DIR: m.layout.dataDir, PE_VERSION: normalize(probes[i.members.indexOf(m)].version!) },
      }),
  );
  if (checked.problems.length)
    throw new Error(`etcd 3.6 cannot start on every member's data, nothing was restarted:\n  - ${checked.problems.join("\n  - ")}`);
  await say(`etcdutl check v2store: no custom v2 data on ${on35.map(nameOf).join(", ")}`);
}

/**
 * etcd's downgrade API: `downgrade validate` and `enable` to the lower minor, then every member
 * rewrites its storage version to it; a member of the lower release does not start on a data dir of
 * a higher storage version. An enabled downgrade (an interrupted `up`) is taken as it is.
 */
async function enableDowngrade(i: Inputs, hop: Hop, say: (m: string) => Promise<void>): Promise<void> {
  const minor = minorOf(hop.to)!;
  const endpoints = i.members.map(endpointOf);
  const info = await downgradeInfo(endpoints[0], i.adminTls).catch(() => downgradeInfo(endpoints[1] ?? endpoints[0], i.adminTls));
  const cluster = minorOf(await clusterVersion(endpoints[0], i.adminTls).catch(() => ""));
  if (info.enabled && minorOf(info.target) === minor) await say(`etcd's downgrade to ${minor} is already enabled`);
  else if (cluster === minor)
    await say(
      `the cluster version is still ${minor} (an upgrade to ${minorOf(hop.from)} never finished): going back needs no downgrade API`,
    );
  else {
    await downgrade(endpoints, i.adminTls, "Validate", minor);
    await downgrade(endpoints, i.adminTls, "Enable", minor);
    await say(`etcd's downgrade to ${minor} validated and enabled (etcdctl downgrade validate/enable ${minor})`);
  }
  const started = Date.now();
  let seen: string[] = [];
  while (Date.now() - started < 120_000) {
    seen = await Promise.all(
      endpoints.map((e) =>
        versionInfo(e, i.adminTls).then(
          (v) => v.storage,
          (e: Error) => `(${e.message})`,
        ),
      ),
    );
    if (seen.every((s) => minorOf(s) === minor)) {
      await say(`storage version ${minor} on every member (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      return;
    }
    await sleep(500);
  }
  throw new Error(
    `the members' storage versions did not reach ${minor} within 120 s (${seen.join(", ")}); nothing was restarted in this hop. etcd's downgrade stays enabled: run pulumi up again, or \`etcdctl downgrade cancel\` and declare ${hop.from} again`,
  );
}

/** An upgrade after an interrupted downgrade: the cluster version only rises again once it is cancelled. */
async function cancelDowngrade(i: Inputs, say: (m: string) => Promise<void>): Promise<void> {
  const endpoints = i.members.map(endpointOf);
  const info = await downgradeInfo(endpoints[0], i.adminTls).catch(() => ({ enabled: false, target: "" }));
  if (!info.enabled) return;
  await downgrade(endpoints, i.adminTls, "Cancel", minorOf(info.target) ?? "");
  await say(`cancelled etcd's downgrade to ${info.target} left by an earlier up`);
}

/** Once every member runs the lower release, the leader ends the downgrade on its own (checked every few seconds). */
async function waitDowngradeEnded(i: Inputs, say: (m: string) => Promise<void>): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < 30_000) {
    const info = await downgradeInfo(endpointOf(i.members[0]), i.adminTls).catch(() => undefined);
    if (info && !info.enabled) {
      await say(`etcd ended the downgrade (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      return;
    }
    await sleep(1000);
  }
  await say("etcd has not ended the downgrade yet (its leader does once it sees every member on the lower release)");
}

type Planned = { done: Outputs } | { hops: Hop[]; running: string; probes: MemberProbe[] };

/** What the rollout has to do now, from the members' live versions: nothing, or the hops. */
async function planNow(i: Inputs, olds: Partial<Outputs> | undefined, adopting: boolean): Promise<Planned> {
  const target = normalize(i.version);
  // Right after the members' own steps a member may still be settling: a few tries before judging.
  let probes = await probeAll(i);
  for (let t = 0; t < 20 && probes.some((p) => !p.ok); t++) {
    await sleep(1000);
    probes = await probeAll(i);
  }
  const live = Object.fromEntries(i.members.map((m, k) => [nameOf(m), probes[k].ok ? normalize(probes[k].version ?? "") : ""]));
  // Every member that answers already runs the declared version: nothing to do (on create, a member
  // that does not answer is the members' and the health gate's business, not an upgrade).
  const answering = Object.values(live).filter((v) => v !== "");
  if (answering.length && answering.every((v) => v === target) && (adopting || answering.length === i.members.length))
    return { done: { running: target, lastRollout: olds?.lastRollout ?? "", snapshot: olds?.snapshot ?? "" } };
  await checkCluster(i, probes);
  const planned = rolloutPlan(
    live,
    target,
    i.members.map((m) => ({ name: nameOf(m) })),
    extraVersions(i),
    i.allowHops,
  );
  if (planned.refusal !== undefined)
    throw new Error(`upgrade of ${i.clusterName} to ${target} refused, nothing was restarted: ${planned.refusal}`);
  return { ...planned.plan, probes };
}

async function rollout(ctx: Context, i: Inputs, olds: Partial<Outputs> | undefined, adopting = false): Promise<Outputs> {
  const target = normalize(i.version);
  const first = await planNow(i, olds, adopting);
  if ("done" in first) return first.done;
  const lock = {
    clusterName: i.clusterName,
    endpoints: i.members.flatMap((m) => m.clientUrls.slice(0, 1)),
    tls: i.adminTls,
    operation: `upgrade to ${target}`,
    timeoutSeconds: i.lockTimeoutSeconds,
  };
  return clusterRegistry.exclusive(i.token, () =>
    withClusterLock(ctx, lock, async () => {
      // Another operation may have changed the cluster while this one waited for the lock: plan again.
      const planned = await planNow(i, olds, adopting);
      if ("done" in planned) {
        await ctx.log(PHASE, i.clusterName, `every member runs ${target} already (another operation upgraded it): nothing to do`);
        return planned.done;
      }
      const { hops, running, probes } = planned;
      const started = Date.now();
      const path = [running, ...hops.map((h) => h.to)].join(" → ");
      await ctx.log(
        PHASE,
        i.clusterName,
        `etcd ${path}: ${hops.length} hop(s), ${i.members.length} member(s) one at a time, the leader last`,
      );
      const leader = leaderOf(i, probes)!;
      const dbBytes = Number(probes[i.members.indexOf(leader)].dbSize ?? 0);
      const snapshot = await snapshotFirst(ctx, i, leader, dbBytes, `before ${path} (${randomBytes(3).toString("hex")})`);
      await ctx.log(PHASE, i.clusterName, `snapshot before the upgrade: ${snapshot}`);
      for (const [k, hop] of hops.entries()) await runHop(ctx, i, hop, k + 1, hops.length);
      const line = `etcd ${path} on ${i.members.length} member(s) in ${((Date.now() - started) / 1000).toFixed(1)} s; snapshot before: ${snapshot}`;
      await ctx.log(PHASE, i.clusterName, line);
      return { running: target, lastRollout: line, snapshot };
    }),
  );
}

export const rolloutResource: ResourceHandler = {
  async check(news, olds) {
    // At preview a member's joinedWith is unknown while its Member updates: only the names count here.
    const names = reveal<Partial<Inputs>>(news).members?.map((m) => m?.layout?.name);
    if (!olds || containsUnknown(news.version) || !names?.every((n) => typeof n === "string" && !containsUnknown(n)))
      return { inputs: news };
    const problem = changeProblem(reveal<Partial<Inputs & Outputs>>(olds), reveal<Inputs>(news));
    return problem ? { inputs: news, failures: [{ property: "version", reason: problem }] } : { inputs: news };
  },
  async diff(olds, news, ctx) {
    const o = reveal<Partial<Inputs & Outputs>>(olds);
    const n = reveal<Inputs>(news);
    const running = o.running ?? o.version;
    // Only a version change is the rollout's: a member change, a new token or checksum leaves it
    // as it is (no update, no host contacted; the handler reads every input fresh when it acts).
    const changes = containsUnknown(news.version) || !running || normalize(running) !== normalize(n.version);
    if (ctx && running && !containsUnknown(news.version) && normalize(running) !== normalize(n.version)) {
      const req = { running, target: n.version, members: n.members.map((m) => ({ name: nameOf(m) })), allowHops: n.allowHops };
      const plan = staticPlan(running, n);
      const lines = upgradePreviewLines(req, plan.refusal !== undefined ? { refusal: plan.refusal } : { hops: plan.plan.hops });
      await ctx.warn(
        PHASE,
        n.clusterName,
        [
          ...lines,
          `  before the first restart: live checks (health, one version, no learner, no undeclared member, no alarm) and a snapshot on the leader's host (${SNAPSHOT_DIR})`,
        ].join("\n"),
      );
    }
    return { changes, replaces: [] };
  },
  async create(ctx, wire) {
    const i = reveal<Inputs>(wire);
    const out = await rollout(ctx, i, undefined, true);
    return { id: `${i.clusterName}-version`, outs: { ...wire, ...out } };
  },
  async update(ctx, _id, olds, news) {
    const out = await rollout(ctx, reveal<Inputs>(news), reveal<Partial<Outputs>>(olds));
    return { outs: { ...news, ...out } };
  },
  async delete() {
    // Nothing on the hosts belongs to the rollout alone.
  },
};
