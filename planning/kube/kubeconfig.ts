// kubeconfig files with embedded certificates, as kubeadm writes them.
export interface KubeconfigSpec {
  clusterName: string;
  server: string;
  caCertPem: string;
  user: string;
  clientCertPem?: string;
  clientKeyPem?: string;
  token?: string;
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

export function renderKubeconfig(k: KubeconfigSpec): string {
  const context = `${k.user}@${k.clusterName}`;
  const user = k.token
    ? [`    token: ${k.token}`]
    : [`    client-certificate-data: ${b64(k.clientCertPem ?? "")}`, `    client-key-data: ${b64(k.clientKeyPem ?? "")}`];
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- cluster:",
    `    certificate-authority-data: ${b64(k.caCertPem)}`,
    `    server: ${k.server}`,
    `  name: ${k.clusterName}`,
    "contexts:",
    "- context:",
    `    cluster: ${k.clusterName}`,
    `    user: ${k.user}`,
    `  name: ${context}`,
    `current-context: ${context}`,
    "preferences: {}",
    "users:",
    `- name: ${k.user}`,
    "  user:",
    ...user,
    "",
  ].join("\n");
}
