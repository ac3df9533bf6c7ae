import { describe, expect, it } from "vitest";
import { belowMinimum, minorHop } from "../../planning/etcd/upgradePath";
import { Hop, newestInstallable, planUpgrade, UpgradeRequest } from "../../planning/etcd/upgradePlan";
import { upgradePreviewLines } from "../../planning/etcd/upgradePreview";
import { compareVersions, minorOf, newestPinned } from "../../planning/etcd/versions";

const three = [{ name: "a" }, { name: "b", leader: true }, { name: "c" }];
const req = (running: string, target: string, extra: Partial<UpgradeRequest> = {}): UpgradeRequest => ({
  running,
  target,
  members: three,
  ...extra,
});
const hopsOf = (r: UpgradeRequest): Hop[] => {
  const plan = planUpgrade(r);
  if (plan.refusal !== undefined) throw new Error(`refused: ${plan.refusal}`);
  return plan.hops;
};
const refusalOf = (r: UpgradeRequest): string => {
  const plan = planUpgrade(r);
  if (plan.refusal === undefined) throw new Error(`planned ${JSON.stringify(plan.hops)}`);
  return plan.refusal;
};
const path = (hops: Hop[]) => hops.map((h) => `${h.from}→${h.to}:${h.kind}`);

/** What every plan must hold: hops chain, minor hops go one minor from their minimum, members all restart once. */
function expectSound(r: UpgradeRequest, hops: Hop[]) {
  expect(hops[0].from).toBe(r.running.replace(/^v/, ""));
  expect(hops[hops.length - 1].to).toBe(r.target.replace(/^v/, ""));
  for (let i = 1; i < hops.length; i++) expect(hops[i].from).toBe(hops[i - 1].to);
  for (const h of hops) {
    expect([...h.order].sort()).toEqual(r.members.map((m) => m.name).sort());
    if (h.leader) expect(h.order[h.order.length - 1]).toBe(h.leader);
    if (h.kind === "patch") expect(minorOf(h.from)).toBe(minorOf(h.to));
    if (h.kind === "upgrade") {
      expect(minorHop(minorOf(h.from)!)?.to).toBe(minorOf(h.to));
      expect(belowMinimum(h.from)).toBeUndefined();
    }
    if (h.kind === "downgrade") expect(minorHop(minorOf(h.to)!)?.to).toBe(minorOf(h.from));
  }
}

describe("planUpgrade: refusals that say what to do", () => {
  it.each([
    [{ members: [] }, "the cluster has no members to upgrade"],
    [{ members: [{ name: "a" }, { name: "a" }] }, 'the member name "a" is listed twice'],
    [
      {
        members: [
          { name: "a", leader: true },
          { name: "b", leader: true },
        ],
      },
      "a and b are both marked as the leader; a cluster has one",
    ],
  ])("refuses the members %j", (members, message) => {
    expect(refusalOf({ ...req("3.6.9", "3.6.14"), ...members })).toBe(message);
  });

  it("refuses a running version the package does not manage, or that is no version", () => {
    expect(refusalOf(req("3.4.30", "3.5.33"))).toBe(
      "the cluster runs etcd 3.4.30, a minor the package does not manage (3.5, 3.6, 3.7); upgrade it to one of them first",
    );
    expect(refusalOf(req("latest", "3.5.33"))).toBe('the running version "latest" is not an etcd release version');
  });

  it.each(["3.8.0", "3.5.1", "3.6"])("refuses the target %s with the version check's reason", (target) => {
    expect(refusalOf(req("3.6.9", target))).toMatch(/is not supported|known data-inconsistency bug|is not an etcd release version/);
  });

  it("refuses to skip a minor unless hops are allowed, and suggests a release to declare first", () => {
    const why = refusalOf(req("3.5.33", "3.7.3"));
    expect(why).toContain("etcd upgrades one minor at a time: 3.5.33 → 3.7.3 skips 3.6");
    expect(why).toContain(`declare a 3.6 release first (e.g. ${newestInstallable("3.6", "3.6.11")})`);
    expect(why).toContain("or allow intermediate hops");
  });

  it("refuses a minor hop from below its minimum unless hops are allowed, with the reasons", () => {
    const why = refusalOf(req("3.5.21", "3.6.16"));
    expect(why).toContain(belowMinimum("3.5.21")!);
    expect(why).toContain(`Declare ${newestInstallable("3.5", "3.5.32")} first, or allow intermediate hops`);
    expect(refusalOf(req("3.6.10", "3.7.3"))).toContain("etcd 3.6.10 is below 3.6.11");
  });
});

