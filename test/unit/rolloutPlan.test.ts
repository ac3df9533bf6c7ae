// The rollout's plan from the versions the members report: all on one version, or mid-hop.
import { describe, expect, it } from "vitest";
import { rolloutPlan } from "../../planning/etcd/rolloutPlan";

const members = [{ name: "a" }, { name: "b" }, { name: "c" }];
const all = (v: string) => ({ a: v, b: v, c: v });
const path = (r: ReturnType<typeof rolloutPlan>) => {
  if (r.refusal !== undefined) throw new Error(r.refusal);
  return [r.plan.running, ...r.plan.hops.map((h) => h.to)].join(" → ");
};

describe("rolloutPlan", () => {
  it("plans every hop from one running version when hops are allowed", () => {
    expect(path(rolloutPlan(all("3.5.35"), "3.7.3", members, ["3.6.16"], true))).toBe("3.5.35 → 3.6.16 → 3.7.3");
    expect(path(rolloutPlan(all("3.5.21"), "3.7.3", members, ["3.5.35", "3.6.16"], true))).toBe("3.5.21 → 3.5.35 → 3.6.16 → 3.7.3");
  });
  it("refuses intermediate versions unless allowed, naming the path", () => {
    const r = rolloutPlan(all("3.5.35"), "3.7.3", members, ["3.6.16"]);
    expect(r.refusal).toMatch(/one minor at a time/);
  });
  it("plans nothing when every member runs the target", () => {
    expect(rolloutPlan(all("3.7.3"), "3.7.3", members, []).plan?.hops).toEqual([]);
  });
  it("finishes an interrupted hop on the members still on the older version, then goes on", () => {
    const r = rolloutPlan({ a: "3.6.16", b: "3.5.35", c: "3.5.35" }, "3.7.3", members, ["3.6.16"], true);
    expect(path(r)).toBe("3.5.35 → 3.6.16 → 3.7.3");
    expect(r.plan!.hops[0].order.sort()).toEqual(["b", "c"]);
    expect(r.plan!.hops[1].order.sort()).toEqual(["a", "b", "c"]);
  });
  it("refuses members more than one hop apart", () => {
    expect(rolloutPlan({ a: "3.7.3", b: "3.5.35", c: "3.5.35" }, "3.7.3", members, ["3.6.16"], true).refusal).toMatch(
      /not one interrupted hop/,
    );
    expect(rolloutPlan({ a: "3.7.3", b: "3.6.16", c: "3.5.35" }, "3.7.3", members, [], true).refusal).toMatch(/more than one hop apart/);
  });
  it("finishes an interrupted downgrade on the members still on the newer minor", () => {
    const r = rolloutPlan({ a: "3.6.16", b: "3.7.3", c: "3.7.3" }, "3.6.16", members, ["3.6.16"]);
    expect(path(r)).toBe("3.7.3 → 3.6.16");
    expect(r.plan!.hops[0]).toMatchObject({ kind: "downgrade" });
    expect(r.plan!.hops[0].order.sort()).toEqual(["b", "c"]);
  });
  it("goes back from an upgrade that never finished, then on within the older minor", () => {
    const r = rolloutPlan({ a: "3.7.3", b: "3.6.11", c: "3.6.11" }, "3.6.16", members, ["3.6.16"]);
    expect(path(r)).toBe("3.7.3 → 3.6.11 → 3.6.16");
    expect(r.plan!.hops.map((h) => [h.kind, h.order.sort()])).toEqual([
      ["downgrade", ["a"]],
      ["patch", ["a", "b", "c"]],
    ]);
  });
  it("refuses going back below the downgrade's minimum patch", () => {
    expect(rolloutPlan({ a: "3.7.3", b: "3.6.10", c: "3.6.10" }, "3.6.10", members, []).refusal).toMatch(
      /not one hop back: downgrade to 3\.6\.11/,
    );
  });
});
