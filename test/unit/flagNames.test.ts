import { describe, expect, it } from "vitest";
import { validateCluster } from "../../planning/etcd/clusterSpec";
import { renderConfig } from "../../planning/etcd/etcdConfig";
import {
  extraFlagEntries,
  extraFlagFindings,
  FEATURE_GATES,
  GATED_FLAGS,
  GRADUATED_FLAGS,
  readsExperimentalKeys,
} from "../../planning/etcd/flagNames";
import { DEFAULT_PORTS } from "../../planning/etcd/ports";

// The flags etcd's 3.7 upgrade guide lists as removed (https://etcd.io/docs/v3.7/upgrades/upgrade_3_7/).
const REMOVED_IN_37 = [
  "bootstrap-defrag-threshold-megabytes",
  "compact-hash-check-enabled",
  "compact-hash-check-time",
  "compaction-batch-limit",
  "compaction-sleep-interval",
  "corrupt-check-time",
  "distributed-tracing-address",
  "distributed-tracing-instance-id",
  "distributed-tracing-sampling-rate",
  "distributed-tracing-service-name",
  "downgrade-check-time",
  "enable-distributed-tracing",
  "enable-lease-checkpoint",
  "enable-lease-checkpoint-persist",
  "initial-corrupt-check",
  "memory-mlock",
  "peer-skip-client-san-verification",
  "snapshot-catchup-entries",
  "stop-grpc-service-on-defrag",
  "txn-mode-write-with-shared-buffer",
  "warning-apply-duration",
  "warning-unary-request-duration",
  "watch-progress-notify-interval",
].map((f) => `experimental-${f}`);

// The top-level keys etcd v3.7.1 reads from its config file that 3.6 graduated (json tags of
// server/embed/config.go), and the one 3.7 keeps in peer-transport-security instead.
const KEYS_37 = new Set([
  "bootstrap-defrag-threshold-megabytes",
  "compact-hash-check-time",
  "compaction-batch-limit",
  "compaction-sleep-interval",
  "corrupt-check-time",
  "distributed-tracing-address",
  "distributed-tracing-instance-id",
  "distributed-tracing-sampling-rate",
  "distributed-tracing-service-name",
  "downgrade-check-time",
  "enable-distributed-tracing",
  "memory-mlock",
  "snapshot-catchup-entries",
  "warning-apply-duration",
  "warning-unary-request-duration",
  "watch-progress-notify-interval",
  "feature-gates",
]);

const mixed = {
  "max-txn-ops": "512",
  "experimental-compaction-batch-limit": "1000",
  "experimental-initial-corrupt-check": "true",
  "experimental-txn-mode-write-with-shared-buffer": "false",
  "feature-gates": "StopGRPCServiceOnDefrag=true",
  "auth-token": "simple",
};

describe("the flag tables", () => {
  it("cover exactly the experimental flags etcd 3.7 removed (plus the 3.5/3.6 config-file alias)", () => {
    const covered = [...Object.keys(GRADUATED_FLAGS), ...Object.keys(GATED_FLAGS)].filter(
      (k) => k !== "experimental-snapshot-catch-up-entries",
    );
    expect(new Set(covered)).toEqual(new Set(REMOVED_IN_37));
    expect(covered).toHaveLength(REMOVED_IN_37.length);
  });
  it("replace each with a key etcd 3.7 reads, or a gate both 3.6 and 3.7 know", () => {
    for (const [old, name] of Object.entries(GRADUATED_FLAGS)) {
      if (name === "peer-skip-client-san-verification") continue; // refused by the package (it weakens TLS)
      expect(KEYS_37.has(name), old).toBe(true);
    }
    for (const gate of Object.values(GATED_FLAGS)) {
      expect(FEATURE_GATES["3.6"]).toContain(gate);
      expect(FEATURE_GATES["3.7"]).toContain(gate);
    }
  });
  it("have 3.7 read no experimental key from 3.7.0 on", () => {
    expect(readsExperimentalKeys("3.6.16")).toBe(true);
    expect(readsExperimentalKeys("3.5.35")).toBe(true);
    expect(readsExperimentalKeys("3.7.0")).toBe(false);
    expect(readsExperimentalKeys("3.7.3")).toBe(false);
  });
});