describe("planUpgrade: patches and single minor hops", () => {
  it("plans nothing when the cluster runs the target", () => {
    expect(planUpgrade(req("3.6.14", "v3.6.14"))).toEqual({ hops: [] });
  });

  it("restarts the followers, then the leader, on a new patch", () => {
    const [h, ...rest] = hopsOf(req("3.6.9", "3.6.14"));
    expect(rest).toEqual([]);
    expect(h).toMatchObject({ from: "3.6.9", to: "3.6.14", kind: "patch", order: ["a", "c", "b"], leader: "b", before: [] });
    expect(h.notes).toEqual([]);
  });

  it("allows an older patch of the same minor, even below a hop's minimum, and says so", () => {
    const [h] = hopsOf(req("3.5.33", "3.5.21"));
    expect(h.kind).toBe("patch");
    expect(h.notes).toEqual([expect.stringContaining("an older patch of 3.5")]);
  });

  it("keeps the declared order when the leader is not known, and warns one member about downtime", () => {
    const [h] = hopsOf({ running: "3.6.9", target: "3.6.14", members: [{ name: "x" }, { name: "y" }, { name: "z" }] });
    expect(h.order).toEqual(["x", "y", "z"]);
    expect(h.leader).toBeUndefined();
    const [solo] = hopsOf({ running: "3.6.9", target: "3.6.14", members: [{ name: "x", leader: true }] });
    expect(solo.order).toEqual(["x"]);
    expect(solo.notes).toContain("one member: etcd is unavailable while it restarts");
  });

  it.each([
    ["3.5.33", "3.6.16"],
    ["3.5.32", "3.6.0"],
    ["3.6.11", "3.7.0"],
    ["v3.6.14", "3.7.3"],
  ])("upgrades %s to %s in one hop, with the hop's checks and the way back", (running, target) => {
    const r = req(running, target);
    const hops = hopsOf(r);
    expectSound(r, hops);
    expect(path(hops)).toEqual([`${running.replace("v", "")}→${target}:upgrade`]);
    const minor = minorHop(minorOf(running)!)!;
    expect(hops[0].before).toEqual([expect.stringContaining("take a snapshot"), ...minor.checks]);
    expect(hops[0].notes[0]).toContain(minor.downgradeGuide);
  });
});

describe("planUpgrade: intermediate hops", () => {
  it("goes 3.5.21 → 3.5.35 → 3.6.16 → 3.7.3 through the patches the user lists", () => {
    const r = req("3.5.21", "3.7.3", { allowHops: true, extraVersions: ["3.5.35", "v3.6.16"] });
    const hops = hopsOf(r);
    expect(path(hops)).toEqual(["3.5.21→3.5.35:patch", "3.5.35→3.6.16:upgrade", "3.6.16→3.7.3:upgrade"]);
    expectSound(r, hops);
  });

  it("goes through the newest pinned patches when the user lists none", () => {
    const r = req("3.5.21", "3.7.3", { allowHops: true });
    const hops = hopsOf(r);
    expect(path(hops)).toEqual([
      `3.5.21→${newestPinned("3.5")}:patch`,
      `${newestPinned("3.5")}→${newestPinned("3.6")}:upgrade`,
      `${newestPinned("3.6")}→3.7.3:upgrade`,
    ]);
    expectSound(r, hops);
  });

  it("adds only the hops needed", () => {
    expect(path(hopsOf(req("3.5.33", "3.7.3", { allowHops: true })))).toEqual([
      `3.5.33→${newestPinned("3.6")}:upgrade`,
      `${newestPinned("3.6")}→3.7.3:upgrade`,
    ]);
    expect(path(hopsOf(req("3.6.5", "3.7.3", { allowHops: true })))).toEqual([
      `3.6.5→${newestPinned("3.6")}:patch`,
      `${newestPinned("3.6")}→3.7.3:upgrade`,
    ]);
  });

  it("hands leadership on: each hop's leader is the member the previous leader handed over to", () => {
    const hops = hopsOf(req("3.5.21", "3.7.3", { allowHops: true }));
    expect(hops[0].leader).toBe("b");
    for (let i = 1; i < hops.length; i++) {
      expect(hops[i].leader).toBe(hops[i - 1].order[0]);
      expect(hops[i].order[hops[i].order.length - 1]).toBe(hops[i].leader);
    }
  });
});

