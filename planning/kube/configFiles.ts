// The control plane's config files other than kubeconfigs: the scheduler's configuration, the
// encryption at rest of Secrets and the default audit policy.
import { kubePath } from "./layout";

export function renderSchedulerConfig(): string {
  return [
    "apiVersion: kubescheduler.config.k8s.io/v1",
    "kind: KubeSchedulerConfiguration",
    "clientConnection:",
    `  kubeconfig: ${kubePath("schedulerConf")}`,
    "leaderElection:",
    "  leaderElect: true",
    // --profiling is ignored with --config: the file says it.
    "enableProfiling: false",
    "",
  ].join("\n");
}

/** Secrets encrypted with AES-CBC under the given 32-byte key (base64); identity reads data written before. */
export function renderEncryptionConfig(keyBase64: string): string {
  // Exactly standard base64 of 32 bytes: Buffer.from would skip junk and accept base64url.
  if (!/^[A-Za-z0-9+/]{43}=$/.test(keyBase64))
    throw new Error("the encryption key must be 32 bytes in standard base64 (44 characters ending in '=')");
  return [
    "apiVersion: apiserver.config.k8s.io/v1",
    "kind: EncryptionConfiguration",
    "resources:",
    "  - resources:",
    "      - secrets",
    "    providers:",
    "      - aescbc:",
    "          keys:",
    "            - name: key1",
    `              secret: ${keyBase64}`,
    "      - identity: {}",
    "",
  ].join("\n");
}

/** Metadata of every request, bodies of none; no logging of the noisy read-only health endpoints. */
export const DEFAULT_AUDIT_POLICY = [
  "apiVersion: audit.k8s.io/v1",
  "kind: Policy",
  "omitStages:",
  "  - RequestReceived",
  "rules:",
  "  - level: None",
  "    nonResourceURLs:",
  "      - /healthz*",
  "      - /livez*",
  "      - /readyz*",
  "      - /version",
  "  - level: Metadata",
  "",
].join("\n");
