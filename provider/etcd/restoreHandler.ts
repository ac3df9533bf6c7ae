// etcd:cluster:Restore: restores every member of a cluster from one snapshot, when created and
// whenever `generation` changes. In order:
//   1. stage: each member gets the snapshot, checks its sha256 and etcdutl status and restores it
//      into a staging dir beside its data dir, while etcd keeps running. Any failure (or members
//      disagreeing on the sha256) discards every stage: the cluster is untouched.
//   2. swap: etcd stopped on every member; the earlier data dir, config, unit and identity archived
//      as one directory; the staged data moved in place with a new identity (the new token).
//   3. start all members together (a restored cluster needs a quorum to report ready).
//   4. one healthy cluster with the restored members, at revision ≥ snapshot revision + bump.
// It works without quorum (nothing here needs the old cluster) and on hosts that never ran etcd
// (a clone into a new cluster). Member resources then take the new token and change nothing.
// The cluster lock (provider/etcd/lock.ts): taken on the old cluster when it answers, so a restore
// waits for another operation (another `pulumi up`, the snapshot timer) instead of stopping etcd under
// it; when it does not answer within 10 s (often why it is restored) the restore goes on without it,
// and says so. The lock ends with the old cluster at the swap. A lock restored with the snapshot (the
// timer holds one while it takes a snapshot) is removed once the restored cluster is healthy.
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describeSource, planRestore, RestoreArgs, RestorePlan, restoreProblems } from "../../planning/etcd/restorePlan";
import { RestoreInputs, RestoreMember, RestoreOutputs } from "../../planning/etcd/resourceTypes";
import { clusterRegistry } from "./clusterRegistry";
import { probeMember } from "./client";
import { clearRestoredLock, LockTimeoutError, LockUnavailableError, withClusterLock } from "./lock";
import { runEtcdService } from "./etcdService";
import { runHostStep } from "../common/hostStep";
import { downloadFile } from "../common/ssh";
import { s3Parameters, settingsFile } from "../../planning/common/s3";
import { containsUnknown, reveal, sameValue } from "../common/secrets";
import { Context, ResourceHandler } from "../common/handler";
import { waitForHealth } from "./healthWait";
import { onEvery } from "../common/onEvery";

type Inputs = RestoreInputs;
type Outputs = RestoreOutputs;

async function script(
  ctx: Context,
  m: RestoreMember,
  name: string,
  env: Record<string, string>,
  extra: { stdin?: string; stdinFile?: string; timeoutMs?: number } = {},
) {
  const r = await runHostStep(ctx, m.connection, { script: name, env, ...extra, timeoutMs: extra.timeoutMs ?? 600_000 });
  return r.outputs;
}

function s3Settings(s3: NonNullable<RestoreArgs["source"]["s3"]>): string {
  const str = (v: unknown) => (v === undefined ? undefined : String(v));
  return settingsFile(
    s3Parameters({ ...s3, accessKeyId: str(s3.accessKeyId), secretAccessKey: str(s3.secretAccessKey) }, { key: String(s3.key) }),
  );
}

/**
 * Step 1: the snapshot on every member, checked and restored beside its data dir. Any failure, or
 * members that got different files, discards every stage. Returns the (shared) stage outputs.
 */
