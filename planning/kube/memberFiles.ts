// Every file a control-plane host gets in /etc/kubernetes, rendered from the PKI and settings: the
// bundle the kube-files host step lays out (sent on stdin, as a secret).
import { DEFAULT_AUDIT_POLICY, renderEncryptionConfig, renderSchedulerConfig } from "./configFiles";
import { renderKubeconfig } from "./kubeconfig";
import { KUBE_FILES, KubeFile } from "./layout";

export interface PemPair {
  certPem: string;
  privateKeyPem: string;
}

export interface MemberPki {
  ca: PemPair;
  apiserver: PemPair;
  apiserverKubeletClient: PemPair;
  frontProxyCa: PemPair;
  frontProxyClient: PemPair;
  serviceAccount: { privateKeyPem: string; publicKeyPem: string };
  etcdCaCertPem: string;
  etcdClient: PemPair;
  admin: PemPair;
  controllerManager: PemPair;
  scheduler: PemPair;
}

export interface MemberFileSettings {
  clusterName: string;
  /** The URL admin.conf points at (the load balancer). */
  endpoint: string;
  /** This host's own apiserver URL: the controller-manager and scheduler talk to it. */
  localServer: string;
  /** The base64 32-byte key for Secrets at rest, or undefined (encryption off). */
  encryptionKey?: string;
  /** The audit policy (YAML), or undefined (audit off). */
  auditPolicy?: string;
}

export function renderMemberFiles(pki: MemberPki, s: MemberFileSettings): [string, string][] {
  const kubeconfig = (user: string, pair: PemPair, server: string) =>
    renderKubeconfig({
      clusterName: s.clusterName,
      server,
      caCertPem: pki.ca.certPem,
      user,
      clientCertPem: pair.certPem,
      clientKeyPem: pair.privateKeyPem,
    });
  const files: Partial<Record<KubeFile, string>> = {
    caCert: pki.ca.certPem,
    caKey: pki.ca.privateKeyPem,
    apiserverCert: pki.apiserver.certPem,
    apiserverKey: pki.apiserver.privateKeyPem,
    kubeletClientCert: pki.apiserverKubeletClient.certPem,
    kubeletClientKey: pki.apiserverKubeletClient.privateKeyPem,
    frontProxyCaCert: pki.frontProxyCa.certPem,
    frontProxyCaKey: pki.frontProxyCa.privateKeyPem,
    frontProxyClientCert: pki.frontProxyClient.certPem,
    frontProxyClientKey: pki.frontProxyClient.privateKeyPem,
    saKey: pki.serviceAccount.privateKeyPem,
    saPub: pki.serviceAccount.publicKeyPem,
    etcdCaCert: pki.etcdCaCertPem,
    etcdClientCert: pki.etcdClient.certPem,
    etcdClientKey: pki.etcdClient.privateKeyPem,
    adminConf: kubeconfig("kubernetes-admin", pki.admin, s.endpoint),
    controllerManagerConf: kubeconfig("system:kube-controller-manager", pki.controllerManager, s.localServer),
    schedulerConf: kubeconfig("system:kube-scheduler", pki.scheduler, s.localServer),
    schedulerConfig: renderSchedulerConfig(),
  };
  if (s.encryptionKey) files.encryptionConfig = renderEncryptionConfig(s.encryptionKey);
  if (s.auditPolicy) files.auditPolicy = s.auditPolicy;
  return (Object.entries(files) as [KubeFile, string][]).map(([k, text]) => [KUBE_FILES[k], text.endsWith("\n") ? text : `${text}\n`]);
}

/** The bundle kube-files reads on stdin. */
export function fileBundle(files: [string, string][]): string {
  return files.map(([path, text]) => `#pe-file ${path}\n${text}`).join("");
}

export { DEFAULT_AUDIT_POLICY };
