// What kubeadm creates so that kubelets can join with a bootstrap token (token discovery and TLS
// bootstrap): the token Secret, the cluster-info ConfigMap in kube-public (signed by the
// controller-manager's bootstrapsigner) readable anonymously, and the RBAC bindings that let
// bootstrapping kubelets create CSRs that the csrapproving controller approves.
import { createHash, X509Certificate } from "node:crypto";

export const BOOTSTRAP_GROUP = "system:bootstrappers:kubeadm:default-node-token";
const TOKEN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;

/** kubeadm's `--discovery-token-ca-cert-hash`: sha256 of the CA certificate's SubjectPublicKeyInfo. */
export function caCertHash(caCertPem: string): string {
  const spki = new X509Certificate(caCertPem).publicKey.export({ type: "spki", format: "der" });
  return `sha256:${createHash("sha256").update(spki).digest("hex")}`;
}

/** A List of the objects, as JSON (kubectl apply reads it). The token is in it: send it as a secret. */
export function renderBootstrapManifests(spec: { token: string; caCertPem: string; server: string; clusterName: string }): string {
  const m = TOKEN.exec(spec.token);
  if (!m) throw new Error("a bootstrap token looks like abcdef.0123456789abcdef");
  const [, id, secret] = m;
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
      metadata: { name: `bootstrap-token-${id}`, namespace: "kube-system" },
      type: "bootstrap.kubernetes.io/token",
      stringData: {
        description: "pulumi-etcd KubeControlPlane join token",
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
