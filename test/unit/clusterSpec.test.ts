import { describe, expect, it } from "vitest";
import { ClusterSpec, MemberSpec, tuningProblems, validateCluster } from "../../planning/etcd/clusterSpec";
import { MANAGED_KEYS } from "../../planning/etcd/etcdConfig";
import { DEFAULT_PORTS } from "../../planning/etcd/ports";

const three: MemberSpec[] = [
  { name: "alpha", host: "10.0.0.1" },
  { name: "beta", host: "10.0.0.2" },
  { name: "gamma", host: "10.0.0.3" },
];
const good: ClusterSpec = { members: three, version: "3.6.9", ports: DEFAULT_PORTS, dataDir: "/var/lib/etcd", tuning: {} };
const hosts = (n: number): MemberSpec[] => Array.from({ length: n }, (_, i) => ({ name: `m${i}`, host: `10.0.0.${i + 1}` }));

/** The errors of the good spec with `change` applied. */
const errorsWith = (change: Partial<ClusterSpec>) => validateCluster({ ...good, ...change }).errors;

describe("validateCluster", () => {
  it("finds nothing wrong with a good 3-member spec", () => {
    expect(validateCluster(good)).toEqual({ errors: [], warnings: [] });
  });

  it("skips values that are not known yet", () => {
    expect(validateCluster({})).toEqual({ errors: [], warnings: [] });
    const unknown: MemberSpec[] = [{}, { name: "beta" }, { host: "10.0.0.3", addresses: [undefined, "fd77::c"] }];
    expect(validateCluster({ members: unknown })).toEqual({ errors: [], warnings: [] });
  });

  it("refuses an empty member list", () => {
    expect(errorsWith({ members: [] })).toEqual(["members is empty: list 1, 3 or 5 members"]);
  });

  it("refuses a name used twice, naming both members", () => {
    const members = [...three, { name: "beta", host: "10.0.0.4" }];
    expect(errorsWith({ members })).toEqual(['members[3]: the name "beta" is used twice (also members[1]); member names must be unique']);
  });

  it("refuses a bad member name", () => {
    const errors = errorsWith({ members: [three[0], { name: "Beta,1", host: "10.0.0.2" }, three[2]] });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^members\[1\]: member name "Beta,1" is not allowed/);
  });

  it("refuses two members on one host", () => {
    const errors = errorsWith({ members: [three[0], { name: "beta", host: "10.0.0.1" }, three[2]] });
    expect(errors).toEqual(["beta: address 10.0.0.1 is also used by alpha; each member needs its own host"]);
  });

  it("refuses the same IPv6 address spelled differently", () => {
    const members = [
      { name: "alpha", host: "fd77::a" },
      { name: "beta", host: "fd77::b" },
      { name: "gamma", host: "FD77:0:0::B" },
    ];
    expect(errorsWith({ members })).toEqual(["gamma: address fd77:0:0:0:0:0:0:b is also used by beta; each member needs its own host"]);
  });

  it("refuses advertised addresses that repeat another member's SSH host", () => {
    const members = [three[0], three[1], { name: "gamma", host: "192.168.1.3", addresses: ["10.0.0.9", "10.0.0.2"] }];
    expect(errorsWith({ members })).toEqual(["gamma: address 10.0.0.2 is also used by beta; each member needs its own host"]);
  });

  it("compares a member's advertised addresses, not its SSH host, when both are given", () => {
    const members = [three[0], { name: "beta", host: "10.0.0.1", addresses: ["10.1.0.2"] }, three[2]];
    expect(errorsWith({ members })).toEqual([]);
  });

  it("names an unnamed member by its index", () => {
    const members = [three[0], { host: "10.0.0.1" }, three[2]];
    expect(errorsWith({ members })).toEqual(["members[1]: address 10.0.0.1 is also used by alpha; each member needs its own host"]);
  });

  it("refuses an address that is neither an IP address nor a DNS name", () => {
    const members = [three[0], three[1], { name: "gamma", host: "10.0.0.3", addresses: ["node_3.example"] }];
    expect(errorsWith({ members })).toEqual(['gamma: address "node_3.example" is neither an IP address nor a DNS name']);
  });

  it("refuses an empty addresses list", () => {
    const members = [three[0], three[1], { name: "gamma", host: "10.0.0.3", addresses: [] }];
    expect(errorsWith({ members })).toEqual(["gamma: addresses is empty; leave it out to use the SSH host"]);
  });

  it("refuses an unsupported version", () => {
    expect(errorsWith({ version: "3.4.23" })).toEqual(["etcd 3.4.23 is not supported (supported: 3.5.3 and later 3.5.x, 3.6.x, 3.7.x)"]);
  });

  it("passes the sha256 on to the version check", () => {
    expect(errorsWith({ version: "3.6.16" })[0]).toContain("pins no checksum for etcd 3.6.16");
    expect(errorsWith({ version: "3.6.16", sha256: "ab".repeat(32) })).toEqual([]);
  });

  it("refuses bad ports", () => {
    expect(errorsWith({ ports: { client: 2379, peer: 2379, metrics: 70000 } })).toEqual([
      "ports.metrics must be an integer from 1 to 65535, got 70000",
      "ports.peer and ports.client are both 2379: each listener needs its own port",
    ]);
  });

  it.each(["var/lib/etcd", "/", "/var/lib/etcd/", "/var/lib/etcd data", "/var/lib/$(id)", ""])("refuses the dataDir %j", (dataDir) => {
    expect(errorsWith({ dataDir })).toEqual([
      `dataDir ${JSON.stringify(dataDir)} must be an absolute path of letters, digits, '.', '_', '-' and '/', not '/'`,
    ]);
  });

  it("refuses '.' and '..' segments in dataDir", () => {
    expect(errorsWith({ dataDir: "/var/lib/../etcd" })).toEqual(["dataDir must not contain '.' or '..' segments"]);
    expect(errorsWith({ dataDir: "/." })).toEqual(["dataDir must not contain '.' or '..' segments"]);
    expect(errorsWith({ dataDir: "/srv/etcd..data/x" })).toEqual([]);
  });

  it("reports tuning problems", () => {
    expect(errorsWith({ tuning: { heartbeatIntervalMs: 300 } })).toEqual([
      "tuning.electionTimeoutMs (1000) must be at least 5 × heartbeatIntervalMs (300)",
    ]);
  });

  it("warns about an even member count", () => {
    expect(validateCluster({ ...good, members: hosts(2) })).toEqual({
      errors: [],
      warnings: ["2 members: an even count tolerates no more failures than 1 members (quorum 2); prefer an odd count"],
    });
    expect(validateCluster({ ...good, members: hosts(4) }).warnings).toEqual([
      "4 members: an even count tolerates no more failures than 3 members (quorum 3); prefer an odd count",
    ]);
  });

  it("warns about more than 7 members", () => {
    expect(validateCluster({ ...good, members: hosts(7) }).warnings).toEqual([]);
    expect(validateCluster({ ...good, members: hosts(9) })).toEqual({
      errors: [],
      warnings: ["9 members: more than 7 slows every write (etcd recommends 3, 5 or 7)"],
    });
  });

  it("does not warn about a single member", () => {
    expect(validateCluster({ ...good, members: hosts(1) })).toEqual({ errors: [], warnings: [] });
  });
});

