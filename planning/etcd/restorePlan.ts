// Restore from a snapshot: what a restore will do, in order, and the exact etcdutl arguments for
// each member. Pure, so `pulumi preview` can show the plan and the rules are unit-tested; the
// provider (provider/etcd/restoreHandler.ts) carries it out.
//   - every member is restored from the same snapshot, with its own name and peer URL;
//   - a new initial-cluster-token per restore (a restored cluster is a new cluster);
//   - revisions are bumped and marked compacted, so clients watching old revisions resync;
//   - the restore is staged beside each data dir while etcd still runs, so a bad snapshot is
//     found before anything is stopped; old data dirs are archived, never deleted.

import { S3Bucket, s3Problems } from "../common/s3";
import { initialCluster } from "./etcdConfig";

/** Where the snapshot comes from: exactly one of these. */
export interface RestoreSource {
  /** An object in an S3-compatible bucket; each member downloads it. Without keys: the instance role. */
  s3?: S3Bucket<unknown> & { key: unknown };
  /** A file on the machine running Pulumi; sent to each member over SSH. */
  file?: string;
  /** A file on one member's host (e.g. the local snapshot dir); sent to the others via the Pulumi machine. */
  host?: { member: string; path: string };
}

export interface RestoreArgs {
  /** A new generation performs a new restore; keep the block (and the generation) afterwards. */
  generation: number;
  source: RestoreSource;
  /** Expected sha256 of the file as stored; for S3 it is read from the metadata file beside it when not given. */
  sha256?: string;
  /** A raw db file copied from a data dir has no integrity hash: restoring it needs this. */
  skipHashCheck?: boolean;
  /** Added to every revision; default 1,000,000,000. */
  bumpRevision?: number;
}

export const DEFAULT_BUMP_REVISION = 1_000_000_000;
/** Far below etcd's int64 revisions, and printed by JavaScript without an exponent. */
const MAX_BUMP = 1e15;
const PATH = /^\/[A-Za-z0-9._/+@-]+$/;

export function restoreProblems(r: RestoreArgs, memberNames: string[]): string[] {
  const p: string[] = [];
  if (!Number.isInteger(r.generation) || r.generation < 1)
    p.push(`restore.generation must be a positive integer, got ${JSON.stringify(r.generation)}`);
  const src = r.source ?? {};
  const kinds = (["s3", "file", "host"] as const).filter((k) => src[k] !== undefined);
  if (kinds.length !== 1)
    p.push(`restore.source needs exactly one of s3, file or host, got ${kinds.length ? kinds.join(" and ") : "none"}`);
  if (src.s3) {
    p.push(...s3Problems(src.s3, "restore.source.s3"));
    if ((typeof src.s3.key !== "object" || src.s3.key === null) && !/^[A-Za-z0-9!_.*'()/+=-]+$/.test(String(src.s3.key ?? "")))
      p.push("restore.source.s3.key must be an object key (letters, digits and !_.*'()/+=-)");
  }
  if (src.file !== undefined && !PATH.test(src.file))
    p.push(`restore.source.file must be an absolute path, got ${JSON.stringify(src.file)}`);
  if (src.host) {
    if (!memberNames.includes(src.host.member))
      p.push(`restore.source.host.member ${JSON.stringify(src.host.member)} is not a member of this cluster`);
    if (!PATH.test(src.host.path ?? "")) p.push(`restore.source.host.path must be an absolute path, got ${JSON.stringify(src.host.path)}`);
  }
  if (r.sha256 !== undefined && !/^[0-9a-f]{64}$/.test(r.sha256)) p.push("restore.sha256 must be 64 lowercase hex digits");
  if (r.bumpRevision !== undefined && (!Number.isInteger(r.bumpRevision) || r.bumpRevision < 0 || r.bumpRevision > MAX_BUMP))
    p.push(`restore.bumpRevision must be an integer from 0 (no bump) to ${MAX_BUMP}`);
  if (memberNames.length === 0) p.push("a restore needs at least one member");
  return p;
}

export function describeSource(s: RestoreSource): string {
  if (s.s3) return `s3://${s.s3.bucket}/${typeof s.s3.key === "string" ? s.s3.key : "<key>"}`;
  if (s.file) return `${s.file} (on the machine running Pulumi)`;
  if (s.host) return `${s.host.member}:${s.host.path}`;
  return "(no source)";
}

/** Where a member's restore is staged: beside its data dir, so the final move is a rename. */
export const stageDirOf = (dataDir: string) => `${dataDir}.pe-restore`;

export interface MemberRestore {
  name: string;
  dataDir: string;
  stageDir: string;
  /** etcdutl arguments after `snapshot restore <file>`. */
  etcdutlArgs: string[];
}

export interface RestorePlan {
  token: string;
  initialCluster: string;
  bumpRevision: number;
  members: MemberRestore[];
  /** What `pulumi preview` says will happen, in order. */
  steps: string[];
}

export interface RestoreSpec extends RestoreArgs {
  clusterName: string;
  members: { name: string; peerUrls: string[]; dataDir: string }[];
}

/** `nonce` makes the token unique per restore (the provider passes random bytes). */
export function planRestore(s: RestoreSpec, nonce: string): RestorePlan {
  const problems = restoreProblems(
    s,
    s.members.map((m) => m.name),
  );
  if (problems.length) throw new Error(`invalid restore: ${problems.join("; ")}`);
  const token = `${s.clusterName}-restore${s.generation}-${nonce}`;
  const cluster = initialCluster(s.members);
  const bump = s.bumpRevision ?? DEFAULT_BUMP_REVISION;
  const names = s.members.map((m) => m.name).join(", ");
  const hash = s.sha256
    ? `sha256 ${s.sha256.slice(0, 12)}…`
    : s.source.s3
      ? "the sha256 in its metadata file (if any)"
      : "no expected sha256";
  return {
    token,
    initialCluster: cluster,
    bumpRevision: bump,
    members: s.members.map((m) => ({
      name: m.name,
      dataDir: m.dataDir,
      stageDir: stageDirOf(m.dataDir),
      etcdutlArgs: [
        "--name",
        m.name,
        "--initial-cluster",
        cluster,
        "--initial-cluster-token",
        token,
        "--initial-advertise-peer-urls",
        m.peerUrls.join(","),
        "--data-dir",
        `${stageDirOf(m.dataDir)}/data`,
        // etcdutl wants --mark-compacted exactly when it bumps.
        ...(bump > 0 ? ["--bump-revision", String(bump), "--mark-compacted"] : []),
        ...(s.skipHashCheck ? ["--skip-hash-check"] : []),
      ],
    })),
    steps: [
      `put ${describeSource(s.source)} on ${names}; check ${hash}, the same sha256 on every member and etcdutl snapshot status; restore it into a staging dir beside each data dir${s.skipHashCheck ? " (etcd's integrity hash not checked: raw db)" : ""}. Any failure stops here, with every member running as before`,
      `stop etcd on ${names}`,
      `archive each data dir with its config, unit and identity as <dataDir>.pre-restore${s.generation}-<time>`,
      `move the restored data in place: a new cluster (token of generation ${s.generation}), ${bump > 0 ? `revisions bumped by ${bump} and marked compacted` : "revisions not bumped (watchers of the old cluster may miss changes)"}`,
      `start all members and wait for one healthy cluster at revision ≥ snapshot revision + ${bump}`,
    ],
  };
}
