// Restore from a snapshot (issue 5, planning only so far): what a restore will do, in order, and
// the exact etcdutl arguments for each member. Pure, so `pulumi preview` can show the plan and the
// rules are unit-tested; the provider will carry it out.
//   - every member is restored from the same snapshot, with its own name and peer URL;
//   - a new initial-cluster-token per restore generation (a restored cluster is a new cluster);
//   - revisions are bumped and marked compacted, so clients watching old revisions resync;
//   - old data dirs are archived, never deleted.

import { initialCluster } from "./etcdConfig";

export interface RestoreSpec {
  clusterName: string;
  /** A new generation performs a new restore. */
  generation: number;
  members: { name: string; peerUrls: string[]; dataDir: string }[];
  snapshot: {
    /** Where it comes from, for the plan's description (s3://…, a local file, host:/path). */
    source: string;
    /** Expected sha256 of the snapshot file; required unless skipHashCheck. */
    sha256?: string;
    /** The snapshot's revision (from its metadata), to check the restored cluster against. */
    revision?: number;
  };
  /** A raw db file copied from a data dir has no integrity hash: restoring it needs this. */
  skipHashCheck?: boolean;
  /** Added to every revision; default 1,000,000,000. */
  bumpRevision?: number;
}

export const DEFAULT_BUMP_REVISION = 1_000_000_000;

export function restoreProblems(s: RestoreSpec): string[] {
  const p: string[] = [];
  if (!Number.isInteger(s.generation) || s.generation < 1)
    p.push(`restore.generation must be a positive integer, got ${JSON.stringify(s.generation)}`);
  if (!s.snapshot?.source) p.push("restore.source is required");
  if (s.snapshot?.sha256 !== undefined && !/^[0-9a-f]{64}$/.test(s.snapshot.sha256))
    p.push("restore.sha256 must be 64 lowercase hex digits");
  if (!s.snapshot?.sha256 && !s.skipHashCheck) {
    p.push(
      "the snapshot's sha256 is unknown: give it (it is in the snapshot's metadata file), or set skipHashCheck for a raw db file you trust",
    );
  }
  if (s.bumpRevision !== undefined && (!Number.isInteger(s.bumpRevision) || s.bumpRevision < 0))
    p.push("restore.bumpRevision must be a non-negative integer");
  if (s.members.length === 0) p.push("a restore needs at least one member");
  return p;
}

export interface MemberRestore {
  name: string;
  dataDir: string;
  /** etcdutl arguments after the snapshot file. */
  etcdutlArgs: string[];
}

export interface RestorePlan {
  token: string;
  initialCluster: string;
  bumpRevision: number;
  /** The restored cluster must report at least this revision. */
  minRevision?: number;
  members: MemberRestore[];
  /** What `pulumi preview` says will happen, in order. */
  steps: string[];
}

/** `nonce` makes the token unique per restore (the provider passes random bytes). */
export function planRestore(s: RestoreSpec, nonce: string): RestorePlan {
  const problems = restoreProblems(s);
  if (problems.length) throw new Error(`invalid restore: ${problems.join("; ")}`);
  const token = `${s.clusterName}-restore${s.generation}-${nonce}`;
  const cluster = initialCluster(s.members);
  const bump = s.bumpRevision ?? DEFAULT_BUMP_REVISION;
  const names = s.members.map((m) => m.name).join(", ");
  return {
    token,
    initialCluster: cluster,
    bumpRevision: bump,
    minRevision: s.snapshot.revision === undefined ? undefined : s.snapshot.revision + bump,
    members: s.members.map((m) => ({
      name: m.name,
      dataDir: m.dataDir,
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
        m.dataDir,
        "--bump-revision",
        String(bump),
        "--mark-compacted",
        ...(s.skipHashCheck ? ["--skip-hash-check"] : []),
      ],
    })),
    steps: [
      `copy ${s.snapshot.source} to ${names} and check the same sha256${s.skipHashCheck ? " (hash check skipped: raw db)" : ""} and etcdutl snapshot status on each, before anything is stopped`,
      `stop etcd on ${names}`,
      `archive each data dir with its config and unit`,
      `etcdutl snapshot restore on each member with a new cluster token (generation ${s.generation}), revisions bumped by ${bump} and marked compacted`,
      `start all members and wait for one healthy cluster${s.snapshot.revision === undefined ? "" : ` at revision ≥ ${s.snapshot.revision + bump}`}`,
    ],
  };
}
