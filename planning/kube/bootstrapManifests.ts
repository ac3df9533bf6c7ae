// What kubeadm creates so that kubelets can join with a bootstrap token (token discovery and TLS
// bootstrap): the token Secret, the cluster-info ConfigMap in kube-public (signed by the
// controller-manager's bootstrapsigner) readable anonymously, the RBAC bindings that let
// bootstrapping kubelets create CSRs that the csrapproving controller approves, and the
// kubeadm-config and kubelet-config ConfigMaps `kubeadm join` reads, readable by the token's group
// and by nodes only.
import { createHash, X509Certificate } from "node:crypto";
import {
  KUBEADM_CONFIG,
  KUBELET_CONFIG,
  KubeadmClusterFacts,
  renderClusterConfiguration,
  renderKubeletConfiguration,
} from "./kubeadmConfig";

export const BOOTSTRAP_GROUP = "system:bootstrappers:kubeadm:default-node-token";
/** The label of the token Secrets the package made: the bootstrap step deletes all but the current one (a rotation revokes). */
export const TOKEN_LABEL = { key: "app.kubernetes.io/managed-by", value: "pulumi-etcd" } as const;
const TOKEN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
/** A bootstrap token's expiration as the tokencleaner reads it (RFC 3339, UTC, whole seconds). */
const EXPIRATION = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/** The longest bootstrap token lifetime accepted: 10 years (beyond it, use a token that never expires). */
export const MAX_TOKEN_TTL_HOURS = 87_600;

/** Why a token lifetime in hours is not acceptable, or undefined (undefined itself means no expiry). */
export function tokenTtlProblem(ttlHours: unknown, what = "joinTokenTtlHours"): string | undefined {
  if (ttlHours === undefined) return undefined;
  if (typeof ttlHours !== "number" || !Number.isInteger(ttlHours) || ttlHours < 1 || ttlHours > MAX_TOKEN_TTL_HOURS)
    return `${what} ${JSON.stringify(ttlHours)} must be a whole number of hours from 1 to ${MAX_TOKEN_TTL_HOURS} (leave it out for a token that never expires)`;
  return undefined;
}

/** A token minted at nowMs with a lifetime of ttlHours expires then (the Secret's expiration). */
export function tokenExpiration(nowMs: number, ttlHours: number): string {
  return new Date(Math.floor(nowMs / 1000) * 1000 + ttlHours * 3_600_000).toISOString().replace(/\.000Z$/, "Z");
}

export interface BootstrapSpec {
  /** abcdef.0123456789abcdef */
  token: string;
  /** When the token expires (RFC 3339 UTC), or "" / undefined for never. */
  tokenExpiration?: string;
  caCertPem: string;
  /** The endpoint joining nodes use (cluster-info's server, kubeadm's controlPlaneEndpoint). */
  server: string;
  /** What kubeadm join reads from kubeadm-config and kubelet-config. */
  cluster: Omit<KubeadmClusterFacts, "controlPlaneEndpoint">;
}

/** kubeadm's `--discovery-token-ca-cert-hash`: sha256 of the CA certificate's SubjectPublicKeyInfo. */
export function caCertHash(caCertPem: string): string {
  const spki = new X509Certificate(caCertPem).publicKey.export({ type: "spki", format: "der" });
  return `sha256:${createHash("sha256").update(spki).digest("hex")}`;
}