describe("extraFlagEntries", () => {
  it.each(["3.5.35", "3.6.0", "3.6.16"])("gives a %s member the flags as written, sorted", (v) => {
    const entries = extraFlagEntries(v, mixed);
    expect(entries).toEqual(Object.entries(mixed).sort(([a], [b]) => a.localeCompare(b)));
  });

  it("gives a 3.7 member no experimental key: renamed flags under their 3.6 names, booleans as gates", () => {
    const entries = extraFlagEntries("3.7.3", mixed);
    expect(entries.map(([k]) => k).filter((k) => k.startsWith("experimental-"))).toEqual([]);
    expect(Object.fromEntries(entries)).toEqual({
      "auth-token": "simple",
      "compaction-batch-limit": "1000",
      "feature-gates": "InitialCorruptCheck=true,StopGRPCServiceOnDefrag=true,TxnModeWriteWithSharedBuffer=false",
      "max-txn-ops": "512",
    });
    expect(entries.map(([k]) => k)).toEqual([...entries.map(([k]) => k)].sort((a, b) => a.localeCompare(b)));
  });

  it("translates every experimental flag for 3.7 and keeps its value", () => {
    // One name per setting (the alias and its flag together are refused by extraFlagFindings).
    const names = [...REMOVED_IN_37];
    const all = Object.fromEntries(names.map((k, i) => [k, i % 2 ? "true" : "false"]));
    const entries = Object.fromEntries(extraFlagEntries("3.7.0", all));
    expect(Object.keys(entries)).toHaveLength(Object.keys(all).length - Object.keys(GATED_FLAGS).length + 1);
    for (const old of names.filter((k) => GRADUATED_FLAGS[k])) expect(entries[GRADUATED_FLAGS[old]], old).toBe(all[old]);
    const gates = entries["feature-gates"].split(",");
    for (const [old, gate] of Object.entries(GATED_FLAGS)) expect(gates).toContain(`${gate}=${all[old]}`);
    expect(gates).toHaveLength(Object.keys(GATED_FLAGS).length);
    expect(Object.keys(entries).some((k) => k.startsWith("experimental-"))).toBe(false);
  });

  it("leaves a 3.7 member's flags alone when none is experimental", () => {
    const plain = { "max-txn-ops": "512", "feature-gates": "FastLeaseKeepAlive=false" };
    expect(extraFlagEntries("3.7.3", plain)).toEqual(extraFlagEntries("3.6.16", plain));
  });
});

