// planning/etcd/maintenance.ts: what a maintenance run defragments, in which order, and what it says.
import { describe, expect, it } from "vitest";
import {
  defragPlan,
  describePlan,
  maintenanceProblems,
  maintenanceSettings,
  MemberDbStatus,
  renderMaintenanceService,
  renderMaintenanceTimer,
  thresholds,
} from "../../planning/etcd/maintenance";

const MiB = 2 ** 20;
const t = thresholds({ minFragmentedMib: 10, minFragmentedRatio: 0.25 });
const member = (name: string, id: string, dbMib: number, inUseMib: number, extra: Partial<MemberDbStatus> = {}): MemberDbStatus => ({
  name,
  id,
  ok: true,
  leaderId: "1",
  dbSize: dbMib * MiB,
  dbSizeInUse: inUseMib * MiB,
  ...extra,
});

describe("defragPlan", () => {
  it("followers by name first, the leader last after leadership moves to the first follower", () => {
    const p = defragPlan([member("s1", "1", 100, 10), member("s3", "3", 100, 10), member("s2", "2", 100, 10)], t);
    expect(p.steps.map((s) => s.name)).toEqual(["s2", "s3", "s1"]);
    expect(p.steps.map((s) => s.leader)).toEqual([false, false, true]);
    expect(p.moveLeaderTo).toBe("s2");
    expect(describePlan(p)).toBe(
      "defragment s2, s3, then s1 (the leader, after moving leadership to s2), one at a time, each healthy before the next",
    );
  });

  it("only the members above both thresholds (bytes and ratio)", () => {
    const p = defragPlan(
      [
        member("s1", "1", 100, 95), // 5 MiB: below the bytes
        member("s2", "2", 1000, 980), // 20 MiB but 2%: below the ratio
        member("s3", "3", 40, 20), // 20 MiB, 50%
      ],
      t,
    );
    expect(p.steps.map((s) => s.name)).toEqual(["s3"]);
    expect(p.moveLeaderTo).toBeUndefined();
    expect(p.skipped.map((s) => s.name)).toEqual(["s2", "s1"]);
    expect(describePlan(p)).toBe("defragment s3, one at a time, each healthy before the next");
  });

  it("nothing while a member is down, a learner is there, the leaders disagree or another alarm is active", () => {
    const ok = [member("s1", "1", 100, 10), member("s2", "2", 100, 10)];
    expect(defragPlan([...ok, { name: "s3", id: "3", ok: false, error: "timeout" }], t).refusal).toBe(
      "s3 does not answer (timeout): no defragmentation while a member is down",
    );
    expect(defragPlan([...ok, member("s3", "3", 1, 1, { isLearner: true })], t).refusal).toMatch(/s3 is a learner/);
    expect(defragPlan([...ok, member("s3", "3", 1, 1, { leaderId: "3" })], t).refusal).toBe("the members do not agree on one leader");
    expect(defragPlan([...ok, member("s3", "3", 1, 1, { alarms: ["CORRUPT"] })], t).refusal).toMatch(/CORRUPT active/);
    expect(describePlan(defragPlan([], t))).toBe("nothing is done: no member answers");
  });

  it("NOSPACE: every member (thresholds ignored), compaction first and disarm last; unless recovery is off", () => {
    const ms = [member("a", "1", 16, 15, { alarms: ["NOSPACE"] }), member("b", "2", 16, 16), member("c", "3", 16, 16)];
    const p = defragPlan(ms, t);
    expect(p.nospace).toBe(true);
    expect(p.steps.map((s) => s.name)).toEqual(["b", "c", "a"]);
    expect(describePlan(p)).toBe(
      "NOSPACE alarm: compact to the current revision, defragment b, c, then a (the leader, after moving leadership to b), one at a time, each healthy before the next, then disarm the alarm",
    );
    const off = defragPlan(ms, t, { recoverNospace: false });
    expect(off.nospace).toBe(false);
    expect(off.steps).toEqual([]);
  });

  it("all: every member; a single member is defragmented in place", () => {
    expect(defragPlan([member("s1", "1", 1, 1), member("s2", "2", 1, 1)], t, { all: true }).steps.map((s) => s.name)).toEqual(["s2", "s1"]);
    const single = defragPlan([member("solo", "1", 1, 1)], t, { all: true });
    expect(describePlan(single)).toBe(
      "defragment solo (the only member: its clients wait while it runs), one at a time, each healthy before the next",
    );
  });
});

describe("settings and units", () => {
  it("thresholds in bytes and thousandths; defaults 100 MiB and 0.25", () => {
    expect(thresholds({})).toEqual({ minFragmentedBytes: 100 * MiB, minFragmentedPermille: 250 });
    expect(maintenanceSettings({ minFragmentedMib: 1, minFragmentedRatio: 0.2, recoverNospace: false }, "c", "m1")).toBe(
      "PE_CLUSTER='c'\nPE_MEMBER='m1'\nPE_MIN_FRAGMENTED_BYTES='1048576'\nPE_MIN_FRAGMENTED_PERMILLE='200'\nPE_RECOVER_NOSPACE='0'\n",
    );
  });

  it("validation", () => {
    expect(maintenanceProblems(undefined)).toEqual([]);
    expect(maintenanceProblems({ defragSchedule: "", nospaceCheckSchedule: "*:0/5" })).toEqual([]);
    expect(
      maintenanceProblems({ defragSchedule: "daily; rm -rf /", minFragmentedRatio: 2, minFragmentedMib: -1, trigger: "a\nb" }),
    ).toEqual([
      'maintenance.defragSchedule "daily; rm -rf /" is not a systemd calendar expression',
      "maintenance.minFragmentedMib must be a number of at least 0, got -1",
      "maintenance.minFragmentedRatio must be between 0 and 1, got 2",
      "maintenance.trigger must be one line",
    ]);
  });

  it("the units: one OnCalendar line, the mode in the service's environment", () => {
    expect(
      renderMaintenanceTimer("defrag", "*-*-* 03:30:00")
        .split("\n")
        .filter((l) => l.startsWith("OnCalendar=")),
    ).toEqual(["OnCalendar=*-*-* 03:30:00"]);
    expect(renderMaintenanceTimer("nospace", "*:0/5")).not.toMatch(/Persistent/);
    expect(renderMaintenanceService("nospace")).toMatch(/^Environment=PE_MODE=nospace$/m);
    expect(renderMaintenanceService("defrag")).toMatch(/^ExecStart=\/usr\/local\/lib\/pulumi-etcd\/etcd-defrag-run$/m);
    expect(() => renderMaintenanceTimer("defrag", "x\nExecStart=/bin/sh")).toThrow(/one line/);
  });
});