async function stageEverywhere(ctx: Context, i: Inputs, plan: RestorePlan): Promise<Record<string, string>> {
  const src = i.source;
  let local: string | undefined;
  let tmp: string | undefined;
  try {
    if (src.file) {
      if (!existsSync(src.file))
        throw new Error(`restore of ${i.clusterName} refused: ${src.file} does not exist on this machine. Nothing was changed.`);
      local = src.file;
    } else if (src.host) {
      const from = i.members.find((m) => m.name === src.host!.member)!;
      tmp = mkdtempSync(path.join(tmpdir(), "pe-restore-"));
      local = path.join(tmp, "snapshot");
      await ctx.log("restore", i.clusterName, `fetching ${from.name}:${src.host.path} to send it to the other members`);
      await downloadFile(from.connection, src.host.path, local).catch((e: Error) => {
        throw new Error(
          `restore of ${i.clusterName} refused: could not read ${from.name}:${src.host!.path}: ${e.message}. Nothing was changed.`,
        );
      });
    }
    const stage = await onEvery(i.members, (m, k) => {
      const env = {
        PE_DATA_DIR: m.layout.dataDir,
        PE_ETCDUTL_ARGS: plan.members[k].etcdutlArgs.join("\n"),
        PE_EXPECT_SHA256: i.sha256 ?? "",
      };
      const long = { timeoutMs: 3_600_000 };
      if (src.s3) return script(ctx, m, "etcd-restore-stage", { ...env, PE_SOURCE: "s3" }, { ...long, stdin: s3Settings(src.s3) });
      if (src.host?.member === m.name)
        return script(ctx, m, "etcd-restore-stage", { ...env, PE_SOURCE: "path", PE_SOURCE_PATH: src.host.path }, long);
      return script(ctx, m, "etcd-restore-stage", { ...env, PE_SOURCE: "stdin" }, { ...long, stdinFile: local });
    });
    const problems = stage.problems;
    const shas = new Set(stage.values.flatMap((v) => (v ? [v.sha256] : [])));
    if (problems.length === 0 && shas.size > 1) problems.push(`the members got different files (sha256 ${[...shas].join(", ")})`);
    if (problems.length > 0) {
      await onEvery(i.members, (m) => script(ctx, m, "etcd-restore-discard", { PE_DATA_DIR: m.layout.dataDir }));
      throw new Error(
        `restore of ${i.clusterName} from ${describeSource(src)} refused:\n  - ${problems.join("\n  - ")}\n` +
          `Nothing was stopped: every member runs as before (staged data discarded).`,
      );
    }
    return stage.values[0]!;
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

/** A restore that failed; `touched`: etcd was stopped on some member (after the stage). */
export class RestoreError extends Error {
  constructor(
    message: string,
    readonly touched: boolean,
  ) {
    super(message);
  }
}

export interface RestoreOptions {
  /**
   * The token the members' data dirs are recorded under, when it is not the restore's own: a
   * control plane's data switch restores an EtcdCluster it does not own, whose members must still
   * recognise their data dirs afterwards.
   */
  identityToken?: string;
}

/** Stages, swaps, starts and checks; the one restore path (the Restore resource and the control plane's data switch). */
export async function restoreCluster(ctx: Context, i: Inputs, opts: RestoreOptions = {}): Promise<Outputs> {
  try {
    return await restoreLocked(ctx, i, opts);
  } catch (e) {
    if (e instanceof RestoreError) throw e;
    // Another operation kept the lock: nothing was staged or stopped.
    if (e instanceof LockTimeoutError) throw new RestoreError(e.message, false);
    throw new RestoreError((e as Error).message, true);
  }
}

/** The restore, under the old cluster's lock when it answers (see the top of this file). */
async function restoreLocked(ctx: Context, i: Inputs, opts: RestoreOptions = {}): Promise<Outputs> {
  let swapped = false;
  const lock = {
    clusterName: i.clusterName,
    endpoints: i.members.flatMap((m) => m.clientUrls.slice(0, 1)),
    tls: i.adminTls,
    operation: `restore generation ${i.generation}`,
    timeoutSeconds: i.lockTimeoutSeconds,
    unavailableAfterSeconds: 10,
    warnOnLoss: () => !swapped,
  };
  const run = () => restore(ctx, i, opts, () => void (swapped = true));
  try {
    return await withClusterLock(ctx, lock, run);
  } catch (e) {
    if (!(e instanceof LockUnavailableError)) throw e; // only taking the lock throws this
  }
  await ctx.log("lock", i.clusterName, `the cluster does not answer, so its lock cannot be taken: restoring without it`);
  return run();
}

async function restore(ctx: Context, i: Inputs, opts: RestoreOptions = {}, onSwap: () => void = () => undefined): Promise<Outputs> {
  const started = Date.now();
  const plan = planRestore(
    { ...i, members: i.members.map((m) => ({ name: m.name, peerUrls: m.peerUrls, dataDir: m.layout.dataDir })) },
    randomBytes(4).toString("hex"),
  );
  const say = (step: number, text: string) => ctx.log("restore", i.clusterName, `generation ${i.generation} ${step}/4: ${text}`);

  // 1. Stage everywhere; the cluster keeps running.
  await say(1, plan.steps[0]);
  const staged = await stageEverywhere(ctx, i, plan).catch((e: Error) => {
    throw new RestoreError(e.message, false);
  });
  const snapshotRevision = Number(staged.revision);
  await ctx.log(
    "restore",
    i.clusterName,
    `snapshot verified on ${i.members.length} member(s): sha256 ${staged.sha256}, revision ${snapshotRevision}, ${staged.keys} keys`,
  );

  // 2. The point of no return: stop, archive, move the restored data in place.
  onSwap();
  await say(2, `${plan.steps[1]}; ${plan.steps[2]}; ${plan.steps[3]}`);
  const swaps = await onEvery(i.members, (m) =>
    script(ctx, m, "etcd-restore-swap", {
      PE_NAME: m.name,
      PE_TOKEN: opts.identityToken ?? plan.token,
      PE_DATA_DIR: m.layout.dataDir,
      PE_GENERATION: String(i.generation),
    }),
  );
  const archives = swaps.values.flatMap((v, k) => (v?.archive ? [`${i.members[k].connection.host}:${v.archive}`] : []));
  if (swaps.problems.length) {
    throw new Error(
      `restore of ${i.clusterName} stopped after etcd was stopped:\n  - ${swaps.problems.join("\n  - ")}\n` +
        `Archives of the earlier state: ${archives.join(", ") || "none"}. Fix the cause and run pulumi up again: the restore starts over.`,
    );
  }

  // 3. Start all together: each waits for its peers.
  await say(3, plan.steps[4]);
  const boot = { initialCluster: plan.initialCluster, token: plan.token, state: "new" as const };
  const starts = await onEvery(i.members, (m) =>
    runEtcdService(ctx, m.connection, {
      layout: m.layout,
      boot,
      tuning: i.tuning,
      phase: "update",
      fresh: false,
      startTimeoutSeconds: i.startTimeoutSeconds,
      identityToken: opts.identityToken,
    }),
  );
  if (starts.problems.length)
    throw new Error(
      `restore of ${i.clusterName}: the restored members did not start:\n  - ${starts.problems.join("\n  - ")}\nArchives of the earlier state: ${archives.join(", ")}`,
    );

  // 4. One healthy cluster of exactly these members, with the bumped revision.
  await say(4, "checking health and revision");
  const health = await waitForHealth(ctx, {
    clusterName: i.clusterName,
    members: i.members.map((m) => ({ name: m.name, endpoint: m.clientUrls[0], peerUrls: m.peerUrls, connection: m.connection })),
    caCertPem: i.adminTls.caCertPem,
    clientCertPem: i.adminTls.certPem,
    clientKeyPem: i.adminTls.keyPem,
    timeoutSeconds: 120,
  });
  const probe = await probeMember(i.members[0].clientUrls[0], i.adminTls);
  const revision = Number(probe.revision ?? 0);
  if (revision < snapshotRevision + plan.bumpRevision)
    throw new Error(
      `restore of ${i.clusterName}: revision ${revision} is below the snapshot's ${snapshotRevision} + bump ${plan.bumpRevision}`,
    );
  const stale = await clearRestoredLock(
    i.members.map((m) => m.clientUrls[0]),
    i.adminTls,
    i.clusterName,
    started,
  ).catch((e: Error) => {
    void ctx.warn("lock", i.clusterName, `could not check for a lock restored with the snapshot: ${e.message.split("\n")[0]}`);
    return undefined;
  });
  if (stale) await ctx.log("lock", i.clusterName, `removed the lock restored with the snapshot (held by ${stale} when it was taken)`);
  clusterRegistry.markFresh(plan.token);
  await ctx.log(
    "restore",
    i.clusterName,
    `restored (generation ${i.generation}): ${i.members.length} member(s), new cluster ID ${health.clusterId}, revision ${revision}, ${((Date.now() - started) / 1000).toFixed(1)} s; earlier state archived in ${archives.join(", ") || "(nothing to archive)"}`,
  );
  return {
    token: plan.token,
    initialCluster: plan.initialCluster,
    initialMembers: i.members.map((m) => m.name),
    clusterId: health.clusterId,
    snapshotRevision: String(snapshotRevision),
    revision: String(revision),
    snapshotSha256: staged.sha256,
    archives,
  };
}

export const restoreResource: ResourceHandler = {
  async check(news, olds, ctx) {
    if (containsUnknown(news.generation) || containsUnknown(news.source)) return { inputs: news };
    const i = reveal<Inputs>(news);
    const names = (i.members ?? []).map((m) => m?.name).filter((n): n is string => typeof n === "string");
    const problems = restoreProblems(i, names);
    if (problems.length) return { inputs: news, failures: problems.map((reason) => ({ property: "restore", reason })) };
    const o = olds ? reveal<Partial<Inputs>>(olds) : {};
    if (ctx && o.generation !== i.generation) {
      // A warning, not info: it stops every member, and `preview --diff` shows warnings only.
      await ctx.warn(
        "restore",
        i.clusterName,
        `generation ${i.generation} from ${describeSource(i.source)} will:\n` +
          planRestore({ ...i, members: names.map((name) => ({ name, peerUrls: [], dataDir: "<dataDir>" })) }, "…")
            .steps.map((s, k) => `  ${k + 1}. ${s}`)
            .join("\n"),
      );
    } else if (ctx && o.source && !sameValue(o.source, i.source)) {
      await ctx.warn(
        "restore",
        i.clusterName,
        `restore.source changed but restore.generation did not (${i.generation}): nothing is restored. Raise the generation to restore from the new source.`,
      );
    }
    return { inputs: news };
  },
  // Only a new generation restores; everything else describes how, and changes nothing by itself.
  async diff(olds, news) {
    const changes = !sameValue(olds.generation, news.generation);
    return { changes, replaces: [] };
  },
  async create(ctx, wire) {
    const i = reveal<Inputs>(wire);
    const out = await restoreLocked(ctx, i);
    return { id: `${i.clusterName}-restore`, outs: { ...wire, ...out } };
  },
  async update(ctx, _id, _olds, news) {
    return { outs: { ...news, ...(await restoreLocked(ctx, reveal<Inputs>(news))) } };
  },
  async delete(ctx, _id, props) {
    const p = reveal<Inputs>(props);
    await ctx.log(
      "restore",
      p.clusterName,
      `the restore record is removed; the cluster keeps running on its restored data and the archives stay`,
    );
  },
};
