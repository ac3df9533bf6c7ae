// etcd:kube:DataSwitch: moves a control plane's Kubernetes data when the etcd it is declared on
// changes (stacked ↔ external, or between external clusters), restores it from a snapshot (a new
// restore.generation) or brings back a saved state (restoreState). The plan and its rules are in
// planning/kube/dataSwitchPlan.ts. In order:
//   1. checks, nothing stopped: the target healthy, empty (a switch), at least as new as the source,
//      and accepting the apiservers' client certificate;
//   2. the control-plane components stop on every host (writes stop);
//   3. a state is saved: a snapshot of the etcd the apiservers used, sha256-checked, kept with each
//      host's /etc/kubernetes on every control-plane host;
//   4. the target is restored on every member (the one restore path, restoreCluster), and every
//      object written again so its resourceVersion is above any a client saw (renewVersions.ts);
//   5. the new `epoch` output makes every KubeControlPlaneMember restart its components on the
//      target, one host at a time (their files and units, with the new etcd flags, are written after
//      this resource). A failure in 1–4 of a switch starts the components again, unchanged, on the
//      old etcd: nothing is lost and the error says what failed.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { snapshotSettings } from "../../planning/etcd/snapshotSpec";
import { DEFAULT_BUMP_REVISION } from "../../planning/etcd/restorePlan";
import {
  bumpFor,
  keyFingerprint,
  stateDirOf,
  stateName,
  Transition,
  transitionOf,
  transitionProblems,
  transitionSteps,
} from "../../planning/kube/dataSwitchPlan";
import { ControlPlaneState, DataSwitchEtcd, DataSwitchInputs, DataSwitchOutputs } from "../../planning/kube/resourceTypes";
import { Context, ResourceHandler } from "../common/handler";
import { runHostStep } from "../common/hostStep";
import { onEvery } from "../common/onEvery";
import { containsUnknown, reveal } from "../common/secrets";
import { downloadFile } from "../common/ssh";
import { etcdClient, MemberProbe, probeMember } from "../etcd/client";
import { waitForHealth } from "../etcd/healthWait";
import { restoreCluster, RestoreError } from "../etcd/restoreHandler";
import { KUBE_PREFIX } from "../../planning/kube/renewVersions";
import { dropEndpointLeases, renewObjectVersions } from "./renewVersions";

type Inputs = DataSwitchInputs;
type Outputs = DataSwitchOutputs;
type Recorded = Partial<Inputs & Outputs>;

const PHASE = "data-switch";
const SNAPSHOT_DIR = "/var/tmp/pe-kube-switch";

const sha256Of = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");
const minorOf = (v: string) => Number(/^v?(\d+)\.(\d+)/.exec(v)?.slice(1, 3).join(".") ?? NaN);

/** Step 1: everything that can be known before the control plane stops. */
async function checkTarget(ctx: Context, i: Inputs, source: DataSwitchEtcd | undefined): Promise<void> {
  const t = i.etcd;
  const refuse = (why: string) => {
    throw new Error(`switch of ${i.controlPlane} to ${t.id} refused: ${why}. Nothing was stopped.`);
  };
  await ctx.log(PHASE, i.controlPlane, `checking ${t.id}: health, emptiness, version, the apiservers' client certificate`);
  await waitForHealth(ctx, {
    clusterName: t.id,
    members: t.members.map((m) => ({ name: m.name, endpoint: m.clientUrls[0], peerUrls: m.peerUrls, connection: m.connection })),
    caCertPem: t.adminTls.caCertPem,
    clientCertPem: t.adminTls.certPem,
    clientKeyPem: t.adminTls.keyPem,
    timeoutSeconds: 30,
  }).catch((e: Error) => refuse(`it is not healthy: ${e.message.split("\n")[0]}`));
  const admin = etcdClient(t.endpoints, t.adminTls);
  try {
    const keys = await admin.getAll().prefix(KUBE_PREFIX).count();
    if (keys > 0 && !i.allowOverwrite)
      refuse(
        `it already holds ${keys} Kubernetes keys (/registry/…), from another control plane or an earlier switch. Set allowOverwrite: true to replace them (they are archived first)`,
      );
  } finally {
    admin.close();
  }
  if (source) {
    const [to, from] = await Promise.all([probeMember(t.endpoints[0], t.adminTls), probeMember(source.endpoints[0], source.adminTls)]);
    if (from.ok && to.ok && minorOf(to.version ?? "") < minorOf(from.version ?? ""))
      refuse(
        `it runs etcd ${to.version}, older than ${source.id}'s ${from.version}: upgrade it first (a snapshot does not go back a minor version)`,
      );
  }
  const apiserver = etcdClient(t.endpoints, i.apiserverTls);
  try {
    await apiserver.get(`${KUBE_PREFIX}pulumi-etcd-switch-check`).string();
  } catch (e) {
    refuse(`it does not accept the apiservers' etcd client certificate: ${(e as Error).message.split("\n")[0]}`);
  } finally {
    apiserver.close();
  }
}

