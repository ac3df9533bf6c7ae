import { describe, expect, it } from "vitest";
import { entryMode, joinInitialCluster, judgeRemoval, quorum, VoterState } from "../../planning/etcd/membershipPlan";

const m = (id: string, healthy = true, extra: Partial<VoterState> = {}): VoterState => ({
  id,
  name: `m${id}`,
  peerUrls: [`https://10.0.0.${id}:2380`],
  isLearner: false,
  healthy,
  ...extra,
});

describe("quorum", () => {
  it("is a majority", () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(quorum)).toEqual([1, 2, 2, 3, 3, 4, 4]);
  });
});

describe("judgeRemoval", () => {
  it("allows removing a healthy member of a healthy 3-member cluster", () => {
    expect(judgeRemoval([m("1"), m("2"), m("3")], "3")).toEqual({ ok: true });
  });

  it("allows removing the dead member of a 3-member cluster (2 healthy of 2 left)", () => {
    expect(judgeRemoval([m("1"), m("2"), m("3", false)], "3")).toEqual({ ok: true });
  });

  it("refuses removing a healthy member while another is dead, naming the dead one", () => {
    const v = judgeRemoval([m("1"), m("2"), m("3", false)], "2");
    expect(v.ok).toBe(false);
    expect(v.reason).toBe(
      "removing m2 would leave 1 healthy voter(s) of 2, below the quorum of 2 (m3 not healthy): remove or replace the unhealthy member(s) first",
    );
  });

  it("refuses 2 → 1 unless allowUnsafeScaleDown", () => {
    expect(judgeRemoval([m("1"), m("2")], "2").reason).toMatch(/leaves 1 voter, which tolerates no failure; set allowUnsafeScaleDown/);
    expect(judgeRemoval([m("1"), m("2")], "2", true)).toEqual({ ok: true });
  });

  it("refuses removing the last voter", () => {
    expect(judgeRemoval([m("1")], "1", true).reason).toMatch(/m1 is the last voter/);
  });

  it("refuses any change without quorum", () => {
    expect(judgeRemoval([m("1"), m("2", false), m("3", false)], "3").reason).toMatch(/no quorum \(1 of 3 voters healthy, 2 needed\)/);
  });

  it("a learner can always go, and a member not in the list is already gone", () => {
    expect(judgeRemoval([m("1"), m("9", false, { isLearner: true })], "9")).toEqual({ ok: true });
    expect(judgeRemoval([m("1"), m("2"), m("3")], "42")).toEqual({ ok: true, alreadyGone: true });
  });

  it("5 → 4 with one dead member is allowed; with two dead, removing a healthy one is not", () => {
    const five = [m("1"), m("2"), m("3"), m("4"), m("5", false)];
    expect(judgeRemoval(five, "4")).toEqual({ ok: true });
    const twoDead = [m("1"), m("2"), m("3"), m("4", false), m("5", false)];
    expect(judgeRemoval(twoDead, "3").ok).toBe(false);
    expect(judgeRemoval(twoDead, "5")).toEqual({ ok: true });
  });
});

describe("entryMode", () => {
  const self = { name: "m4", peerUrls: ["https://10.0.0.4:2380"] };
  it("bootstraps only a fresh cluster's initial member", () => {
    expect(entryMode({ ...self, live: undefined, bootstrapping: true })).toEqual({ kind: "bootstrap" });
    expect(entryMode({ ...self, live: undefined, bootstrapping: false }).kind).toBe("refuse");
  });

  it("joins when its peer URL is unknown to the cluster", () => {
    expect(entryMode({ ...self, live: [m("1"), m("2"), m("3")], bootstrapping: false })).toEqual({ kind: "join" });
  });

  it("resumes an interrupted join: a learner or an unstarted member with its peer URL", () => {
    const learner = m("4", true, { isLearner: true, name: "m4" });
    expect(entryMode({ ...self, live: [m("1"), learner], bootstrapping: false })).toEqual({
      kind: "resume",
      memberId: "4",
      isLearner: true,
    });
    const unstarted = m("4", false, { name: "" });
    expect(entryMode({ ...self, live: [m("1"), unstarted], bootstrapping: false })).toEqual({
      kind: "resume",
      memberId: "4",
      isLearner: false,
    });
  });

  it("adopts a started voter with its name and peer URL", () => {
    expect(entryMode({ ...self, live: [m("1"), m("4")], bootstrapping: false })).toEqual({ kind: "adopt", memberId: "4" });
  });

  it("refuses a peer URL that another member holds", () => {
    const other = m("7", true, { name: "m7", peerUrls: self.peerUrls });
    expect(entryMode({ ...self, live: [m("1"), other], bootstrapping: false })).toEqual({
      kind: "refuse",
      reason: "peer URL https://10.0.0.4:2380 already belongs to member m7 (7); give m4 another address",
    });
  });
});

describe("joinInitialCluster", () => {
  it("lists every current member and the joiner", () => {
    expect(joinInitialCluster([m("1"), m("2")], { name: "m4", peerUrls: ["https://10.0.0.4:2380"] })).toBe(
      "m1=https://10.0.0.1:2380,m2=https://10.0.0.2:2380,m4=https://10.0.0.4:2380",
    );
  });

  it("names the joiner even when the member list has it unnamed (just added)", () => {
    const added = m("4", false, { name: "" });
    expect(joinInitialCluster([m("1"), added], { name: "m4", peerUrls: ["https://10.0.0.4:2380"] })).toBe(
      "m1=https://10.0.0.1:2380,m4=https://10.0.0.4:2380",
    );
  });

  it("refuses while another added member has not started (one change at a time)", () => {
    const pending = m("5", false, { name: "" });
    expect(() => joinInitialCluster([m("1"), pending], { name: "m4", peerUrls: ["https://10.0.0.4:2380"] })).toThrow(
      /was added but never started/,
    );
  });
});
