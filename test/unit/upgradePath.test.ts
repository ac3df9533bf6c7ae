import { describe, expect, it } from "vitest";
import { belowMinimum, MINOR_HOPS, minorHop } from "../../planning/etcd/upgradePath";
import { compareVersions, minorOf, newestPinned, supportProblem } from "../../planning/etcd/versions";

describe("MINOR_HOPS", () => {
  it("holds the minimums etcd's upgrade guides name", () => {
    // https://etcd.io/docs/v3.6/upgrades/upgrade_3_6/ and https://etcd.io/docs/v3.7/upgrades/upgrade_3_7/
    expect(minorHop("3.5")?.minimumPatch).toBe("3.5.32");
    expect(minorHop("3.6")?.minimumPatch).toBe("3.6.11");
    expect(minorHop("3.7")).toBeUndefined();
  });

  it.each(MINOR_HOPS.map((h) => [`${h.from} → ${h.to}`, h] as const))(
    "%s: one minor, the minimum a supported patch of it, its reasons in order",
    (_, hop) => {
      const [major, minor] = hop.from.split(".").map(Number);
      expect(hop.to).toBe(`${major}.${minor + 1}`);
      expect(minorOf(hop.minimumPatch)).toBe(hop.from);
      expect(supportProblem(hop.minimumPatch)).toBeUndefined();
      expect(hop.reasons.length).toBeGreaterThan(0);
      expect(hop.reasons[hop.reasons.length - 1].patch).toBe(hop.minimumPatch);
      for (let i = 1; i < hop.reasons.length; i++) expect(compareVersions(hop.reasons[i - 1].patch, hop.reasons[i].patch)).toBeLessThan(0);
      for (const r of hop.reasons) {
        expect(minorOf(r.patch)).toBe(hop.from);
        expect(r.links.length).toBeGreaterThan(0);
        for (const l of r.links) expect(l).toMatch(/^([\w.-]+\/[\w.-]+#\d+|https:\/\/\S+)$/);
      }
      expect(hop.guide).toMatch(new RegExp(`^https://etcd\\.io/docs/v${hop.to.replace(".", "\\.")}/upgrades/`));
      expect(hop.downgradeGuide).toBe(`https://etcd.io/docs/v${hop.to}/downgrades/downgrade_${hop.to.replace(".", "_")}/`);
    },
  );

  it.each(MINOR_HOPS.map((h) => [h.from, h] as const))("a pinned %s release meets the minimum, so the hop needs no sha256", (_, hop) => {
    expect(compareVersions(newestPinned(hop.from)!, hop.minimumPatch)).toBeGreaterThanOrEqual(0);
  });
});

describe("belowMinimum", () => {
  it("names every raise of the minimum the running version misses, and nothing older", () => {
    const why = belowMinimum("3.5.21")!;
    expect(why).toMatch(/^etcd 3\.5\.21 is below 3\.5\.32, the oldest 3\.5 patch etcd supports upgrading to 3\.6 from/);
    expect(why).toContain("https://etcd.io/docs/v3.6/upgrades/upgrade_3_6/");
    for (const r of minorHop("3.5")!.reasons) {
      if (compareVersions("3.5.21", r.patch) < 0) expect(why).toContain(`${r.patch}: ${r.why}`);
      else expect(why).not.toContain(`${r.patch}: `);
    }
    expect(why).toContain("etcd-io/etcd#20967");
    expect(why).not.toContain("etcd-io/etcd#19557");
  });
  it("gives the 3.6 → 3.7 reason", () => {
    expect(belowMinimum("3.6.9")).toContain("etcd 3.6.9 is below 3.6.11");
    expect(belowMinimum("3.6.9")).toContain("etcd-io/website#1165");
  });
  it.each(["3.5.32", "3.5.35", "3.6.11", "3.6.16", "3.7.0", "3.7.3"])("lets %s go on", (v) => {
    expect(belowMinimum(v)).toBeUndefined();
  });
});
