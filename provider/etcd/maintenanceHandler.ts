// etcd:cluster:Maintenance (EtcdCluster `maintenance`): the part of maintenance that `pulumi up`
// does. Its diff reads the cluster's alarms through the etcd client: with a NOSPACE alarm active it
// plans an update (preview says what the recovery will do) that compacts to the current revision,
// defragments every member one at a time (followers first, the leader last after moving leadership
// away) and disarms the alarm; without one, nothing changes. A new `trigger` defragments every
// member the same way. The work itself is the host runner's (hosts/etcd/etcd-defrag-now, the same
// code the timers run), started over SSH on the first member whose host answers.
import { defragPlan, describePlan, maintenanceSettings, MemberDbStatus, thresholds } from "../../planning/etcd/maintenance";
import { MaintenanceInputs } from "../../planning/etcd/resourceTypes";
import { Context, ResourceHandler } from "../common/handler";
import { HostUnreachableError, runHostStep } from "../common/hostStep";
import { withClusterLock } from "./lock";
import { containsUnknown, reveal, sameValue } from "../common/secrets";
import { activeAlarms, probeMember } from "./client";

type Inputs = MaintenanceInputs;
const PHASE = "maintenance";

/** The NOSPACE alarms of the cluster ("memberId:NOSPACE"), [] when none or when recovery is off; undefined when the cluster cannot be asked. */
async function nospaceAlarms(i: Inputs): Promise<string[] | undefined> {
  if (i.recoverNospace === false) return [];
  try {
    return (
      await activeAlarms(
        i.members.map((m) => m.endpoint),
        i.adminTls,
      )
    ).filter((a) => a.endsWith(":NOSPACE"));
  } catch {
    return undefined;
  }
}

/** What a NOSPACE recovery will do, from the members' live statuses (the runner decides again when it runs). */
async function previewPlan(i: Inputs): Promise<string> {
  const probes = await Promise.all(i.members.map((m) => probeMember(m.endpoint, i.adminTls)));
  const statuses: MemberDbStatus[] = probes.map((p, k) => ({
    name: i.members[k].name,
    id: p.memberId ?? "",
    ok: p.ok,
    leaderId: p.leaderId,
    isLearner: p.isLearner,
    dbSize: p.dbSize === undefined ? undefined : Number(p.dbSize),
    // Called only with a NOSPACE alarm active (the alarm list is the cluster's, not per member).
    alarms: ["NOSPACE"],
    error: p.error,
  }));
  return describePlan(defragPlan(statuses, thresholds(i), { all: true, recoverNospace: i.recoverNospace }));
}

/** Runs etcd-defrag-now on the first member whose host answers. */
async function runNow(ctx: Context, i: Inputs, mode: "defrag" | "nospace", why: string): Promise<string> {
  let last: Error = new Error("no member");
  for (const m of i.members) {
    try {
      const r = await runHostStep(ctx, m.connection, {
        script: "etcd-defrag-now",
        env: { PE_MODE: mode, PE_TRIGGER: why },
        stdin: maintenanceSettings(i, i.clusterName, m.name),
        timeoutMs: 3_600_000,
      });
      return r.outputs.result ?? "nothing to do";
    } catch (e) {
      if (!(e instanceof HostUnreachableError)) throw e;
      last = e;
      await ctx.warn(PHASE, i.clusterName, `${m.name}'s host does not answer (${e.message}); trying the next member`);
    }
  }
  throw last;
}

/** create and update: a trigger runs a defragmentation (which also recovers a NOSPACE alarm); else a NOSPACE alarm is recovered. */
async function act(ctx: Context, i: Inputs, triggered: boolean): Promise<string> {
  const alarms = await nospaceAlarms(i);
  if (alarms?.length) {
    // Under NOSPACE etcd takes no lease or put: the cluster lock cannot be taken (nor held by anyone
    // else), and the recovery is what frees the space.
    await ctx.log(
      PHASE,
      i.clusterName,
      `NOSPACE alarm active (${alarms.join(", ")}): recovering (without the cluster lock: etcd takes no writes)`,
    );
    return runNow(ctx, i, triggered ? "defrag" : "nospace", triggered ? (i.trigger ?? "") : "NOSPACE alarm");
  }
  if (!triggered) return "";
  const lock = {
    clusterName: i.clusterName,
    endpoints: i.members.map((m) => m.endpoint),
    tls: i.adminTls,
    operation: "defragmentation (maintenance trigger)",
    timeoutSeconds: i.lockTimeoutSeconds,
  };
  return withClusterLock(ctx, lock, () => runNow(ctx, i, "defrag", i.trigger ?? ""));
}

export const maintenanceResource: ResourceHandler = {
  async check(news) {
    return { inputs: news };
  },
  // Only a new trigger or an active NOSPACE alarm is the resource's: any other input change (a
  // member, a certificate) is read fresh when it acts, so it plans no update.
  async diff(olds, news, ctx) {
    const n = reveal<Inputs>(news);
    const o = reveal<Partial<Inputs>>(olds);
    const triggered = !!n.trigger && !sameValue(o.trigger, n.trigger);
    if (triggered) {
      if (ctx)
        await ctx.warn(
          PHASE,
          n.clusterName,
          `trigger ${JSON.stringify(n.trigger)}: every member is defragmented, followers first, the leader last`,
        );
      return { changes: true, replaces: [] };
    }
    if (containsUnknown(news)) return { changes: false, replaces: [] };
    const alarms = await nospaceAlarms(n);
    if (!alarms?.length) return { changes: false, replaces: [] };
    if (ctx) {
      let plan: string;
      try {
        plan = await previewPlan(n);
      } catch (e) {
        plan = `the plan is made when it runs (${(e as Error).message.split("\n")[0]})`;
      }
      await ctx.warn(PHASE, n.clusterName, `NOSPACE alarm active (${alarms.join(", ")}): this update recovers: ${plan}`);
    }
    return { changes: true, replaces: [] };
  },
  async create(ctx, wire) {
    const i = reveal<Inputs>(wire);
    const lastRun = await act(ctx, i, !!i.trigger);
    return { id: `${i.clusterName}-maintenance`, outs: { ...wire, lastRun } };
  },
  async update(ctx, _id, olds, news) {
    const i = reveal<Inputs>(news);
    const o = reveal<Partial<Inputs & { lastRun: string }>>(olds);
    const lastRun = await act(ctx, i, !!i.trigger && !sameValue(o.trigger, i.trigger));
    return { outs: { ...news, lastRun: lastRun || o.lastRun || "" } };
  },
  async delete() {
    // The timers are the HostScripts' (etcd-defrag-unschedule); nothing here.
  },
};
