import { describe, expect, it } from "vitest";
import { LiveMember, MemberProbe } from "../../planning/etcd/liveCluster";
import { ExpectedMember, judgeHealth, liveVoters } from "../../planning/etcd/health";
import { pollDelayMs } from "../../provider/etcd/healthWait";

const CLUSTER = "c1";
const expected: ExpectedMember[] = ["a", "b", "c"].map((n, i) => ({
  name: n,
  endpoint: `https://10.0.0.${i + 1}:2379`,
  peerUrls: [`https://10.0.0.${i + 1}:2380`],
}));
const probe = (i: number, extra: Partial<MemberProbe> = {}): MemberProbe => ({
  endpoint: expected[i].endpoint,
  ok: true,
  memberId: `id-${expected[i].name}`,
  clusterId: CLUSTER,
  leaderId: "id-a",
  isLearner: false,
  ...extra,
});
const live = (i: number, extra: Partial<LiveMember> = {}): LiveMember => ({
  id: `id-${expected[i].name}`,
  name: expected[i].name,
  peerUrls: expected[i].peerUrls,
  clientUrls: [expected[i].endpoint],
  isLearner: false,
  ...extra,
});
const probes = [probe(0), probe(1), probe(2)];
const members = [live(0), live(1), live(2)];

describe("judgeHealth", () => {
  it("finds a 3-member cluster with one leader healthy", () => {
    expect(judgeHealth(expected, probes, members)).toEqual({ healthy: true, problems: [], suspects: [], leader: "a", clusterId: CLUSTER });
  });

  it("suspects a member that does not answer", () => {
    const v = judgeHealth(
      expected,
      [probe(0), { endpoint: expected[1].endpoint, ok: false, error: "connect ECONNREFUSED" }, probe(2)],
      members,
    );
    expect(v.healthy).toBe(false);
    expect(v.problems).toEqual(["b (https://10.0.0.2:2379) does not answer: connect ECONNREFUSED"]);
    expect(v.suspects).toEqual(["b"]);
    expect(v.leader).toBe("a");
  });

  it("suspects a member that was not probed", () => {
    const v = judgeHealth(expected, [probe(0), probe(1)], members);
    expect(v.problems).toEqual(["c (https://10.0.0.3:2379) does not answer: not probed"]);
    expect(v.suspects).toEqual(["c"]);
  });

  it("reports members that disagree about the leader", () => {
    const v = judgeHealth(expected, [probe(0), probe(1), probe(2, { leaderId: "id-c" })], members);
    expect(v.healthy).toBe(false);
    expect(v.problems).toContain("members disagree about the leader (id-a, id-c)");
    expect(v.leader).toBeUndefined();
  });

  it('reports no leader when members report leader "0"', () => {
    const v = judgeHealth(expected, [probe(0, { leaderId: "0" }), probe(1, { leaderId: "0" }), probe(2, { leaderId: "0" })], members);
    expect(v.healthy).toBe(false);
    expect(v.problems).toEqual(["the cluster has no leader"]);
    expect(v.leader).toBeUndefined();
    expect(v.suspects).toEqual([]);
  });

  it("reports a leader that is none of the declared members", () => {
    const v = judgeHealth(
      expected,
      [probe(0, { leaderId: "id-x" }), probe(1, { leaderId: "id-x" }), probe(2, { leaderId: "id-x" })],
      members,
    );
    expect(v.problems).toEqual(["expected exactly one leader among the members, found 0"]);
  });

  it("reports a member in the cluster that is not declared", () => {
    const extra: LiveMember = { id: "id-x", name: "x", peerUrls: ["https://10.0.0.9:2380"], clientUrls: [], isLearner: false };
    const v = judgeHealth(expected, probes, [...members, extra]);
    expect(v.healthy).toBe(false);
    expect(v.problems).toEqual(["member x (https://10.0.0.9:2380) is in the cluster but not declared"]);
  });

  it("names an undeclared member that has not started by its ID", () => {
    const added: LiveMember = { id: "8e9e05c52164694d", name: "", peerUrls: ["https://10.0.0.9:2380"], clientUrls: [], isLearner: false };
    const v = judgeHealth(expected, probes, [...members, added]);
    expect(v.problems).toEqual(["member 8e9e05c52164694d (https://10.0.0.9:2380) is in the cluster but not declared"]);
  });

  it("reports a declared member missing from the member list", () => {
    const v = judgeHealth(expected, probes, [live(0), live(1)]);
    expect(v.healthy).toBe(false);
    expect(v.problems).toEqual(["c is not in the member list (not started or not joined yet)"]);
  });

  it("reports a member whose peer URLs differ from the declared ones", () => {
    const v = judgeHealth(expected, probes, [live(0), live(1, { peerUrls: ["https://10.9.0.2:2380"] }), live(2)]);
    expect(v.problems).toEqual(["b has peer URLs https://10.9.0.2:2380, declared https://10.0.0.2:2380"]);
  });

  it("reports a learner, and suspects it when it says so itself", () => {
    const v = judgeHealth(expected, [probe(0), probe(1), probe(2, { isLearner: true })], [live(0), live(1), live(2, { isLearner: true })]);
    expect(v.healthy).toBe(false);
    expect(v.problems).toEqual(["c is still a learner", "c is a learner"]);
    expect(v.suspects).toEqual(["c"]);
  });

  it("reports members of different clusters", () => {
    const v = judgeHealth(expected, [probe(0), probe(1), probe(2, { clusterId: "c2" })], members);
    expect(v.healthy).toBe(false);
    expect(v.problems).toEqual(["members report different cluster IDs: c1, c2"]);
    expect(v.clusterId).toBe(CLUSTER);
  });

  it("reports a member list that cannot be read, by its first line", () => {
    const v = judgeHealth(expected, probes, new Error("14 UNAVAILABLE: no connection\nat Call.onReceiveStatus"));
    expect(v.healthy).toBe(false);
    expect(v.problems).toEqual(["cannot list members: 14 UNAVAILABLE: no connection"]);
    expect(v.leader).toBeUndefined();
  });

  it("suspects every member and says nothing about the leader when none answers", () => {
    const down = expected.map((m) => ({ endpoint: m.endpoint, ok: false, error: "timeout" }));
    const v = judgeHealth(expected, down, new Error("timeout"));
    expect(v.suspects).toEqual(["a", "b", "c"]);
    expect(v.problems).toEqual([
      "a (https://10.0.0.1:2379) does not answer: timeout",
      "b (https://10.0.0.2:2379) does not answer: timeout",
      "c (https://10.0.0.3:2379) does not answer: timeout",
      "cannot list members: timeout",
    ]);
    expect(v.clusterId).toBeUndefined();
  });
});

