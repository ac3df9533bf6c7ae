// Validation of an EtcdCluster's inputs, run when the component is constructed, so that a bad input
// fails `pulumi preview` before any host is touched. Values not known yet (outputs of other
// resources) are passed as undefined and checked later, when they are known.
import { canonicalAddress, isDnsName, isIpAddress } from "../common/addresses";
import { MANAGED_KEYS, snapshotCatchupKey, Tuning } from "./etcdConfig";
import { extraFlagFindings } from "./flagNames";
import { memberNameProblem } from "./names";
import { portProblems, Ports } from "./ports";
import { normalize, supportProblem, versionProblem } from "./versions";

export interface MemberSpec {
  name?: string;
  /** The SSH address. */
  host?: string;
  /** Addresses etcd advertises; default the SSH address. */
  addresses?: (string | undefined)[];
}

export interface ClusterSpec {
  members?: MemberSpec[];
  version?: string;
  sha256?: string;
  ports?: Ports;
  tuning?: Tuning;
  dataDir?: string;
}

export interface Findings {
  errors: string[];
  warnings: string[];
}

export const MAX_RECOMMENDED_MEMBERS = 7;
/** Flags that would turn off or loosen mutual TLS. */
const WEAKENING_KEYS =
  /^(client-cert-auth|peer-client-cert-auth|auto-tls|peer-auto-tls|(experimental-)?peer-skip-client-san-verification)$/;

export function validateCluster(spec: ClusterSpec): Findings {
  const errors: string[] = [];
  const warnings: string[] = [];
  const members = spec.members;
  if (members !== undefined) {
    if (members.length === 0) errors.push("members is empty: list 1, 3 or 5 members");
    const names = new Map<string, number>();
    const addresses = new Map<string, string>();
    members.forEach((m, i) => {
      const label = m.name ?? `members[${i}]`;
      if (m.name !== undefined) {
        const p = memberNameProblem(m.name);
        if (p) errors.push(`members[${i}]: ${p}`);
        if (names.has(m.name))
          errors.push(
            `members[${i}]: the name ${JSON.stringify(m.name)} is used twice (also members[${names.get(m.name)}]); member names must be unique`,
          );
        else names.set(m.name, i);
      }
      const own = [...new Set((m.addresses ?? [m.host]).filter((a): a is string => a !== undefined).map(canonicalAddress))];
      for (const a of own) {
        if (!isIpAddress(a) && !isDnsName(a)) errors.push(`${label}: address ${JSON.stringify(a)} is neither an IP address nor a DNS name`);
        const other = addresses.get(a);
        if (other) errors.push(`${label}: address ${a} is also used by ${other}; each member needs its own host`);
        else addresses.set(a, label);
      }
      if (m.addresses !== undefined && m.addresses.length === 0)
        errors.push(`${label}: addresses is empty; leave it out to use the SSH host`);
    });
    if (members.length > 0 && members.length % 2 === 0) {
      warnings.push(
        `${members.length} members: an even count tolerates no more failures than ${members.length - 1} members (quorum ${Math.floor(members.length / 2) + 1}); prefer an odd count`,
      );
    }
    if (members.length > MAX_RECOMMENDED_MEMBERS) {
      warnings.push(`${members.length} members: more than ${MAX_RECOMMENDED_MEMBERS} slows every write (etcd recommends 3, 5 or 7)`);
    }
  }
  if (spec.version !== undefined) {
    const p = versionProblem(spec.version, spec.sha256);
    if (p) errors.push(p);
  }
  if (spec.ports) errors.push(...portProblems(spec.ports));
  if (spec.dataDir !== undefined && !/^\/[A-Za-z0-9._/-]*[A-Za-z0-9._-]$/.test(spec.dataDir)) {
    errors.push(`dataDir ${JSON.stringify(spec.dataDir)} must be an absolute path of letters, digits, '.', '_', '-' and '/', not '/'`);
  } else if (spec.dataDir?.split("/").some((seg) => seg === ".." || seg === "."))
    errors.push(`dataDir must not contain '.' or '..' segments`);
  if (spec.tuning) errors.push(...tuningProblems(spec.tuning));
  if (spec.version !== undefined && !supportProblem(spec.version)) {
    const w = catchupOn35Warning(normalize(spec.version), spec.tuning);
    if (w) warnings.push(w);
  }
  if (spec.tuning?.extraFlags && spec.version !== undefined && !supportProblem(spec.version)) {
    const version = normalize(spec.version);
    const typed = spec.tuning.snapshotCatchupEntries === undefined ? [] : [snapshotCatchupKey(version)];
    const flags = extraFlagFindings(version, spec.tuning.extraFlags, typed);
    errors.push(...flags.errors);
    warnings.push(...flags.warnings);
  }
  return { errors, warnings };
}

