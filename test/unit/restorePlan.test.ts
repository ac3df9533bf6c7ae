import { describe, expect, it } from "vitest";
import {
  DEFAULT_BUMP_REVISION,
  describeSource,
  planRestore,
  restoreProblems,
  RestoreArgs,
  RestoreSource,
  RestoreSpec,
  stageDirOf,
} from "../../planning/etcd/restorePlan";

const SHA = "0123456789abcdef".repeat(4);
const NAMES = ["m1", "m2"];
const S3 = { endpoint: "https://s3.eu-west-1.amazonaws.com", bucket: "backups", key: "prod/2024-01-01.db" };
/** Stands in for an unresolved Pulumi output. */
const OUTPUT = { __pulumiOutput: true };

const args = (over: Partial<RestoreArgs> = {}): RestoreArgs => ({ generation: 1, source: { s3: S3 }, ...over });
const s3 = (over: Partial<NonNullable<RestoreSource["s3"]>>): RestoreArgs => args({ source: { s3: { ...S3, ...over } } });
const spec = (over: Partial<RestoreSpec> = {}): RestoreSpec => ({
  clusterName: "prod",
  generation: 1,
  source: { s3: S3 },
  members: [
    { name: "m1", peerUrls: ["https://10.0.0.1:2380"], dataDir: "/var/lib/etcd" },
    { name: "m2", peerUrls: ["https://[fd00::2]:2380", "https://m2.internal:2380"], dataDir: "/data/etcd" },
  ],
  ...over,
});

