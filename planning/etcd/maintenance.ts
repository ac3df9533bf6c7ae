// Maintenance of a running cluster (EtcdCluster `maintenance`): defragmentation on a schedule and
// on demand, and recovery from a NOSPACE alarm. Pure logic: the inputs' validation, the runner's
// settings file and systemd units, which members to defragment and in what order, and the lines
// `pulumi preview` and the logs show. The host runner (hosts/etcd/lib/defrag.sh) applies the same
// rules in bash (it runs on the members, with no Node there); test/unit/maintenance.test.ts pins
// them here and test/e2e/maintenance.test.ts on the bed.
import { settingsFile } from "../common/s3";

/** Defragmentation and NOSPACE recovery of an EtcdCluster (a systemd timer on every member; only the leader's runner acts). */
export interface ClusterMaintenance {
  /**
   * When the defragmentation timer fires on every member (a systemd OnCalendar expression); default
   * daily at 03:30 ("*-*-* 03:30:00"); "" for no defragmentation timer. At each tick the leader's
   * runner defragments the members whose fragmentation is above both thresholds, one at a time,
   * followers first, the leader last after moving leadership away; only when every member is healthy.
   */
  defragSchedule?: string;
  /** A member is defragmented only when at least this many MiB of its db file are free pages (dbSize - dbSizeInUse); default 100. */
  minFragmentedMib?: number;
  /** ...and at least this share of its db file (0 to 1); default 0.25. */
  minFragmentedRatio?: number;
  /**
   * How often the members look for a NOSPACE alarm (a systemd OnCalendar expression); default every
   * 5 minutes ("*:0/5"); "" for no such timer. When the alarm is raised, the leader's runner compacts
   * to the current revision, defragments every member (thresholds ignored, in the same order) and
   * disarms the alarm.
   */
  nospaceCheckSchedule?: string;
  /** Recover from a NOSPACE alarm (on the timers and on `pulumi up`); default true. */
  recoverNospace?: boolean;
  /** Change it to defragment every member (thresholds ignored) in the next `pulumi up`, e.g. a date. */
  trigger?: string;
}

export const DEFAULT_DEFRAG_SCHEDULE = "*-*-* 03:30:00";
export const DEFAULT_NOSPACE_CHECK_SCHEDULE = "*:0/5";
export const DEFAULT_MIN_FRAGMENTED_MIB = 100;
export const DEFAULT_MIN_FRAGMENTED_RATIO = 0.25;

/** Where the runner, its settings and its results live on each member's host. */
export const DEFRAG_RUNNER_PATH = "/usr/local/lib/pulumi-etcd/etcd-defrag-run";
export const DEFRAG_SETTINGS_PATH = "/etc/pulumi-etcd/defrag.env";
export const DEFRAG_STATUS_PATH = "/var/lib/pulumi-etcd/defrag-status";
export const DEFRAG_METRICS_PATH = "/var/lib/node_exporter/textfile_collector/etcd_defrag.prom";

const CALENDAR = /^[0-9A-Za-z*:/,.~ -]+$/;

export function maintenanceProblems(m: ClusterMaintenance | undefined): string[] {
  if (!m) return [];
  const p: string[] = [];
  for (const key of ["defragSchedule", "nospaceCheckSchedule"] as const) {
    const v = m[key];
    if (v !== undefined && v !== "" && !CALENDAR.test(v))
      p.push(`maintenance.${key} ${JSON.stringify(v)} is not a systemd calendar expression`);
  }
  if (m.minFragmentedMib !== undefined && !(Number.isFinite(m.minFragmentedMib) && m.minFragmentedMib >= 0))
    p.push(`maintenance.minFragmentedMib must be a number of at least 0, got ${m.minFragmentedMib}`);
  if (
    m.minFragmentedRatio !== undefined &&
    !(Number.isFinite(m.minFragmentedRatio) && m.minFragmentedRatio >= 0 && m.minFragmentedRatio <= 1)
  )
    p.push(`maintenance.minFragmentedRatio must be between 0 and 1, got ${m.minFragmentedRatio}`);
  if (m.trigger !== undefined && /[\n\r]/.test(m.trigger)) p.push(`maintenance.trigger must be one line`);
  return p;
}