describe("planUpgrade: downgrades", () => {
  it("goes down one minor through etcd's downgrade API, the leader last", () => {
    const r = req("3.6.16", "3.5.35");
    const hops = hopsOf(r);
    expectSound(r, hops);
    expect(hops).toHaveLength(1);
    expect(hops[0]).toMatchObject({ kind: "downgrade", order: ["a", "c", "b"], leader: "b" });
    expect(hops[0].before).toEqual([
      "etcdctl downgrade validate 3.5",
      "etcdctl downgrade enable 3.5",
      "wait until every member reports storage version 3.5.0 (etcdctl endpoint status)",
    ]);
    expect(hops[0].notes[0]).toContain("etcdctl downgrade cancel");
    expect(path(hopsOf(req("3.7.3", "3.6.11")))).toEqual(["3.7.3→3.6.11:downgrade"]);
  });

  it("refuses two minors at once, even with hops allowed", () => {
    const why = refusalOf(req("3.7.3", "3.5.35", { allowHops: true }));
    expect(why).toBe(
      "etcd downgrades one minor at a time (`etcdctl downgrade enable` takes the next lower minor): go from 3.7.3 to a 3.6 release first, then to 3.5.35",
    );
  });

  it("refuses a target below the minimum the upgrade back needs", () => {
    expect(refusalOf(req("3.6.16", "3.5.21"))).toBe(`downgrade to 3.5.32 or later, not 3.5.21: ${belowMinimum("3.5.21")}`);
    expect(refusalOf(req("3.7.3", "3.6.10"))).toContain("downgrade to 3.6.11 or later, not 3.6.10");
  });

  it("refuses to take 3.5 down: etcd has no downgrade API before 3.6", () => {
    expect(refusalOf(req("3.5.33", "3.4.30"))).toBe(
      "etcd 3.5 has no downgrade to 3.4 (etcd's downgrade API starts with 3.6; etcd-io/etcd#15878)",
    );
  });
});

describe("newestInstallable", () => {
  it("picks the newest pinned or listed release of the minor, from the floor, ignoring what cannot be installed", () => {
    expect(newestInstallable("3.6", undefined)).toBe(newestPinned("3.6"));
    expect(newestInstallable("3.7", undefined)).toBeUndefined();
    expect(newestInstallable("3.7", undefined, ["3.7.2", "v3.7.3", "3.7", "3.6.99"])).toBe("3.7.3");
    expect(newestInstallable("3.5", "3.5.40", ["3.5.41", "3.5.39"])).toBe("3.5.41");
    expect(newestInstallable("3.5", "3.5.40")).toBeUndefined();
    const newest = newestInstallable("3.5", "3.5.32")!;
    expect(compareVersions(newest, "3.5.32")).toBeGreaterThanOrEqual(0);
  });
});

describe("upgradePreviewLines", () => {
  it("shows a refusal as one line, and nothing when there is nothing to do", () => {
    const r = req("3.5.21", "3.6.16");
    expect(upgradePreviewLines(r, planUpgrade(r))).toEqual([`etcd 3.5.21 → 3.6.16: refused: ${refusalOf(r)}`]);
    const same = req("3.6.14", "3.6.14");
    expect(upgradePreviewLines(same, planUpgrade(same))).toEqual([]);
  });

  it("shows each hop with what runs before it, the restart order and its notes", () => {
    const r = req("3.5.21", "3.7.3", { allowHops: true, extraVersions: ["3.5.35", "3.6.16"] });
    const plan = planUpgrade(r);
    const lines = upgradePreviewLines(r, plan);
    expect(lines[0]).toBe("etcd 3.5.21 → 3.7.3: 3 hops, one after the other");
    const hops = plan.hops!;
    const hopLines = lines.filter((l) => /^ {2}hop /.test(l));
    expect(hopLines).toEqual([
      "  hop 1/3: 3.5.21 → 3.5.35 (patch)",
      "  hop 2/3: 3.5.35 → 3.6.16 (upgrade 3.5 → 3.6)",
      "  hop 3/3: 3.6.16 → 3.7.3 (upgrade 3.6 → 3.7)",
    ]);
    const total = hops.reduce((n, h) => n + 2 + h.before.length + h.notes.length, 1);
    expect(lines).toHaveLength(total);
    expect(lines.filter((l) => l.startsWith("    before: "))).toEqual(hops.flatMap((h) => h.before.map((b) => `    before: ${b}`)));
    expect(lines).toContain("    restart on 3.5.35: a, c, then b (the leader, after it hands leadership to a)");
    expect(lines).toContain("    restart on 3.6.16: b, c, then a (the leader, after it hands leadership to b)");
  });

  it("names the downgrade and an unknown leader", () => {
    const r = { running: "3.6.16", target: "3.5.35", members: [{ name: "x" }, { name: "y" }] };
    const lines = upgradePreviewLines(r, planUpgrade(r));
    expect(lines[0]).toBe("etcd 3.6.16 → 3.5.35: 1 hop");
    expect(lines[1]).toBe("  hop 1/1: 3.6.16 → 3.5.35 (downgrade 3.6 → 3.5 through etcd's downgrade API)");
    expect(lines).toContain("    restart on 3.5.35: x, y, except that the member leading then goes last");
  });
});