describe("tuningProblems", () => {
  it("accepts etcd's defaults and a consistent set", () => {
    expect(tuningProblems({})).toEqual([]);
    expect(
      tuningProblems({
        heartbeatIntervalMs: 200,
        electionTimeoutMs: 1000,
        quotaBackendBytes: 8 * 1024 ** 3,
        snapshotCount: 10000,
        autoCompactionMode: "periodic",
        autoCompactionRetention: "1h",
        extraFlags: { "max-request-bytes": "10485760", "experimental-initial-corrupt-check": "true" },
      }),
    ).toEqual([]);
  });

  it("requires the election timeout to be at least 5 heartbeats", () => {
    expect(tuningProblems({ heartbeatIntervalMs: 100, electionTimeoutMs: 499 })).toEqual([
      "tuning.electionTimeoutMs (499) must be at least 5 × heartbeatIntervalMs (100)",
    ]);
    expect(tuningProblems({ heartbeatIntervalMs: 100, electionTimeoutMs: 500 })).toEqual([]);
    expect(tuningProblems({ electionTimeoutMs: 400 })).toEqual([
      "tuning.electionTimeoutMs (400) must be at least 5 × heartbeatIntervalMs (100)",
    ]);
  });

  it("caps the election timeout at 50 s", () => {
    expect(tuningProblems({ electionTimeoutMs: 50001 })).toEqual(["tuning.electionTimeoutMs must be at most 50000"]);
  });

  it.each([
    ["heartbeatIntervalMs", -100, "-100"],
    ["electionTimeoutMs", 0, "0"],
    ["quotaBackendBytes", -1, "-1"],
    ["snapshotCount", 1.5, "1.5"],
  ] as const)("refuses %s = %s", (key, value, shown) => {
    expect(tuningProblems({ [key]: value })).toContain(`tuning.${key} must be a positive integer, got ${shown}`);
  });

  it("refuses an unknown autoCompactionMode", () => {
    expect(tuningProblems({ autoCompactionMode: "hourly" as "periodic" })).toEqual([
      'tuning.autoCompactionMode must be "periodic" or "revision", got "hourly"',
    ]);
  });

  it("refuses extraFlags that would loosen mutual TLS", () => {
    for (const key of ["client-cert-auth", "peer-auto-tls", "experimental-peer-skip-client-san-verification"]) {
      expect(tuningProblems({ extraFlags: { [key]: "false" } })).toEqual([
        `tuning.extraFlags: ${key} would weaken the cluster's TLS; it is not allowed`,
      ]);
    }
    expect(tuningProblems({ extraFlags: { "cipher-suites": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" } })).toEqual([]);
  });

  it("refuses extraFlags that would override a key the package sets", () => {
    expect(MANAGED_KEYS).toEqual(expect.arrayContaining(["client-transport-security", "peer-transport-security", "tls-min-version"]));
    expect(tuningProblems({ extraFlags: { "client-transport-security": "{}" } })).toEqual([
      "tuning.extraFlags: client-transport-security is set by the package; use its own input instead",
    ]);
    expect(tuningProblems({ extraFlags: { "--heartbeat-interval": "50" } })).toEqual([
      "tuning.extraFlags: heartbeat-interval is set by the package; use its own input instead",
    ]);
    for (const key of MANAGED_KEYS) expect(tuningProblems({ extraFlags: { [key]: "x" } })).toHaveLength(1);
  });

  it('asks for a flag written with "--" to be written without it', () => {
    expect(tuningProblems({ extraFlags: { "--max-txn-ops": "256" } })).toEqual(['tuning.extraFlags: write "max-txn-ops" without "--"']);
  });

  it.each(["Max-Txn-Ops", "max_txn_ops", "a: b", "x\ny", "-max-txn-ops", ""])("refuses %j as a flag name", (key) => {
    expect(tuningProblems({ extraFlags: { [key]: "1" } })).toEqual([`tuning.extraFlags: ${JSON.stringify(key)} is not an etcd flag name`]);
  });
});

describe("snapshotCatchupEntries on etcd 3.5", () => {
  const spec = (version: string, tuning: ClusterSpec["tuning"]) => ({ ...good, version, sha256: "ab".repeat(32), tuning });
  it("warns that 3.5 ignores it as written, naming the key that works", () => {
    const { errors, warnings } = validateCluster(spec("3.5.35", { snapshotCatchupEntries: 5000 }));
    expect(errors).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("no effect on etcd 3.5");
    expect(warnings[0]).toContain('tuning.extraFlags { "experimental-snapshot-catch-up-entries": "5000" }');
  });
  it("is quiet with the working key in extraFlags, on 3.6 and 3.7, and without the setting", () => {
    const extra = { snapshotCatchupEntries: 5000, extraFlags: { "experimental-snapshot-catch-up-entries": "5000" } };
    expect(validateCluster(spec("3.5.35", extra)).warnings).toEqual([]);
    for (const v of ["3.6.16", "3.7.3"]) expect(validateCluster(spec(v, { snapshotCatchupEntries: 5000 })).warnings).toEqual([]);
    expect(validateCluster(spec("3.5.35", {})).warnings).toEqual([]);
  });
});