// After one membership change the health wait expects the voters the cluster lists (the declared
// set may still be changing): the same rules, learners not counted.
describe("liveVoters: what a membership change waits for", () => {
  it("expects every listed voter; a learner (the next join's, or a stray one) is not counted", () => {
    const learner = live(2, { id: "id-d", name: "d", peerUrls: ["https://10.0.0.4:2380"], clientUrls: [], isLearner: true });
    const { expected: voters, members: listed } = liveVoters([...members, learner]);
    expect(voters).toEqual(expected);
    expect(judgeHealth(voters, probes, listed)).toMatchObject({ healthy: true, leader: "a", clusterId: CLUSTER });
  });

  it("a voter that does not answer, or a removed one that still does, keeps it waiting", () => {
    const { expected: voters, members: listed } = liveVoters(members.slice(0, 2));
    expect(judgeHealth(voters, [probe(0), { endpoint: voters[1].endpoint, ok: false, error: "timeout" }], listed)).toMatchObject({
      healthy: false,
      problems: ["b (https://10.0.0.2:2379) does not answer: timeout"],
      suspects: ["b"],
    });
    expect(judgeHealth(voters, [probe(0), probe(1, { leaderId: "id-c" })], listed).problems).toEqual([
      "members disagree about the leader (id-a, id-c)",
    ]);
  });

  it("a member added but never started goes by its ID and is not healthy", () => {
    const unstarted = live(2, { name: "", clientUrls: [] });
    const { expected: voters, members: listed } = liveVoters([members[0], members[1], unstarted]);
    expect(voters.map((v) => [v.name, v.endpoint])).toEqual([
      ["a", "https://10.0.0.1:2379"],
      ["b", "https://10.0.0.2:2379"],
      ["id-c", ""],
    ]);
    const v = judgeHealth(voters, [probe(0), probe(1), { endpoint: "", ok: false, error: "it has no client URL (not started)" }], listed);
    expect(v.healthy).toBe(false);
    expect(v.problems).toEqual(["id-c () does not answer: it has no client URL (not started)"]);
  });
});

describe("the health wait's pace", () => {
  it("checks again after 0.1, 0.2, 0.4 and 0.8 s, then every second", () => {
    expect([0, 1, 2, 3, 4, 5, 30].map(pollDelayMs)).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });
});
