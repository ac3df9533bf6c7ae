// sha256 of the official Kubernetes server binaries on dl.k8s.io, per version and architecture.
// Pinned only from published sources (none yet): other versions need `sha256` per binary.
export const KUBE_BINARIES = ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl"] as const;
export type KubeBinary = (typeof KUBE_BINARIES)[number];

export const KUBE_RELEASE_CHECKSUMS: Record<string, Partial<Record<"amd64" | "arm64", Partial<Record<KubeBinary, string>>>>> = {};
