// etcd's names for one setting across minors: 3.5 spells many of them experimental-*, 3.6 takes both
// (the experimental ones deprecated), 3.7 only the new ones (etcd-io/etcd#19959). A 3.7 member reading
// an experimental-* key from its config file ignores it (sigs.k8s.io/yaml skips unknown keys), so the
// setting would be lost without a word. Taken from etcd's server/embed/config.go
// (experimentalFlagMigrationMap) and server/features/etcd_features.go (ExperimentalFlagToFeatureMap) at
// v3.6.14; v3.7.1 has neither map nor any experimental key.
import { compareVersions } from "./versions";

/** Experimental flag → the flag that replaced it in 3.6. */
export const GRADUATED_FLAGS: Record<string, string> = {
  "experimental-bootstrap-defrag-threshold-megabytes": "bootstrap-defrag-threshold-megabytes",
  "experimental-compact-hash-check-time": "compact-hash-check-time",
  "experimental-compaction-batch-limit": "compaction-batch-limit",
  "experimental-compaction-sleep-interval": "compaction-sleep-interval",
  "experimental-corrupt-check-time": "corrupt-check-time",
  "experimental-distributed-tracing-address": "distributed-tracing-address",
  "experimental-distributed-tracing-instance-id": "distributed-tracing-instance-id",
  "experimental-distributed-tracing-sampling-rate": "distributed-tracing-sampling-rate",
  "experimental-distributed-tracing-service-name": "distributed-tracing-service-name",
  "experimental-downgrade-check-time": "downgrade-check-time",
  "experimental-enable-distributed-tracing": "enable-distributed-tracing",
  "experimental-memory-mlock": "memory-mlock",
  "experimental-peer-skip-client-san-verification": "peer-skip-client-san-verification",
  "experimental-snapshot-catchup-entries": "snapshot-catchup-entries",
  // The config-file key of the one above in 3.5 and 3.6 (its struct tag is spelled differently).
  "experimental-snapshot-catch-up-entries": "snapshot-catchup-entries",
  "experimental-warning-apply-duration": "warning-apply-duration",
  // 3.6 only, where it was already deprecated.
  "experimental-warning-unary-request-duration": "warning-unary-request-duration",
  "experimental-watch-progress-notify-interval": "watch-progress-notify-interval",
};

/** Experimental boolean flag → the 3.6 feature gate that replaced it. */
export const GATED_FLAGS: Record<string, string> = {
  "experimental-compact-hash-check-enabled": "CompactHashCheck",
  "experimental-enable-lease-checkpoint": "LeaseCheckpoint",
  "experimental-enable-lease-checkpoint-persist": "LeaseCheckpointPersist",
  "experimental-initial-corrupt-check": "InitialCorruptCheck",
  "experimental-stop-grpc-service-on-defrag": "StopGRPCServiceOnDefrag",
  "experimental-txn-mode-write-with-shared-buffer": "TxnModeWriteWithSharedBuffer",
};

/** The feature gates each minor knows (DefaultEtcdServerFeatureGates at v3.6.14 and v3.7.1); 3.5 has none. */
export const FEATURE_GATES: Record<string, string[]> = {
  "3.6": [
    "CompactHashCheck",
    "InitialCorruptCheck",
    "LeaseCheckpoint",
    "LeaseCheckpointPersist",
    "SetMemberLocalAddr",
    "StopGRPCServiceOnDefrag",
    "TxnModeWriteWithSharedBuffer",
  ],
  "3.7": [
    "CompactHashCheck",
    "FastLeaseKeepAlive",
    "InitialCorruptCheck",
    "LeaseCheckpoint",
    "LeaseCheckpointPersist",
    "PriorityRequest",
    "SetMemberLocalAddr",
    "StopGRPCServiceOnDefrag",
    "TxnModeWriteWithSharedBuffer",
  ],
};

/** 3.7 and later read no experimental key. */
export function readsExperimentalKeys(version: string): boolean {
  return compareVersions(version, "3.7.0") < 0;
}

/** "A=true,B=false" → [["A", "true"], ["B", "false"]]. */
function gateEntries(value: string): [string, string][] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const i = s.indexOf("=");
      return i < 0 ? [s, ""] : [s.slice(0, i).trim(), s.slice(i + 1).trim()];
    });
}

/**
 * The config-file keys and values for the user's extra flags on a member of `version`, sorted by key.
 * 3.5 and 3.6 members get the flags as written (a new package release must not rewrite the config of a
 * running cluster); 3.7 members get the 3.6 names, and the experimental booleans as feature gates.
 */
export function extraFlagEntries(version: string, extraFlags: Record<string, string>): [string, string][] {
  const entries = Object.entries(extraFlags);
  if (readsExperimentalKeys(version)) return entries.sort(([a], [b]) => a.localeCompare(b));
  const out: [string, string][] = [];
  const gates: [string, string][] = [];
  for (const [k, v] of entries) {
    if (GATED_FLAGS[k]) gates.push([GATED_FLAGS[k], v]);
    else if (k === "feature-gates") gates.push(...gateEntries(v));
    else out.push([GRADUATED_FLAGS[k] ?? k, v]);
  }
  if (gates.length) {
    const sorted = gates.sort(([a], [b]) => a.localeCompare(b));
    out.push(["feature-gates", sorted.map(([g, v]) => `${g}=${v}`).join(",")]);
  }
  return out.sort(([a], [b]) => a.localeCompare(b));
}