describe("restoreProblems", () => {
  it("accepts each kind of source, without a sha256", () => {
    expect(restoreProblems(args(), NAMES)).toEqual([]);
    expect(restoreProblems(s3({ endpoint: "http://minio:9000", accessKeyId: "AKIA", secretAccessKey: "s3cr3t" }), NAMES)).toEqual([]);
    expect(restoreProblems(args({ source: { file: "/var/backups/prod-1.db" } }), NAMES)).toEqual([]);
    expect(restoreProblems(args({ source: { host: { member: "m2", path: "/var/lib/etcd-snapshots/s@1+x.db" } } }), NAMES)).toEqual([]);
  });

  it("accepts a sha256, skipHashCheck, a custom bump and a later generation", () => {
    expect(restoreProblems(args({ sha256: SHA, skipHashCheck: true, bumpRevision: 5, generation: 7 }), NAMES)).toEqual([]);
  });

  it("needs exactly one source", () => {
    const one = (got: string) => [`restore.source needs exactly one of s3, file or host, got ${got}`];
    expect(restoreProblems(args({ source: {} }), NAMES)).toEqual(one("none"));
    expect(restoreProblems({ generation: 1 } as RestoreArgs, NAMES)).toEqual(one("none"));
    expect(restoreProblems(args({ source: { s3: S3, file: "/x.db" } }), NAMES)).toEqual(one("s3 and file"));
    expect(restoreProblems(args({ source: { file: "/x.db", host: { member: "m1", path: "/y.db" } } }), NAMES)).toEqual(
      one("file and host"),
    );
    expect(restoreProblems(args({ source: { s3: S3, file: "/x.db", host: { member: "m1", path: "/y.db" } } }), NAMES)).toEqual(
      one("s3 and file and host"),
    );
  });

  it("needs an http(s) S3 endpoint", () => {
    for (const endpoint of ["s3.amazonaws.com", "ftp://s3.amazonaws.com", "https://", "https:///bucket", ""])
      expect(restoreProblems(s3({ endpoint }), NAMES), endpoint).toEqual(["restore.source.s3.endpoint must be an http(s) URL"]);
    expect(restoreProblems(s3({ endpoint: "http://10.0.0.9:9000" }), NAMES)).toEqual([]);
  });

  it("needs a valid bucket name", () => {
    for (const bucket of ["Backups", "ab", "-backups", "backups-", "back_ups", "a".repeat(64), ""])
      expect(restoreProblems(s3({ bucket }), NAMES), bucket).toEqual([
        `restore.source.s3.bucket ${JSON.stringify(bucket)} is not a valid bucket name`,
      ]);
    for (const bucket of ["abc", "my.bucket-1", "a".repeat(63)]) expect(restoreProblems(s3({ bucket }), NAMES), bucket).toEqual([]);
  });

  it("needs an object key of safe characters, but leaves an unresolved key alone", () => {
    const problem = ["restore.source.s3.key must be an object key (letters, digits and !_.*'()/+=-)"];
    for (const key of ["a b.db", "a?b", "snap;rm", "ключ", "", undefined])
      expect(restoreProblems(s3({ key }), NAMES), String(key)).toEqual(problem);
    expect(restoreProblems(s3({ key: "a/B_9-1.db.gz!*'()+=" }), NAMES)).toEqual([]);
    expect(restoreProblems(s3({ key: OUTPUT }), NAMES)).toEqual([]);
  });

  it("needs both S3 keys or neither", () => {
    const problem = ["restore.source.s3: give both accessKeyId and secretAccessKey, or neither (the instance role)"];
    expect(restoreProblems(s3({ accessKeyId: "AKIA" }), NAMES)).toEqual(problem);
    expect(restoreProblems(s3({ secretAccessKey: OUTPUT }), NAMES)).toEqual(problem);
    expect(restoreProblems(s3({ accessKeyId: OUTPUT, secretAccessKey: OUTPUT }), NAMES)).toEqual([]);
  });

  it("needs an absolute file path", () => {
    for (const file of ["prod.db", "./prod.db", "/tmp/a b.db", "/tmp/$(id).db", "/", ""])
      expect(restoreProblems(args({ source: { file } }), NAMES), file).toEqual([
        `restore.source.file must be an absolute path, got ${JSON.stringify(file)}`,
      ]);
  });

  it("needs the host to be a member and its path to be absolute", () => {
    expect(restoreProblems(args({ source: { host: { member: "m9", path: "/db" } } }), NAMES)).toEqual([
      'restore.source.host.member "m9" is not a member of this cluster',
    ]);
    expect(restoreProblems(args({ source: { host: { member: "m1", path: "snap/db" } } }), NAMES)).toEqual([
      'restore.source.host.path must be an absolute path, got "snap/db"',
    ]);
    expect(restoreProblems(args({ source: { host: { member: "M1", path: "" } } }), NAMES)).toEqual([
      'restore.source.host.member "M1" is not a member of this cluster',
      'restore.source.host.path must be an absolute path, got ""',
    ]);
  });

  it("needs a sha256 of 64 lowercase hex digits when one is given", () => {
    for (const sha256 of [SHA.toUpperCase(), SHA.slice(1), `${SHA}0`, "g".repeat(64), ""])
      expect(restoreProblems(args({ sha256 }), NAMES), sha256).toEqual(["restore.sha256 must be 64 lowercase hex digits"]);
  });

  it("needs an integer bumpRevision from 0 to 1e15", () => {
    for (const bumpRevision of [-1, 1.5, NaN, 1e21])
      expect(restoreProblems(args({ bumpRevision }), NAMES), String(bumpRevision)).toEqual([
        "restore.bumpRevision must be an integer from 0 (no bump) to 1000000000000000",
      ]);
  });

  it("needs a positive integer generation", () => {
    for (const generation of [0, -1, 1.5])
      expect(restoreProblems(args({ generation }), NAMES)).toEqual([`restore.generation must be a positive integer, got ${generation}`]);
  });

  it("needs at least one member", () => {
    expect(restoreProblems(args(), [])).toEqual(["a restore needs at least one member"]);
  });

  it("reports every problem at once, in order", () => {
    const bad = { generation: 0, source: { file: "x", host: { member: "m3", path: "/db" } }, sha256: "x", bumpRevision: -5 };
    expect(restoreProblems(bad, NAMES)).toEqual([
      "restore.generation must be a positive integer, got 0",
      "restore.source needs exactly one of s3, file or host, got file and host",
      'restore.source.file must be an absolute path, got "x"',
      'restore.source.host.member "m3" is not a member of this cluster',
      "restore.sha256 must be 64 lowercase hex digits",
      "restore.bumpRevision must be an integer from 0 (no bump) to 1000000000000000",
    ]);
  });
});

