// etcd upgrades one minor at a time, and each minor hop needs every member on a minimum patch of the
// older minor first. The minimum rose as upgrade bugs were found, so it is kept here with its reasons.
import { compareVersions, minorOf } from "./versions";

/** A patch release that the minimum was raised to, and why. */
export interface MinimumReason {
  patch: string;
  why: string;
  /** Upstream issues, fixes or documents (owner/repo#n or a URL). */
  links: string[];
}

export interface MinorHop {
  from: string;
  to: string;
  /** Every member must run this patch of `from` or a later one before any member runs `to`. */
  minimumPatch: string;
  /** Each raise of the minimum, oldest first; the last one is minimumPatch. */
  reasons: MinimumReason[];
  /** etcd's upgrade guide for the hop. */
  guide: string;
  /** etcd's guide for going back down the hop. */
  downgradeGuide: string;
  /** What to check before the first member runs the new minor. */
  checks: string[];
}

export const MINOR_HOPS: MinorHop[] = [
  {
    from: "3.5",
    to: "3.6",
    minimumPatch: "3.5.32",
    reasons: [
      {
        patch: "3.5.20",
        why: "learner promotions were stored in the v2 store only; 3.6 reads membership from the v3 store and fails with 'too many learner members'",
        links: ["etcd-io/etcd#19557", "etcd-io/etcd#19563", "https://etcd.io/blog/2025/upgrade_from_3.5_to_3.6_issue/"],
      },
      {
        patch: "3.5.24",
        why: "a member that joined from a snapshot of a member older than 3.5.20 got the same wrong membership",
        links: ["etcd-io/etcd#20793", "etcd-io/etcd#20797"],
      },
      {
        patch: "3.5.26",
        why: "members removed long ago reappear ('zombie members') once 3.6 reads the v3 store",
        links: ["etcd-io/etcd#20967", "etcd-io/etcd#20995", "https://etcd.io/blog/2025/zombie_members_upgrade/"],
      },
      {
        patch: "3.5.32",
        why: "`etcdutl check v2store` also reads the WAL (3.6 refuses to start on custom v2 data), and --v2-deprecation=write-only-skip-check exists",
        links: ["etcd-io/etcd#21889", "etcd-io/etcd#21897", "https://etcd.io/blog/2026/july-patch-release/"],
      },
    ],
    guide: "https://etcd.io/docs/v3.6/upgrades/upgrade_3_6/",
    downgradeGuide: "https://etcd.io/docs/v3.6/downgrades/downgrade_3_6/",
    checks: [
      "run `etcdutl check v2store` (etcdutl 3.5.32 or later) on every member: etcd 3.6 does not start while the v2 store or the WAL holds custom v2 data",
    ],
  },
  {
    from: "3.6",
    to: "3.7",
    minimumPatch: "3.6.11",
    reasons: [
      {
        patch: "3.6.11",
        why: "etcd's 3.7 upgrade guide: earlier 3.6 patches may not be compatible with a rolling upgrade to 3.7",
        links: ["etcd-io/website#1165", "etcd-io/website#1168", "https://etcd.io/docs/v3.7/upgrades/upgrade_3_7/"],
      },
    ],
    guide: "https://etcd.io/docs/v3.7/upgrades/upgrade_3_7/",
    downgradeGuide: "https://etcd.io/docs/v3.7/downgrades/downgrade_3_7/",
    checks: ["etcd 3.7 has no --experimental-* flags: the package writes their 3.6 names or feature gates for 3.7 members"],
  },
];

/** The hop from one minor to the next ("3.5" → "3.6"), or undefined when etcd has none. */
export function minorHop(from: string): MinorHop | undefined {
  return MINOR_HOPS.find((h) => h.from === from);
}

/** Why a running version cannot start the hop to the next minor yet, or undefined. */
export function belowMinimum(running: string): string | undefined {
  const hop = minorHop(minorOf(running) ?? "");
  if (!hop || compareVersions(running, hop.minimumPatch) >= 0) return undefined;
  const raised = hop.reasons.filter((r) => compareVersions(running, r.patch) < 0);
  return (
    `etcd ${running} is below ${hop.minimumPatch}, the oldest ${hop.from} patch etcd supports upgrading to ${hop.to} from (${hop.guide}): ` +
    raised.map((r) => `${r.patch}: ${r.why} (${r.links.join(", ")})`).join("; ")
  );
}