/** A List of the objects, as JSON (kubectl apply reads it). The token is in it: send it as a secret. */
export function renderBootstrapManifests(spec: BootstrapSpec): string {
  const m = TOKEN.exec(spec.token);
  if (!m) throw new Error("a bootstrap token looks like abcdef.0123456789abcdef");
  const [, id, secret] = m;
  const expiration = spec.tokenExpiration ?? "";
  if (expiration !== "" && !EXPIRATION.test(expiration))
    throw new Error(`a bootstrap token expiration looks like 2030-01-02T03:04:05Z, not ${JSON.stringify(expiration)}`);
  const cluster: KubeadmClusterFacts = { ...spec.cluster, controlPlaneEndpoint: spec.server };
  const subject = (kind: "Group" | "User", name: string) => ({ apiGroup: "rbac.authorization.k8s.io", kind, name });
  // A Role that may get one ConfigMap of kube-system, bound to the token's group and to nodes (as kubeadm binds it).
  const readOne = (role: string, configMap: string, subjects: { apiGroup: string; kind: string; name: string }[]) => [
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: role, namespace: "kube-system" },
      rules: [{ apiGroups: [""], resources: ["configmaps"], resourceNames: [configMap], verbs: ["get"] }],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: role, namespace: "kube-system" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role },
      subjects,
    },
  ];
  const crb = (name: string, role: string, group: string) => ({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: group }],
  });
  const items = [
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: `bootstrap-token-${id}`, namespace: "kube-system", labels: { [TOKEN_LABEL.key]: TOKEN_LABEL.value } },
      type: "bootstrap.kubernetes.io/token",
      stringData: {
        description: "pulumi-etcd KubeControlPlane join token",
        ...(expiration ? { expiration } : {}),
        "token-id": id,
        "token-secret": secret,
        "usage-bootstrap-authentication": "true",
        "usage-bootstrap-signing": "true",
        "auth-extra-groups": BOOTSTRAP_GROUP,
      },
    },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "cluster-info", namespace: "kube-public" },
      // Only the cluster's CA and endpoint; the bootstrapsigner adds jws-kubeconfig-<id>.
      data: { kubeconfig: clusterInfoKubeconfig(spec) },
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "kubeadm:bootstrap-signer-clusterinfo", namespace: "kube-public" },
      rules: [{ apiGroups: [""], resources: ["configmaps"], resourceNames: ["cluster-info"], verbs: ["get"] }],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "kubeadm:bootstrap-signer-clusterinfo", namespace: "kube-public" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "kubeadm:bootstrap-signer-clusterinfo" },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "system:anonymous" }],
    },
    // kubeadm join reads its Node with the token before the TLS bootstrap.
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "kubeadm:get-nodes" },
      rules: [{ apiGroups: [""], resources: ["nodes"], verbs: ["get"] }],
    },
    crb("kubeadm:get-nodes", "kubeadm:get-nodes", BOOTSTRAP_GROUP),
    crb("kubeadm:kubelet-bootstrap", "system:node-bootstrapper", BOOTSTRAP_GROUP),
    crb("kubeadm:node-autoapprove-bootstrap", "system:certificates.k8s.io:certificatesigningrequests:nodeclient", BOOTSTRAP_GROUP),
    crb(
      "kubeadm:node-autoapprove-certificate-rotation",
      "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
      "system:nodes",
    ),
    // kubeadm join reads the cluster's configuration, then the kubelets' (uploadconfig, kubelet phases).
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: KUBEADM_CONFIG.configMap, namespace: "kube-system" },
      data: { [KUBEADM_CONFIG.key]: renderClusterConfiguration(cluster) },
    },
    ...readOne(KUBEADM_CONFIG.role, KUBEADM_CONFIG.configMap, [subject("Group", BOOTSTRAP_GROUP), subject("Group", "system:nodes")]),
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: KUBELET_CONFIG.configMap, namespace: "kube-system" },
      data: { [KUBELET_CONFIG.key]: renderKubeletConfiguration(cluster) },
    },
    ...readOne(KUBELET_CONFIG.role, KUBELET_CONFIG.configMap, [subject("Group", "system:nodes"), subject("Group", BOOTSTRAP_GROUP)]),
  ];
  return JSON.stringify({ apiVersion: "v1", kind: "List", items }, null, 2) + "\n";
}

/** cluster-info's kubeconfig: the cluster only, no user (kubeadm's shape). */
export function clusterInfoKubeconfig(spec: { caCertPem: string; server: string }): string {
  const b64 = Buffer.from(spec.caCertPem).toString("base64");
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- cluster:",
    `    certificate-authority-data: ${b64}`,
    `    server: ${spec.server}`,
    '  name: ""',
    "contexts: null",
    'current-context: ""',
    "preferences: {}",
    "users: null",
    "",
  ].join("\n");
}