describe("describeSource", () => {
  it("describes each kind of source", () => {
    expect(describeSource({ s3: S3 })).toBe("s3://backups/prod/2024-01-01.db");
    expect(describeSource({ s3: { ...S3, key: OUTPUT } })).toBe("s3://backups/<key>");
    expect(describeSource({ file: "/var/backups/prod.db" })).toBe("/var/backups/prod.db (on the machine running Pulumi)");
    expect(describeSource({ host: { member: "m1", path: "/var/lib/etcd-snapshots/x.db" } })).toBe("m1:/var/lib/etcd-snapshots/x.db");
    expect(describeSource({})).toBe("(no source)");
  });
});

describe("planRestore", () => {
  it("restores every member into its staging dir, with its own name and peer URLs and one new token", () => {
    const plan = planRestore(spec(), "9f3a");
    const cluster = "m1=https://10.0.0.1:2380,m2=https://[fd00::2]:2380,m2=https://m2.internal:2380";
    expect(plan.token).toBe("prod-restore1-9f3a");
    expect(plan.initialCluster).toBe(cluster);
    expect(plan.bumpRevision).toBe(1_000_000_000);
    expect(plan.members).toEqual([
      {
        name: "m1",
        dataDir: "/var/lib/etcd",
        stageDir: "/var/lib/etcd.pe-restore",
        etcdutlArgs: [
          "--name",
          "m1",
          "--initial-cluster",
          cluster,
          "--initial-cluster-token",
          "prod-restore1-9f3a",
          "--initial-advertise-peer-urls",
          "https://10.0.0.1:2380",
          "--data-dir",
          "/var/lib/etcd.pe-restore/data",
          "--bump-revision",
          "1000000000",
          "--mark-compacted",
        ],
      },
      {
        name: "m2",
        dataDir: "/data/etcd",
        stageDir: "/data/etcd.pe-restore",
        etcdutlArgs: [
          "--name",
          "m2",
          "--initial-cluster",
          cluster,
          "--initial-cluster-token",
          "prod-restore1-9f3a",
          "--initial-advertise-peer-urls",
          "https://[fd00::2]:2380,https://m2.internal:2380",
          "--data-dir",
          "/data/etcd.pe-restore/data",
          "--bump-revision",
          "1000000000",
          "--mark-compacted",
        ],
      },
    ]);
  });

  it("stages beside the data dir", () => {
    expect(stageDirOf("/var/lib/etcd")).toBe("/var/lib/etcd.pe-restore");
    expect(DEFAULT_BUMP_REVISION).toBe(1_000_000_000);
  });

  it("makes the token from the cluster name, the generation and the nonce", () => {
    const plan = planRestore(spec({ clusterName: "staging", generation: 12 }), "c0ffee");
    expect(plan.token).toBe("staging-restore12-c0ffee");
    expect(plan.members.map((m) => m.etcdutlArgs[m.etcdutlArgs.indexOf("--initial-cluster-token") + 1])).toEqual([
      "staging-restore12-c0ffee",
      "staging-restore12-c0ffee",
    ]);
  });

  it("with bumpRevision 0 neither bumps nor marks compacted (etcdutl refuses --mark-compacted without a bump)", () => {
    const args = planRestore(spec({ bumpRevision: 0 }), "x").members[0].etcdutlArgs;
    expect(args).not.toContain("--bump-revision");
    expect(args).not.toContain("--mark-compacted");
    expect(planRestore(spec({ bumpRevision: 0 }), "x").steps[3]).toMatch(/revisions not bumped/);
  });

  it("bumps revisions by a custom amount", () => {
    const plan = planRestore(spec({ bumpRevision: 5 }), "x");
    expect(plan.bumpRevision).toBe(5);
    for (const m of plan.members) expect(m.etcdutlArgs.slice(-3)).toEqual(["--bump-revision", "5", "--mark-compacted"]);
  });

  it("passes --skip-hash-check only when skipHashCheck is set", () => {
    const skip = planRestore(spec({ skipHashCheck: true }), "x");
    for (const m of skip.members) expect(m.etcdutlArgs.slice(-2)).toEqual(["--mark-compacted", "--skip-hash-check"]);
    for (const skipHashCheck of [false, undefined])
      for (const m of planRestore(spec({ skipHashCheck }), "x").members) expect(m.etcdutlArgs).not.toContain("--skip-hash-check");
  });

  it("refuses to plan an invalid restore, naming every problem", () => {
    expect(() => planRestore(spec({ generation: 0, sha256: "nope" }), "x")).toThrow(
      "invalid restore: restore.generation must be a positive integer, got 0; restore.sha256 must be 64 lowercase hex digits",
    );
    expect(() => planRestore(spec({ source: { host: { member: "m3", path: "/db" } } }), "x")).toThrow(
      'invalid restore: restore.source.host.member "m3" is not a member of this cluster',
    );
    expect(() => planRestore(spec({ members: [] }), "x")).toThrow("invalid restore: a restore needs at least one member");
  });

  it("plans with an unresolved key", () => {
    const plan = planRestore(spec({ source: { s3: { ...S3, key: OUTPUT } } }), "x");
    expect(plan.steps[0]).toMatch(/^put s3:\/\/backups\/<key> on m1, m2; /);
  });
});