/** Step 2: every component stopped; returns the hosts where something ran. */
async function stopAll(ctx: Context, i: Inputs): Promise<string[]> {
  const r = await onEvery(i.hosts, (h) => runHostStep(ctx, h.connection, { script: "kube-control-plane-stop", timeoutMs: 120_000 }));
  if (r.problems.length) throw new Error(`stopping the control plane failed:\n  - ${r.problems.join("\n  - ")}`);
  return i.hosts.filter((_, k) => r.values[k]?.outputs.stopped !== "none").map((h) => h.name);
}

/** After a failure: the components start again as they were, one host at a time. */
async function resumeAll(ctx: Context, i: Inputs): Promise<string> {
  const failed: string[] = [];
  for (const h of i.hosts) {
    await runHostStep(ctx, h.connection, {
      script: "kube-control-plane-resume",
      env: { PE_START_TIMEOUT: String(i.startTimeoutSeconds ?? 180) },
      timeoutMs: ((i.startTimeoutSeconds ?? 180) + 60) * 1000,
    }).catch((e: Error) => failed.push(`${h.name}: ${e.message.split("\n")[0]}`));
  }
  return failed.length ? `starting them again failed on ${failed.join("; ")}` : "the control plane was started again, unchanged";
}

interface Snapshot {
  file: string;
  sha256: string;
  revision: string;
}

