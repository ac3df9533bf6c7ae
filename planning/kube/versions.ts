// Which Kubernetes versions the package runs, where the binaries come from and the checksums it
// trusts for them.
import { KUBE_BINARIES, KUBE_RELEASE_CHECKSUMS, KubeBinary } from "./releaseChecksums";

export { KUBE_BINARIES, KubeBinary };
export const KUBE_ARCHES = ["amd64", "arm64"] as const;
export type KubeArch = (typeof KUBE_ARCHES)[number];

/** dl.k8s.io's layout; {version} (without v), {arch} and {binary} are replaced. */
export const DEFAULT_KUBE_DOWNLOAD_URL = "https://dl.k8s.io/release/v{version}/bin/linux/{arch}/{binary}";
/** The minors the package's flags, config files and tests cover. */
export const SUPPORTED_KUBE_MINORS = [36, 37] as const;

export function normalizeKubeVersion(v: string): string {
  return v.replace(/^v/, "");
}

/** sha256 per binary as the user gives it (one value per binary, for whatever architecture the host has). */
export interface KubeSha256 {
  /** sha256 of kube-apiserver. */
  "kube-apiserver"?: string;
  /** sha256 of kube-controller-manager. */
  "kube-controller-manager"?: string;
  /** sha256 of kube-scheduler. */
  "kube-scheduler"?: string;
  /** sha256 of kubectl. */
  kubectl?: string;
}

/** The reason a version cannot be installed, or undefined. */
export function kubeVersionProblem(version: string | undefined, sha256?: KubeSha256, fromFiles = false): string | undefined {
  if (version === undefined) return 'version is required (a Kubernetes release such as "1.37.2")';
  const m = /^v?1\.(\d+)\.(\d+)$/.exec(version);
  if (!m) return `version ${JSON.stringify(version)} is not a Kubernetes release version like "1.37.2"`;
  const minor = Number(m[1]);
  if (!(SUPPORTED_KUBE_MINORS as readonly number[]).includes(minor))
    return `Kubernetes ${version} is not supported (supported: ${SUPPORTED_KUBE_MINORS.map((x) => `1.${x}.x`).join(", ")})`;
  for (const [b, sum] of Object.entries(sha256 ?? {})) {
    if (!(KUBE_BINARIES as readonly string[]).includes(b))
      return `sha256 names an unknown binary ${JSON.stringify(b)} (known: ${KUBE_BINARIES.join(", ")})`;
    if (!/^[0-9a-f]{64}$/.test(sum ?? "")) return `sha256["${b}"] must be 64 lowercase hex digits`;
  }
  if (fromFiles) return undefined;
  const pinned = KUBE_RELEASE_CHECKSUMS[normalizeKubeVersion(version)] ?? {};
  const missing = KUBE_BINARIES.filter((b) => !sha256?.[b] && !(pinned.amd64?.[b] && pinned.arm64?.[b]));
  if (missing.length) {
    const known = Object.keys(KUBE_RELEASE_CHECKSUMS);
    return (
      `the package pins no checksum for ${missing.join(", ")} of Kubernetes ${version}` +
      ` (pinned versions: ${known.length ? known.join(", ") : "none"}); give each binary's sha256 as sha256: { "kube-apiserver": "<64 hex>", ... }` +
      ` (dl.k8s.io publishes <binary>.sha256 beside each binary)`
    );
  }
  return undefined;
}

/** The sha256 each binary must have, per architecture (the user's for every architecture, else pinned). */
export function kubeChecksums(version: string, sha256?: KubeSha256): Record<KubeArch, Record<KubeBinary, string>> {
  const pinned = KUBE_RELEASE_CHECKSUMS[normalizeKubeVersion(version)] ?? {};
  const per = (arch: KubeArch) =>
    Object.fromEntries(KUBE_BINARIES.map((b) => [b, sha256?.[b] ?? pinned[arch]?.[b] ?? ""])) as Record<KubeBinary, string>;
  return { amd64: per("amd64"), arm64: per("arm64") };
}