describe("extraFlagFindings", () => {
  it("warns a 3.5 cluster about names etcd 3.5 ignores, and names the one it reads", () => {
    const f = extraFlagFindings("3.5.35", {
      "compaction-batch-limit": "1000",
      "feature-gates": "InitialCorruptCheck=true",
      "max-txn-ops": "1",
    });
    expect(f.errors).toEqual([]);
    expect(f.warnings).toHaveLength(2);
    expect(f.warnings[0]).toContain("etcd 3.5 does not know compaction-batch-limit");
    expect(f.warnings[0]).toContain("write experimental-compaction-batch-limit");
    expect(f.warnings[1]).toContain("etcd 3.5 has no feature gates");
    expect(extraFlagFindings("3.5.35", { "warning-unary-request-duration": "1" }).warnings).toEqual([]);
    expect(extraFlagFindings("3.5.35", { "experimental-compaction-batch-limit": "1" })).toEqual({ errors: [], warnings: [] });
  });

  it("warns a 3.6 cluster that its experimental flags go away in 3.7, without refusing them", () => {
    const f = extraFlagFindings("3.6.16", { "experimental-compaction-batch-limit": "1000", "experimental-initial-corrupt-check": "true" });
    expect(f.errors).toEqual([]);
    expect(f.warnings).toEqual([
      expect.stringContaining(
        "experimental-compaction-batch-limit is deprecated since etcd 3.6 and gone in 3.7; write compaction-batch-limit",
      ),
      expect.stringContaining(
        "experimental-initial-corrupt-check is deprecated since etcd 3.6 and gone in 3.7; write feature-gates: InitialCorruptCheck=…",
      ),
    ]);
  });

  it("refuses on 3.7 an experimental flag with no replacement, and only warns on 3.6", () => {
    expect(extraFlagFindings("3.7.3", { "experimental-enable-v2v3": "true" }).errors).toEqual([
      "tuning.extraFlags: etcd 3.7 has no experimental-enable-v2v3 and no replacement for it; remove it",
    ]);
    const f36 = extraFlagFindings("3.6.16", { "experimental-enable-v2v3": "true" });
    expect(f36.errors).toEqual([]);
    expect(f36.warnings).toEqual(["tuning.extraFlags: etcd 3.6 has no experimental-enable-v2v3 (its config file ignores it)"]);
  });

  it.each(["3.6.16", "3.7.3"])("refuses on %s one setting given twice, as etcd 3.6 does", (v) => {
    const both = extraFlagFindings(v, { "experimental-compaction-batch-limit": "1", "compaction-batch-limit": "2" });
    expect(both.errors).toEqual([
      expect.stringContaining("compaction-batch-limit sets compaction-batch-limit, as does experimental-compaction-batch-limit"),
    ]);
    const gate = extraFlagFindings(v, { "experimental-initial-corrupt-check": "true", "feature-gates": "InitialCorruptCheck=false" });
    expect(gate.errors).toEqual([expect.stringContaining("both set InitialCorruptCheck")]);
    const typed = extraFlagFindings(v, { "experimental-snapshot-catch-up-entries": "9" }, ["snapshot-catchup-entries"]);
    expect(typed.errors).toEqual([expect.stringContaining("sets snapshot-catchup-entries, as does the package")]);
    expect(extraFlagFindings(v, { "experimental-snapshot-catch-up-entries": "9" }).errors).toEqual([]);
  });

  it("refuses boolean values etcd cannot parse, and warns about gates the minor does not know", () => {
    expect(extraFlagFindings("3.6.16", { "experimental-initial-corrupt-check": "yes" }).errors).toEqual([
      'tuning.extraFlags: experimental-initial-corrupt-check must be true or false, got "yes"',
    ]);
    expect(extraFlagFindings("3.7.3", { "feature-gates": "CompactHashCheck=on" }).errors).toEqual([
      'tuning.extraFlags: feature gate CompactHashCheck must be true or false, got "on"',
    ]);
    expect(extraFlagFindings("3.6.16", { "feature-gates": "CompactHashCheck=TRUE" })).toEqual({ errors: [], warnings: [] });
    const unknown = extraFlagFindings("3.6.16", { "feature-gates": "FastLeaseKeepAlive=true" });
    expect(unknown.errors).toEqual([]);
    expect(unknown.warnings).toEqual([expect.stringContaining("etcd 3.6 knows no feature gate FastLeaseKeepAlive")]);
    expect(extraFlagFindings("3.7.3", { "feature-gates": "FastLeaseKeepAlive=true" })).toEqual({ errors: [], warnings: [] });
  });
});

describe("validateCluster with extra flags", () => {
  const members = [{ name: "a", host: "10.0.0.1" }];
  const spec = (version: string, extraFlags: Record<string, string>, snapshotCatchupEntries?: number) =>
    validateCluster({ members, version, sha256: "ab".repeat(32), ports: DEFAULT_PORTS, tuning: { extraFlags, snapshotCatchupEntries } });

  it("passes the flag findings on for the cluster's version", () => {
    expect(spec("3.7.3", { "experimental-enable-v2v3": "true" }).errors).toEqual([
      expect.stringContaining("etcd 3.7 has no experimental-enable-v2v3"),
    ]);
    expect(spec("3.6.16", { "experimental-compaction-batch-limit": "5" }).warnings).toEqual([
      expect.stringContaining("deprecated since etcd 3.6"),
    ]);
    expect(spec("v3.7.3", { "experimental-snapshot-catch-up-entries": "9" }, 100).errors).toEqual([
      expect.stringContaining("as does the package"),
    ]);
  });
  it("checks no flags for an unsupported version (its own error says enough)", () => {
    expect(spec("3.8.0", { "experimental-enable-v2v3": "true" }).errors).toEqual([expect.stringContaining("etcd 3.8.0 is not supported")]);
  });
});

describe("renderConfig of a 3.7 member", () => {
  it("writes no experimental key, whatever the declaration", () => {
    const layout = { name: "m", addresses: ["10.0.0.1"], ports: DEFAULT_PORTS, dataDir: "/var/lib/etcd", version: "3.7.3" };
    const boot = { initialCluster: "m=https://10.0.0.1:2380", token: "t", state: "new" as const };
    const text = renderConfig(layout, boot, { snapshotCatchupEntries: 9000, extraFlags: mixed });
    expect(text).not.toMatch(/^experimental-/m);
    expect(text).toContain("\nsnapshot-catchup-entries: 9000\n");
    expect(text).toContain("\ncompaction-batch-limit: 1000\n");
    expect(text).toContain("\nfeature-gates: 'InitialCorruptCheck=true,StopGRPCServiceOnDefrag=true,TxnModeWriteWithSharedBuffer=false'\n");
  });
});