/**
 * snapshotCatchupEntries has no effect on 3.5 as rendered since 0.1.0 (snapshotCatchupKey): said at
 * preview, with the key that does work there, rather than fixed under running clusters (a restart).
 */
export function catchupOn35Warning(version: string, tuning?: Tuning): string | undefined {
  if (!version.startsWith("3.5.") || tuning?.snapshotCatchupEntries === undefined) return undefined;
  const working = "experimental-snapshot-catch-up-entries";
  if (tuning.extraFlags && working in tuning.extraFlags) return undefined;
  return (
    `tuning.snapshotCatchupEntries has no effect on etcd 3.5: it is written as ${snapshotCatchupKey(version)}, a key etcd 3.5's ` +
    `config file ignores (it reads ${working}); kept so that running members are not restarted. For it to take effect ` +
    `on 3.5, also set tuning.extraFlags { "${working}": "${tuning.snapshotCatchupEntries}" } (a restart of each member); from 3.6 on it works as is`
  );
}

export function tuningProblems(t: Tuning): string[] {
  const errors: string[] = [];
  const positiveInt = (key: keyof Tuning, v: unknown) => {
    if (v !== undefined && (!Number.isInteger(v) || (v as number) <= 0))
      errors.push(`tuning.${key} must be a positive integer, got ${JSON.stringify(v)}`);
  };
  positiveInt("heartbeatIntervalMs", t.heartbeatIntervalMs);
  positiveInt("electionTimeoutMs", t.electionTimeoutMs);
  positiveInt("quotaBackendBytes", t.quotaBackendBytes);
  positiveInt("snapshotCount", t.snapshotCount);
  positiveInt("snapshotCatchupEntries", t.snapshotCatchupEntries);
  const hb = t.heartbeatIntervalMs ?? 100;
  const et = t.electionTimeoutMs ?? 1000;
  // etcd refuses to start otherwise.
  if (et < 5 * hb) errors.push(`tuning.electionTimeoutMs (${et}) must be at least 5 × heartbeatIntervalMs (${hb})`);
  if (et > 50000) errors.push(`tuning.electionTimeoutMs must be at most 50000`);
  if (t.autoCompactionMode !== undefined && !["periodic", "revision"].includes(t.autoCompactionMode)) {
    errors.push(`tuning.autoCompactionMode must be "periodic" or "revision", got ${JSON.stringify(t.autoCompactionMode)}`);
  }
  for (const k of Object.keys(t.extraFlags ?? {})) {
    const key = k.replace(/^--/, "");
    if (!/^[a-z][a-z0-9-]*$/.test(key)) errors.push(`tuning.extraFlags: ${JSON.stringify(k)} is not an etcd flag name`);
    else if (MANAGED_KEYS.includes(key)) errors.push(`tuning.extraFlags: ${key} is set by the package; use its own input instead`);
    else if (WEAKENING_KEYS.test(key)) errors.push(`tuning.extraFlags: ${key} would weaken the cluster's TLS; it is not allowed`);
    else if (k !== key) errors.push(`tuning.extraFlags: write ${JSON.stringify(key)} without "--"`);
  }
  return errors;
}
