// Which etcd versions the package installs, and the release checksums it trusts for them.
import { RELEASE_CHECKSUMS } from "./releaseChecksums";

export const ARCHES = ["amd64", "arm64"] as const;
export type Arch = (typeof ARCHES)[number];

export const DEFAULT_DOWNLOAD_URL = "https://github.com/etcd-io/etcd/releases/download/v{version}/etcd-v{version}-linux-{arch}.tar.gz";

interface Version {
  major: number;
  minor: number;
  patch: number;
}

export function parseVersion(v: string): Version | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(v);
  return m ? { major: +m[1], minor: +m[2], patch: +m[3] } : undefined;
}

export function normalize(version: string): string {
  return version.replace(/^v/, "");
}

/** "3.6" for "3.6.16" (or "v3.6.16"); undefined for what is not a release version. */
export function minorOf(version: string): string | undefined {
  const v = parseVersion(version);
  return v ? `${v.major}.${v.minor}` : undefined;
}

/** Negative when a is older than b, 0 when equal, positive when newer; both must be release versions. */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a)!;
  const y = parseVersion(b)!;
  return x.major - y.major || x.minor - y.minor || x.patch - y.patch;
}

/** The minors the package renders configs for, each from its oldest installable patch. */
export const SUPPORTED_MINORS: { minor: string; oldestPatch: number; why?: string }[] = [
  { minor: "3.5", oldestPatch: 3, why: "has a known data-inconsistency bug (etcd-io/etcd#13766)" },
  { minor: "3.6", oldestPatch: 0 },
  { minor: "3.7", oldestPatch: 0 },
];

/** Why a version is outside what the package supports (whatever its checksum), or undefined. */
export function supportProblem(version: string): string | undefined {
  const v = parseVersion(version);
  if (!v) return `version ${JSON.stringify(version)} is not an etcd release version like "3.6.16"`;
  const supported = SUPPORTED_MINORS.map((s) => (s.oldestPatch ? `${s.minor}.${s.oldestPatch} and later ${s.minor}.x` : `${s.minor}.x`));
  const minor = SUPPORTED_MINORS.find((s) => s.minor === minorOf(version));
  if (!minor) return `etcd ${version} is not supported (supported: ${supported.join(", ")})`;
  // 3.5.0-3.5.2 can lose writes on a crash.
  if (v.patch < minor.oldestPatch) return `etcd ${version} ${minor.why}; use ${minor.minor}.${minor.oldestPatch} or later`;
  return undefined;
}

/** The reason a version cannot be installed, or undefined when it can. */
export function versionProblem(version: string, userSha256?: string): string | undefined {
  const unsupported = supportProblem(version);
  if (unsupported) return unsupported;
  if (userSha256 === undefined && !RELEASE_CHECKSUMS[normalize(version)]) {
    return `the package pins no checksum for etcd ${version} (pinned: ${pinnedSummary()}); give the release tarball's sha256 as \`sha256\``;
  }
  if (userSha256 !== undefined && !/^[0-9a-f]{64}$/.test(userSha256)) return `sha256 must be 64 lowercase hex digits`;
  return undefined;
}

/** The versions with pinned checksums, newest first. */
export function pinnedVersions(): string[] {
  return Object.keys(RELEASE_CHECKSUMS).sort((a, b) => compareVersions(b, a));
}

/** The newest pinned version, of one minor ("3.5") or of all. */
export function newestPinned(minor?: string): string | undefined {
  return pinnedVersions().find((v) => minor === undefined || minorOf(v) === minor);
}

/**
 * The version a new cluster that names none is created with: the newest release the package pins a
 * checksum for (so it installs without a `sha256`). A cluster records it at birth (its Bootstrap's
 * `version`) and keeps it: a release that moves the default upgrades no existing cluster.
 */
export const DEFAULT_VERSION = newestPinned()!;

/**
 * The default of every release before the recorded one (0.1.0): a cluster they created without a
 * version has no recorded version and runs this.
 */
export const LEGACY_DEFAULT_VERSION = "3.6.9";

/**
 * The version of a cluster that declares none, from its Bootstrap's outputs as this deployment has
 * them: the version recorded at birth; none recorded but a token (born before versions were
 * recorded): the legacy default; no token (being created, in a preview): the default it will record.
 */
export function undeclaredVersion(bootstrap: { token?: unknown; version?: unknown } | undefined): string {
  if (typeof bootstrap?.version === "string" && bootstrap.version) return normalize(bootstrap.version);
  return bootstrap?.token ? LEGACY_DEFAULT_VERSION : DEFAULT_VERSION;
}

/** The pinned versions as runs of consecutive patches, oldest first: "3.5.3-3.5.33, 3.6.0-3.6.14". */
export function pinnedSummary(): string {
  const runs: string[][] = [];
  for (const v of pinnedVersions().reverse()) {
    const run = runs[runs.length - 1];
    const prev = run?.[run.length - 1];
    if (prev && minorOf(prev) === minorOf(v) && parseVersion(v)!.patch === parseVersion(prev)!.patch + 1) run.push(v);
    else runs.push([v]);
  }
  return runs.map((r) => (r.length > 1 ? `${r[0]}-${r[r.length - 1]}` : r[0])).join(", ");
}

/** Checksum per architecture: the user's (for whatever architecture the host has) or the pinned ones. */
export function checksumsFor(version: string, userSha256?: string): Record<Arch, string> {
  if (userSha256) return { amd64: userSha256, arm64: userSha256 };
  const pinned = RELEASE_CHECKSUMS[normalize(version)];
  return { amd64: pinned?.amd64 ?? "", arm64: pinned?.arm64 ?? "" };
}
