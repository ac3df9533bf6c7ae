import { describe, expect, it } from "vitest";
import { DEFAULT_BUMP_REVISION, planRestore, restoreProblems, RestoreSpec } from "../../planning/restorePlan";

const SHA = "a".repeat(64);
const spec = (over: Partial<RestoreSpec> = {}): RestoreSpec => ({
  clusterName: "prod",
  generation: 1,
  members: [
    { name: "m1", peerUrls: ["https://10.0.0.1:2380"], dataDir: "/var/lib/etcd" },
    { name: "m2", peerUrls: ["https://[fd00::2]:2380"], dataDir: "/var/lib/etcd" },
  ],
  snapshot: { source: "s3://backups/prod-1.db.gz", sha256: SHA, revision: 10_100 },
  ...over,
});

describe("restoreProblems", () => {
  it("accepts a snapshot with its sha256", () => {
    expect(restoreProblems(spec())).toEqual([]);
  });

  it("refuses a snapshot without a hash unless skipHashCheck is set", () => {
    const raw = spec({ snapshot: { source: "m1:/var/lib/etcd/member/snap/db" } });
    expect(restoreProblems(raw)).toEqual([
      "the snapshot's sha256 is unknown: give it (it is in the snapshot's metadata file), or set skipHashCheck for a raw db file you trust",
    ]);
    expect(restoreProblems({ ...raw, skipHashCheck: true })).toEqual([]);
  });

  it("refuses a bad generation, a bad sha256 and a negative bump", () => {
    expect(restoreProblems(spec({ generation: 0 }))).toEqual(["restore.generation must be a positive integer, got 0"]);
    expect(restoreProblems(spec({ snapshot: { source: "x", sha256: "ABC" } }))).toEqual(["restore.sha256 must be 64 lowercase hex digits"]);
    expect(restoreProblems(spec({ bumpRevision: -1 }))).toEqual(["restore.bumpRevision must be a non-negative integer"]);
  });
});

describe("planRestore", () => {
  it("restores every member from the same snapshot with its own name and peer URL and one new token", () => {
    const plan = planRestore(spec(), "9f3a");
    expect(plan.token).toBe("prod-restore1-9f3a");
    expect(plan.initialCluster).toBe("m1=https://10.0.0.1:2380,m2=https://[fd00::2]:2380");
    expect(plan.members.map((m) => m.etcdutlArgs)).toEqual([
      [
        "--name",
        "m1",
        "--initial-cluster",
        plan.initialCluster,
        "--initial-cluster-token",
        "prod-restore1-9f3a",
        "--initial-advertise-peer-urls",
        "https://10.0.0.1:2380",
        "--data-dir",
        "/var/lib/etcd",
        "--bump-revision",
        "1000000000",
        "--mark-compacted",
      ],
      [
        "--name",
        "m2",
        "--initial-cluster",
        plan.initialCluster,
        "--initial-cluster-token",
        "prod-restore1-9f3a",
        "--initial-advertise-peer-urls",
        "https://[fd00::2]:2380",
        "--data-dir",
        "/var/lib/etcd",
        "--bump-revision",
        "1000000000",
        "--mark-compacted",
      ],
    ]);
  });

  it("a new generation gets a new token; the expected revision includes the bump", () => {
    expect(planRestore(spec({ generation: 2 }), "9f3a").token).toBe("prod-restore2-9f3a");
    expect(planRestore(spec(), "x").minRevision).toBe(10_100 + DEFAULT_BUMP_REVISION);
    expect(planRestore(spec({ bumpRevision: 5 }), "x").minRevision).toBe(10_105);
  });

  it("passes --skip-hash-check only when asked, and says so in the plan", () => {
    const plan = planRestore(spec({ snapshot: { source: "m1:/db" }, skipHashCheck: true }), "x");
    expect(plan.members[0].etcdutlArgs.at(-1)).toBe("--skip-hash-check");
    expect(plan.steps[0]).toMatch(/hash check skipped: raw db/);
  });

  it("describes the steps in etcd's order: verify everywhere before stopping anything", () => {
    const steps = planRestore(spec(), "x").steps;
    expect(steps[0]).toMatch(/^copy s3:\/\/backups\/prod-1\.db\.gz to m1, m2 and check the same sha256 .* before anything is stopped$/);
    expect(steps.slice(1).map((s) => s.split(" ")[0])).toEqual(["stop", "archive", "etcdutl", "start"]);
  });

  it("refuses to plan an invalid restore", () => {
    expect(() => planRestore(spec({ generation: -1 }), "x")).toThrow(/invalid restore: restore.generation must be a positive integer/);
  });
});