describe("the preview steps", () => {
  it("stage and verify everywhere before stopping anything, then stop, archive, move and start", () => {
    const steps = planRestore(spec({ generation: 3, bumpRevision: 5 }), "x").steps;
    expect(steps).toHaveLength(5);
    expect(steps[0]).toBe(
      "put s3://backups/prod/2024-01-01.db on m1, m2; check the sha256 in its metadata file (if any), the same sha256 on every member " +
        "and etcdutl snapshot status; restore it into a staging dir beside each data dir. Any failure stops here, with every member running as before",
    );
    expect(steps[1]).toBe("stop etcd on m1, m2");
    expect(steps[2]).toBe("archive each data dir with its config, unit and identity as <dataDir>.pre-restore3-<time>");
    expect(steps[3]).toBe(
      "move the restored data in place: a new cluster (token of generation 3), revisions bumped by 5 and marked compacted",
    );
    expect(steps[4]).toBe("start all members and wait for one healthy cluster at revision ≥ snapshot revision + 5");
  });

  it("name the source and the hash to check", () => {
    const first = (over: Partial<RestoreSpec>) => planRestore(spec(over), "x").steps[0];
    expect(first({ sha256: SHA })).toMatch(
      /^put s3:\/\/backups\/prod\/2024-01-01\.db on m1, m2; check sha256 0123456789ab…, the same sha256/,
    );
    expect(first({ source: { file: "/b/prod.db" } })).toMatch(
      /^put \/b\/prod\.db \(on the machine running Pulumi\) on m1, m2; check no expected sha256, /,
    );
    expect(first({ source: { host: { member: "m2", path: "/snap/x.db" } }, sha256: SHA })).toMatch(
      /^put m2:\/snap\/x\.db on m1, m2; check sha256 0123456789ab…, /,
    );
  });

  it("say when etcd's integrity hash is not checked", () => {
    const first = (skipHashCheck: boolean) => planRestore(spec({ skipHashCheck }), "x").steps[0];
    expect(first(true)).toContain("beside each data dir (etcd's integrity hash not checked: raw db). Any failure stops here");
    expect(first(false)).not.toContain("integrity hash not checked");
  });
});
