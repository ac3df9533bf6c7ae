import { describe, expect, it } from "vitest";
import { caRotationPlan, caRotationPreviewLines, restartOrder, trustBundle } from "../../planning/pki/caRotationPlan";

const OLD = "old0000000000000000";
const NEW = "new0000000000000000";
const member = (name: string, trusts: string[], leafIssuer: string, isLeader = false) => ({ name, trusts, leafIssuer, isLeader });
const fresh = () => [member("m1", [OLD], OLD), member("m2", [OLD], OLD, true), member("m3", [OLD], OLD)];

describe("caRotationPlan", () => {
  it("a new CA: trust both (restart all, leader last), reissue every leaf, trust only the new (restart all)", () => {
    const plan = caRotationPlan({ currentCa: OLD, targetCa: NEW, members: fresh(), clientIssuer: OLD });
    expect(plan.steps).toEqual([
      { phase: "trust-both", trust: [OLD, NEW], restart: ["m1", "m3", "m2"], reissue: [] },
      {
        phase: "reissue",
        trust: [OLD, NEW],
        restart: [],
        reissue: ["m1/server", "m1/peer", "m2/server", "m2/peer", "m3/server", "m3/peer", "clients"],
      },
      { phase: "drop-old", trust: [NEW], restart: ["m1", "m3", "m2"], reissue: [] },
    ]);
  });

  it("nothing to do when every member trusts only the declared CA and presents its leaves", () => {
    const done = [member("m1", [NEW], NEW), member("m2", [NEW], NEW, true)];
    expect(caRotationPlan({ currentCa: NEW, targetCa: NEW, members: done, clientIssuer: NEW })).toEqual({ steps: [] });
  });

  it("an up interrupted in phase 1 restarts only the members that do not trust both yet", () => {
    const members = [member("m1", [OLD, NEW], OLD), member("m2", [OLD], OLD, true), member("m3", [OLD], OLD)];
    const plan = caRotationPlan({ currentCa: OLD, targetCa: NEW, members, clientIssuer: OLD });
    expect(plan.steps?.[0]).toEqual({ phase: "trust-both", trust: [OLD, NEW], restart: ["m3", "m2"], reissue: [] });
    expect(plan.steps?.map((s) => s.phase)).toEqual(["trust-both", "reissue", "drop-old"]);
  });

  it("interrupted in phase 2: no trust restart, the remaining leaves, then drop-old", () => {
    const members = [member("m1", [OLD, NEW], NEW), member("m2", [OLD, NEW], OLD, true)];
    const plan = caRotationPlan({ currentCa: OLD, targetCa: NEW, members, clientIssuer: NEW });
    expect(plan.steps).toEqual([
      { phase: "reissue", trust: [OLD, NEW], restart: [], reissue: ["m2/server", "m2/peer"] },
      { phase: "drop-old", trust: [NEW], restart: ["m1", "m2"], reissue: [] },
    ]);
  });

  it("interrupted in phase 3: only the members still trusting the old CA restart", () => {
    const members = [member("m1", [NEW], NEW), member("m2", [OLD, NEW], NEW, true), member("m3", [OLD, NEW], NEW)];
    expect(caRotationPlan({ currentCa: OLD, targetCa: NEW, members, clientIssuer: NEW }).steps).toEqual([
      { phase: "drop-old", trust: [NEW], restart: ["m3", "m2"], reissue: [] },
    ]);
  });

  it("refuses a member that trusts or presents a third CA, and a split that would cut peers off", () => {
    const third = [member("m1", [OLD, "x"], OLD), member("m2", [OLD], OLD)];
    expect(caRotationPlan({ currentCa: OLD, targetCa: NEW, members: third, clientIssuer: OLD }).refusal).toMatch(
      /m1 trusts or presents a CA/,
    );
    const split = [member("m1", [NEW], NEW), member("m2", [OLD], OLD)];
    expect(caRotationPlan({ currentCa: OLD, targetCa: NEW, members: split, clientIssuer: OLD }).refusal).toMatch(
      /peers would refuse each other/,
    );
  });

  it("the preview names the phases, the restart order and when old-CA clients stop working", () => {
    const plan = caRotationPlan({ currentCa: OLD, targetCa: NEW, members: fresh(), clientIssuer: OLD });
    const lines = caRotationPreviewLines("etcd", plan, (fp) => fp.slice(0, 3));
    expect(lines).toEqual([
      "CA rotation of etcd: 3 phase(s), each only once the cluster is healthy:",
      "  1. trust old + new on every member and client; restart one at a time: m1, m3, m2 (healthy before the next)",
      "  2. new leaves from the new CA, installed without a restart: m1/server, m1/peer, m2/server, m2/peer, m3/server, m3/peer, clients",
      "  3. trust only new; restart one at a time: m1, m3, m2; from here a client with an old-CA certificate is refused",
    ]);
    expect(caRotationPreviewLines("etcd", { steps: [] })).toEqual([]);
  });
});

describe("helpers", () => {
  it("restartOrder: followers in declared order, the leader last", () => {
    expect(restartOrder([member("a", [], OLD, true), member("b", [], OLD), member("c", [], OLD)])).toEqual(["b", "c", "a"]);
  });
  it("trustBundle: each CA once, trimmed, in order", () => {
    expect(trustBundle(["A\n", "B", "A"])).toBe("A\nB\n");
  });
});