/** The thresholds as the runner reads them: bytes, and the ratio in thousandths (bash has integers only). */
export interface Thresholds {
  minFragmentedBytes: number;
  minFragmentedPermille: number;
}

export function thresholds(m: ClusterMaintenance): Thresholds {
  return {
    minFragmentedBytes: Math.round((m.minFragmentedMib ?? DEFAULT_MIN_FRAGMENTED_MIB) * 2 ** 20),
    minFragmentedPermille: Math.round((m.minFragmentedRatio ?? DEFAULT_MIN_FRAGMENTED_RATIO) * 1000),
  };
}

/** The runner's settings file for one member (no secret in it: the runner uses the member's own certificate). */
export function maintenanceSettings(m: ClusterMaintenance, clusterName: string, member: string): string {
  const t = thresholds(m);
  return settingsFile({
    PE_CLUSTER: clusterName,
    PE_MEMBER: member,
    PE_MIN_FRAGMENTED_BYTES: String(t.minFragmentedBytes),
    PE_MIN_FRAGMENTED_PERMILLE: String(t.minFragmentedPermille),
    PE_RECOVER_NOSPACE: m.recoverNospace === false ? "0" : "1",
  });
}

export type MaintenanceMode = "defrag" | "nospace";

/** A timer unit: fires its service on the schedule (a systemd OnCalendar expression). */
export function renderMaintenanceTimer(mode: MaintenanceMode, onCalendar: string): string {
  if (/[\n\r]/.test(onCalendar)) throw new Error(`schedule ${JSON.stringify(onCalendar)} must be one line`);
  return [
    "# Managed by pulumi-etcd.",
    "[Unit]",
    mode === "defrag" ? "Description=etcd defragmentation (pulumi-etcd)" : "Description=etcd NOSPACE alarm check (pulumi-etcd)",
    "",
    "[Timer]",
    `OnCalendar=${onCalendar}`,
    "AccuracySec=1s",
    ...(mode === "defrag" ? ["Persistent=true"] : []),
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
}

/** A service unit: one run of the runner in the given mode (only the leader's acts). */
export function renderMaintenanceService(mode: MaintenanceMode): string {
  return [
    "# Managed by pulumi-etcd.",
    "[Unit]",
    mode === "defrag"
      ? "Description=etcd defragmentation (pulumi-etcd; only the leader's runner acts)"
      : "Description=etcd NOSPACE recovery (pulumi-etcd; only the leader's runner acts)",
    "After=etcd.service",
    "",
    "[Service]",
    "Type=oneshot",
    `Environment=PE_MODE=${mode}`,
    `ExecStart=${DEFRAG_RUNNER_PATH}`,
    "",
  ].join("\n");
}

/** The unit names per mode: etcd-defrag.{timer,service} and etcd-nospace.{timer,service}. */
export function unitName(mode: MaintenanceMode): string {
  return mode === "defrag" ? "etcd-defrag" : "etcd-nospace";
}

/** A member as its own endpoint's status reports it (etcdctl endpoint status, or the status RPC). */
export interface MemberDbStatus {
  name: string;
  /** Member ID (hex). */
  id: string;
  /** false: it did not answer. */
  ok: boolean;
  /** The leader ID it reports (hex). */
  leaderId?: string;
  isLearner?: boolean;
  dbSize?: number;
  dbSizeInUse?: number;
  /** Alarms it reports, e.g. ["NOSPACE"]. */
  alarms?: string[];
  error?: string;
}

export interface DefragStep {
  name: string;
  /** It leads when the plan is made: leadership moves away first. */
  leader: boolean;
  /** Fragmented bytes (dbSize - dbSizeInUse) when planned. */
  fragmentedBytes: number;
  dbSize: number;
}

export interface DefragPlan {
  /** Why nothing may be done now (a member down, no single leader, a learner, another alarm). */
  refusal?: string;
  /** The members to defragment, in order: followers by name, the leader last. */
  steps: DefragStep[];
  /** Where leadership goes before the leader is defragmented (the first follower). */
  moveLeaderTo?: string;
  /** Members left as they are, and why (below the thresholds). */
  skipped: { name: string; reason: string }[];
  /** A NOSPACE alarm is active: compact first, every member, then disarm. */
  nospace: boolean;
}

export const fragmentedBytes = (s: MemberDbStatus): number => Math.max(0, (s.dbSize ?? 0) - (s.dbSizeInUse ?? 0));

export const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** Above both thresholds? */
export function aboveThresholds(s: MemberDbStatus, t: Thresholds): boolean {
  const frag = fragmentedBytes(s);
  const size = s.dbSize ?? 0;
  if (size <= 0) return false;
  return frag >= t.minFragmentedBytes && frag * 1000 >= t.minFragmentedPermille * size;
}

/**
 * What to defragment now and in which order. all: every member, thresholds ignored (a trigger, a
 * NOSPACE recovery; a NOSPACE alarm in the statuses implies it when recoverNospace).
 */
export function defragPlan(statuses: MemberDbStatus[], t: Thresholds, opts: { all?: boolean; recoverNospace?: boolean } = {}): DefragPlan {
  const empty = (refusal: string): DefragPlan => ({ refusal, steps: [], skipped: [], nospace: false });
  if (statuses.length === 0) return empty("no member answers");
  const down = statuses.filter((s) => !s.ok);
  if (down.length)
    return empty(
      `${down.map((s) => `${s.name} does not answer${s.error ? ` (${s.error})` : ""}`).join("; ")}: no defragmentation while a member is down`,
    );
  const learners = statuses.filter((s) => s.isLearner);
  if (learners.length) return empty(`${learners.map((s) => s.name).join(", ")} is a learner: finish that member change first`);
  const leaders = new Set(statuses.map((s) => s.leaderId ?? ""));
  const leaderId = [...leaders][0];
  const leader = statuses.find((s) => s.id === leaderId);
  if (leaders.size !== 1 || !leaderId || leaderId === "0" || !leader) return empty("the members do not agree on one leader");
  const alarms = new Set(statuses.flatMap((s) => s.alarms ?? []));
  const other = [...alarms].filter((a) => a !== "NOSPACE");
  if (other.length) return empty(`alarm(s) ${other.join(", ")} active: resolve them first (defragmentation does not)`);
  const nospace = alarms.has("NOSPACE") && opts.recoverNospace !== false;
  const all = opts.all === true || nospace;
  const followers = statuses.filter((s) => s !== leader).sort((a, b) => a.name.localeCompare(b.name));
  const steps: DefragStep[] = [];
  const skipped: { name: string; reason: string }[] = [];
  for (const s of [...followers, leader]) {
    const step = { name: s.name, leader: s === leader, fragmentedBytes: fragmentedBytes(s), dbSize: s.dbSize ?? 0 };
    if (all || aboveThresholds(s, t)) steps.push(step);
    else skipped.push({ name: s.name, reason: `${mib(step.fragmentedBytes)} of ${mib(step.dbSize)} fragmented: below the thresholds` });
  }
  const moveLeaderTo = steps.some((s) => s.leader) && followers.length > 0 ? followers[0].name : undefined;
  return { steps, skipped, nospace, moveLeaderTo };
}

/** The plan in one line, e.g. "defragment s2, s3, then s1 (the leader, after moving leadership to s2)". */
export function describePlan(p: DefragPlan): string {
  if (p.refusal !== undefined) return `nothing is done: ${p.refusal}`;
  const head = p.nospace ? "NOSPACE alarm: compact to the current revision, " : "";
  const tail = p.nospace ? ", then disarm the alarm" : "";
  if (p.steps.length === 0) return `${head}nothing to defragment (${p.skipped.map((s) => `${s.name}: ${s.reason}`).join("; ")})${tail}`;
  const followers = p.steps.filter((s) => !s.leader).map((s) => s.name);
  const leader = p.steps.find((s) => s.leader);
  let order = followers.join(", ");
  if (leader) {
    const how = p.moveLeaderTo
      ? `the leader, after moving leadership to ${p.moveLeaderTo}`
      : "the only member: its clients wait while it runs";
    order = followers.length ? `${order}, then ${leader.name} (${how})` : `${leader.name} (${how})`;
  }
  return `${head}defragment ${order}, one at a time, each healthy before the next${tail}`;
}