/** The values etcd's feature gates parse as booleans (Go's strconv.ParseBool). */
const GATE_BOOLEANS = ["1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"];

export interface FlagFindings {
  errors: string[];
  warnings: string[];
}

/**
 * What is wrong with the extra flags for a member of `version`. Errors only where etcd would refuse to
 * start, or a 3.7 member would lose the setting; what works on a running 3.5 or 3.6 cluster gets a
 * warning at most. `typedKeys` are the keys the package writes from typed inputs.
 */
export function extraFlagFindings(version: string, extraFlags: Record<string, string>, typedKeys: string[] = []): FlagFindings {
  const found: FlagFindings = { errors: [], warnings: [] };
  const minor = version.split(".").slice(0, 2).join(".");
  if (minor === "3.5") return findings35(extraFlags);
  nameFindings(extraFlags, typedKeys, found);
  gateFindings(minor, extraFlags, found);
  const gone = !readsExperimentalKeys(version);
  for (const k of Object.keys(extraFlags).filter((k) => k.startsWith("experimental-"))) {
    const replacement = GRADUATED_FLAGS[k] ?? (GATED_FLAGS[k] && `feature-gates: ${GATED_FLAGS[k]}=…`);
    if (!replacement && gone) found.errors.push(`tuning.extraFlags: etcd ${minor} has no ${k} and no replacement for it; remove it`);
    else if (!replacement) found.warnings.push(`tuning.extraFlags: etcd ${minor} has no ${k} (its config file ignores it)`);
    else if (!gone)
      found.warnings.push(
        `tuning.extraFlags: ${k} is deprecated since etcd 3.6 and gone in 3.7; write ${replacement} (3.7 members get that from the package)`,
      );
  }
  return found;
}

// 3.5 reads only the experimental names; it ignores the 3.6 ones rather than failing.
const ONLY_SINCE_36 = new Set(["experimental-warning-unary-request-duration", "experimental-snapshot-catch-up-entries"]);

function findings35(extraFlags: Record<string, string>): FlagFindings {
  const warnings: string[] = [];
  for (const k of Object.keys(extraFlags)) {
    const old = Object.keys(GRADUATED_FLAGS).find((e) => GRADUATED_FLAGS[e] === k && !ONLY_SINCE_36.has(e));
    if (old) warnings.push(`tuning.extraFlags: etcd 3.5 does not know ${k} (its config file ignores it); write ${old}`);
    if (k === "feature-gates")
      warnings.push(
        `tuning.extraFlags: etcd 3.5 has no feature gates (its config file ignores feature-gates); write the experimental-* flags`,
      );
  }
  return { errors: [], warnings };
}

/** One setting under two names: etcd 3.6 refuses to start, and a 3.7 config would hold the key twice. */
function nameFindings(extraFlags: Record<string, string>, typedKeys: string[], found: FlagFindings): void {
  const setBy = new Map<string, string>(typedKeys.map((k) => [k, `the package (from its typed input)`]));
  for (const k of Object.keys(extraFlags)) {
    if (k === "feature-gates" || GATED_FLAGS[k]) continue;
    const name = GRADUATED_FLAGS[k] ?? k;
    const other = setBy.get(name);
    if (other) found.errors.push(`tuning.extraFlags: ${k} sets ${name}, as does ${other}; give it once`);
    else setBy.set(name, k);
  }
}

/** Gates given twice (etcd 3.6 refuses to start), values etcd cannot parse, gates the minor does not know. */
function gateFindings(minor: string, extraFlags: Record<string, string>, found: FlagFindings): void {
  const gates = new Map(gateEntries(extraFlags["feature-gates"] ?? ""));
  for (const [gate, value] of gates)
    if (!GATE_BOOLEANS.includes(value))
      found.errors.push(`tuning.extraFlags: feature gate ${gate} must be true or false, got ${JSON.stringify(value)}`);
  for (const k of Object.keys(extraFlags).filter((k) => GATED_FLAGS[k])) {
    const gate = GATED_FLAGS[k];
    if (gates.has(gate)) found.errors.push(`tuning.extraFlags: ${k} and feature-gates both set ${gate}; give it in feature-gates only`);
    // etcd 3.6 reads the experimental boolean as a YAML boolean only.
    if (extraFlags[k] !== "true" && extraFlags[k] !== "false")
      found.errors.push(`tuning.extraFlags: ${k} must be true or false, got ${JSON.stringify(extraFlags[k])}`);
    gates.set(gate, extraFlags[k]);
  }
  const known = FEATURE_GATES[minor];
  for (const gate of gates.keys())
    if (known && !known.includes(gate))
      found.warnings.push(
        `tuning.extraFlags: etcd ${minor} knows no feature gate ${gate} (known: ${known.join(", ")}); etcd refuses to start with an unknown one`,
      );
}
