// Which etcd versions the package installs, and the release checksums it trusts for them.
import { RELEASE_CHECKSUMS } from "./releaseChecksums";

export const ARCHES = ["amd64", "arm64"] as const;
export type Arch = (typeof ARCHES)[number];

// The newest version with a pinned checksum.
export const DEFAULT_VERSION = "3.6.9";
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

/** The reason a version cannot be installed, or undefined when it can. */
export function versionProblem(version: string, userSha256?: string): string | undefined {
  const v = parseVersion(version);
  if (!v) return `version ${JSON.stringify(version)} is not an etcd release version like "3.6.16"`;
  const supported = `supported: 3.5.3 and later 3.5.x, 3.6.x`;
  if (v.major !== 3 || (v.minor !== 5 && v.minor !== 6)) return `etcd ${version} is not supported (${supported})`;
  // 3.5.0-3.5.2 can lose writes on a crash (etcd-io/etcd#13766).
  if (v.minor === 5 && v.patch < 3) return `etcd ${version} has a known data-inconsistency bug (etcd-io/etcd#13766); use 3.5.3 or later`;
  if (userSha256 === undefined && !RELEASE_CHECKSUMS[normalize(version)]) {
    const pinned = Object.keys(RELEASE_CHECKSUMS).join(", ");
    return `the package pins no checksum for etcd ${version} (pinned: ${pinned}); give the release tarball's sha256 as \`sha256\``;
  }
  if (userSha256 !== undefined && !/^[0-9a-f]{64}$/.test(userSha256)) return `sha256 must be 64 lowercase hex digits`;
  return undefined;
}

export function normalize(version: string): string {
  return version.replace(/^v/, "");
}

/** Checksum per architecture: the user's (for whatever architecture the host has) or the pinned ones. */
export function checksumsFor(version: string, userSha256?: string): Record<Arch, string> {
  if (userSha256) return { amd64: userSha256, arm64: userSha256 };
  const pinned = RELEASE_CHECKSUMS[normalize(version)] ?? {};
  return { amd64: pinned.amd64 ?? "", arm64: pinned.arm64 ?? "" };
}