/** A snapshot of `etcd`, taken on one of its members and brought here (sha256 checked). */
async function takeSnapshot(ctx: Context, i: Inputs, etcd: DataSwitchEtcd, probes: MemberProbe[], dir: string): Promise<Snapshot> {
  // Only members that answer now (a wiped or stopped etcd would keep etcdctl waiting a minute each).
  const problems = probes.flatMap((p, k) => (p.ok ? [] : [`${etcd.members[k].name}: ${p.error}`]));
  for (const m of etcd.members.filter((_, k) => probes[k].ok)) {
    try {
      const r = await runHostStep(ctx, m.connection, {
        script: "etcd-snapshot-now",
        env: { PE_TRIGGER: `data switch of ${i.controlPlane}` },
        stdin: snapshotSettings({ localDir: SNAPSHOT_DIR, compression: "none", keep: 1 }, i.controlPlane, m.name),
        timeoutMs: 1_800_000,
      });
      const remote = `${SNAPSHOT_DIR}/${r.outputs.file}`;
      const file = path.join(dir, "snapshot.db");
      await downloadFile(m.connection, remote, file);
      for (const p of [remote, `${remote}.json`])
        await runHostStep(undefined, m.connection, { script: "remove-file", env: { PE_PATH: p } });
      const sha = sha256Of(file);
      if (sha !== r.outputs.sha256) throw new Error(`the snapshot arrived with sha256 ${sha}, taken with ${r.outputs.sha256}`);
      await ctx.log(PHASE, i.controlPlane, `snapshot of ${etcd.id} on ${m.name}: revision ${r.outputs.revision}, sha256 ${sha}`);
      return { file, sha256: sha, revision: r.outputs.revision };
    } catch (e) {
      problems.push(`${m.name}: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  throw new Error(`no snapshot of ${etcd.id} could be taken:\n  - ${problems.join("\n  - ")}`);
}

/** Step 3: the state kept on every control-plane host. */
async function saveState(ctx: Context, i: Inputs, snap: Snapshot, n: number, reason: string, from: string): Promise<ControlPlaneState> {
  const name = stateName(n, new Date());
  const base = {
    name,
    takenAt: new Date().toISOString(),
    reason,
    etcd: from,
    sha256: snap.sha256,
    revision: snap.revision,
    kubeVersion: i.kubeVersion,
    serviceCidr: i.serviceCidr,
    encryptionKeyFingerprint: keyFingerprint(i.encryptionKey),
  };
  const r = await onEvery(i.hosts, (h) =>
    runHostStep(ctx, h.connection, {
      script: "kube-state-save",
      env: { PE_STATE: name, PE_EXPECT_SHA256: snap.sha256, PE_META: JSON.stringify(base) },
      stdinFile: snap.file,
      timeoutMs: 1_800_000,
    }),
  );
  if (r.problems.length) throw new Error(`saving state ${name} failed:\n  - ${r.problems.join("\n  - ")}`);
  return {
    ...base,
    snapshots: i.hosts.map((h, k) => `${h.name}:${r.values[k]!.outputs.snapshot}`),
    configArchives: i.hosts.map((h, k) => `${h.name}:${r.values[k]!.outputs.config}`),
    etcdArchives: [],
  };
}

/** A saved state's snapshot, from the first control-plane host that has it. */
async function fetchState(ctx: Context, i: Inputs, s: ControlPlaneState, dir: string): Promise<Snapshot> {
  const problems: string[] = [];
  for (const where of s.snapshots) {
    const [hostName, remote] = [where.slice(0, where.indexOf(":")), where.slice(where.indexOf(":") + 1)];
    const h = i.hosts.find((x) => x.name === hostName);
    if (!h) continue;
    const file = path.join(dir, `state-${s.name}.db`);
    try {
      await downloadFile(h.connection, remote, file);
      const sha = sha256Of(file);
      if (sha !== s.sha256) throw new Error(`its copy has sha256 ${sha}, not ${s.sha256}`);
      await ctx.log(PHASE, i.controlPlane, `state ${s.name}: snapshot from ${where}, sha256 checked`);
      return { file, sha256: sha, revision: s.revision };
    } catch (e) {
      problems.push(`${where}: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  throw new Error(`no good copy of state ${s.name}'s snapshot:\n  - ${problems.join("\n  - ") || "(no copy on the current hosts)"}`);
}

async function transition(ctx: Context, t: Transition, olds: Recorded | undefined, i: Inputs): Promise<Outputs> {
  const states = olds?.states ?? [];
  const n = states.length + 1;
  const started = Date.now();
  const say = (m: string) => ctx.log(PHASE, i.controlPlane, m);
  const source = t.kind === "switch" ? (olds!.etcd as DataSwitchEtcd) : undefined;
  await say(`${t.kind}${t.kind === "switch" ? ` from ${t.from}` : ""} onto ${t.to}: ${transitionSteps(t, i, true).length} steps`);
  if (t.kind === "switch") await checkTarget(ctx, i, source);

  const dir = mkdtempSync(path.join(tmpdir(), "pe-switch-"));
  let running: string[] = [];
  let state: ControlPlaneState | undefined;
  try {
    running = await stopAll(ctx, i);
    await say(running.length ? `components stopped on ${running.join(", ")}: writes stop here` : "no component was running");
    const reason =
      t.kind === "switch"
        ? `before the switch from ${t.from} to ${t.to}`
        : t.kind === "restore"
          ? `before restore generation ${i.restore!.generation}`
          : `before bringing back state ${i.restoreState}`;
    // The state of the data the apiservers used. A restore (disaster recovery) goes on without one
    // when that etcd cannot give a snapshot (it may be what is broken).
    const current = source ?? i.etcd;
    // The highest revision a client may have seen: the new head must be above it.
    const heads = await Promise.all(current.members.map((m) => probeMember(m.clientUrls[0], current.adminTls)));
    const highest = Math.max(Number(olds?.revision || 0), ...heads.map((p) => (p.ok ? Number(p.revision ?? 0) : 0)));
    let snap: Snapshot | undefined;
    if (running.length || t.kind === "switch") {
      try {
        snap = await takeSnapshot(ctx, i, current, heads, dir);
        state = await saveState(ctx, i, snap, n, reason, current.id);
        await say(`state ${state.name} saved on ${i.hosts.map((h) => h.name).join(", ")}`);
      } catch (e) {
        if (t.kind === "switch") throw e;
        await ctx.warn(PHASE, i.controlPlane, `no state saved ${reason}: ${(e as Error).message}. The restore goes on.`);
      }
    }
    const data =
      t.kind === "switch"
        ? { source: { file: snap!.file }, sha256: snap!.sha256, revision: Number(snap!.revision) }
        : t.kind === "restore-state"
          ? await fetchState(ctx, i, t.state!, dir).then((s) => ({
              source: { file: s.file },
              sha256: s.sha256,
              revision: Number(s.revision),
            }))
          : { source: i.restore!.source, sha256: i.restore!.sha256, skipHashCheck: i.restore!.skipHashCheck, revision: undefined };
    const { revision: snapshotRevision, ...from } = data;
    const restored = await restoreCluster(
      ctx,
      {
        clusterName: t.to.replace(/^[a-z]+:/, ""),
        generation: n,
        ...from,
        bumpRevision: bumpFor(highest, snapshotRevision, DEFAULT_BUMP_REVISION),
        members: i.etcd.members,
        tuning: i.etcd.tuning,
        adminTls: i.etcd.adminTls,
        startTimeoutSeconds: i.startTimeoutSeconds,
      },
      { identityToken: i.etcd.token },
    );
    if (state) state = { ...state, etcdArchives: restored.archives };
    const targetUrls = i.etcd.members.map((m) => m.clientUrls[0]);
    const dropped = await dropEndpointLeases(targetUrls, i.etcd.adminTls).catch((e: Error) => {
      throw new Error(`deleting the restored apiserver endpoint leases on ${t.to} failed: ${e.message}`);
    });
    await say(
      `${dropped} apiserver endpoint lease(s) of the restored data deleted (each apiserver writes its own on start); writing every object again so each resourceVersion is above ${restored.revision}`,
    );
    const renewed = await renewObjectVersions(targetUrls, i.etcd.adminTls, say).catch((e: Error) => {
      throw new Error(`writing the objects again on ${t.to} failed: ${e.message}`);
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const line =
      `${t.kind}${t.kind === "switch" ? ` from ${t.from}` : ""} onto ${t.to}: revision ${restored.snapshotRevision} → ${renewed.revision || restored.revision} (highest before ${highest}), ` +
      `${renewed.keys} objects written again in ${renewed.seconds.toFixed(1)} s (${renewed.leased} lease-bound keys left to expire), new cluster ID ${restored.clusterId}, ${seconds} s; the components restart on it one host at a time next`;
    await say(line);
    return {
      epoch: `${t.kind}-${n}-${randomBytes(3).toString("hex")}`,
      current: t.to,
      states: state ? [...states, state] : states,
      lastTransition: line,
      revision: String(renewed.revision || restored.revision),
    };
  } catch (e) {
    const err = e as Error;
    const touched = err instanceof RestoreError && err.touched;
    const resumed = running.length ? await resumeAll(ctx, i) : "no component had been running";
    const keep = state ? ` State ${state.name} was saved (${state.snapshots.join(", ")}).` : "";
    if (t.kind === "switch")
      throw new Error(
        `switch of ${i.controlPlane} from ${t.from} to ${t.to} failed: ${err.message}\n` +
          `The apiservers were not pointed at ${t.to}: ${resumed} on ${t.from}, nothing lost.${touched ? ` ${t.to} was left stopped mid-restore: its earlier data is archived on its members.` : ""}${keep}`,
      );
    throw new Error(
      `${t.kind} of ${i.controlPlane}'s etcd ${t.to} failed: ${err.message}\n` +
        `${touched ? "etcd was stopped mid-restore (its earlier data archived on its members); " : "etcd was not touched; "}${resumed}.${keep}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function carried(olds: Recorded | undefined, i: Inputs): Outputs {
  return {
    epoch: olds?.epoch ?? "",
    current: i.etcd.id,
    states: olds?.states ?? [],
    lastTransition: olds?.lastTransition ?? "",
    revision: olds?.revision ?? "",
  };
}

/** Problems that need the recorded state (the states list): raised by diff, so preview fails on them. */
function problemsWith(olds: Recorded | undefined, i: Inputs): { t: Transition; problems: string[] } {
  const states = olds?.states ?? [];
  const t = transitionOf(olds, i, states);
  return { t, problems: transitionProblems(t, olds, i) };
}

export const dataSwitchResource: ResourceHandler = {
  async check(news, olds, ctx) {
    if (containsUnknown(news.etcd) || containsUnknown(news.restore) || containsUnknown(news.restoreState)) return { inputs: news };
    const i = reveal<Inputs>(news);
    const o = olds && Object.keys(olds).length ? reveal<Recorded>(olds) : undefined;
    // Old inputs carry no states: the problems that need them are raised by diff.
    const { t, problems } = problemsWith(o, i);
    const own = problems.filter((p) => !p.startsWith("restoreState") && !p.startsWith("state "));
    if (own.length) return { inputs: news, failures: own.map((reason) => ({ property: "etcd", reason })) };
    if (ctx && t.kind !== "none" && t.kind !== "restore-state")
      // A warning, not info: the control plane stops for it, and `preview --diff` shows warnings only.
      await ctx.warn(
        PHASE,
        i.controlPlane,
        `${t.kind} ${t.kind === "switch" ? `from ${t.from} to ${t.to}` : `of ${t.to}`} will:\n` +
          transitionSteps(t, i, !!o)
            .map((s, k) => `  ${k + 1}. ${s}`)
            .join("\n"),
      );
    return { inputs: news };
  },
  async diff(olds, news, ctx) {
    if (containsUnknown(news.etcd) || containsUnknown(news.restore) || containsUnknown(news.restoreState)) return { changes: true };
    const o = reveal<Recorded>(olds);
    const i = reveal<Inputs>(news);
    const { t, problems } = problemsWith(o, i);
    if (problems.length)
      throw new Error(`KubeControlPlane ${i.controlPlane}: refused, nothing was changed:\n  - ${problems.join("\n  - ")}`);
    if (ctx && t.kind === "restore-state")
      // Shown here, not by check: only the recorded outputs hold the states.
      await ctx.warn(
        PHASE,
        i.controlPlane,
        `bringing back state ${t.state!.name} (${t.state!.reason}, ${t.state!.takenAt}) will:\n` +
          transitionSteps(t, i, true)
            .map((s, k) => `  ${k + 1}. ${s}`)
            .join("\n"),
      );
    // Anything else (hosts, certificates) is recorded without touching a host.
    const keys = [
      "etcd",
      "hosts",
      "apiserverTls",
      "restore",
      "restoreState",
      "kubeVersion",
      "serviceCidr",
      "encryptionKey",
      "allowOverwrite",
      "startTimeoutSeconds",
    ];
    const changed = keys.filter((k) => JSON.stringify(o[k as keyof Recorded]) !== JSON.stringify(i[k as keyof Inputs]));
    return { changes: changed.length > 0 || t.kind !== "none" };
  },
  async create(ctx, wire) {
    const i = reveal<Inputs>(wire);
    const t = transitionOf(undefined, i, []);
    const out = t.kind === "none" ? carried(undefined, i) : await transition(ctx, t, undefined, i);
    return { id: `${i.controlPlane}-data`, outs: { ...wire, ...out } };
  },
  async update(ctx, _id, olds, news) {
    const o = reveal<Recorded>(olds);
    const i = reveal<Inputs>(news);
    const { t, problems } = problemsWith(o, i);
    if (problems.length)
      throw new Error(`KubeControlPlane ${i.controlPlane}: refused, nothing was changed:\n  - ${problems.join("\n  - ")}`);
    const out = t.kind === "none" ? carried(o, i) : await transition(ctx, t, o, i);
    return { outs: { ...news, ...out } };
  },
  async delete(ctx, _id, props) {
    const p = reveal<Recorded>(props);
    const n = p.states?.length ?? 0;
    if (n)
      await ctx.log(
        PHASE,
        p.controlPlane ?? "",
        `${n} saved state(s) stay on the hosts in ${stateDirOf("<name>")} (${p.states!.map((s) => s.name).join(", ")}): remove them by hand when no longer needed`,
      );
  },
};
