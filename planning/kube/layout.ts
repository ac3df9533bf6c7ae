// Where a control-plane host keeps its files: kubeadm's layout, so people's habits and tools that
// read it (kubeadm certs check-expiration, etc.) fit.
export const KUBE_DIR = "/etc/kubernetes";
export const PKI_DIR = `${KUBE_DIR}/pki`;
export const BIN_DIR = "/opt/kubernetes";
export const AUDIT_LOG_DIR = "/var/log/kubernetes";

/** The files the host gets, relative to KUBE_DIR, and whether each is a secret (mode 0600). */
export const KUBE_FILES = {
  caCert: "pki/ca.crt",
  caKey: "pki/ca.key",
  apiserverCert: "pki/apiserver.crt",
  apiserverKey: "pki/apiserver.key",
  kubeletClientCert: "pki/apiserver-kubelet-client.crt",
  kubeletClientKey: "pki/apiserver-kubelet-client.key",
  frontProxyCaCert: "pki/front-proxy-ca.crt",
  frontProxyCaKey: "pki/front-proxy-ca.key",
  frontProxyClientCert: "pki/front-proxy-client.crt",
  frontProxyClientKey: "pki/front-proxy-client.key",
  saKey: "pki/sa.key",
  saPub: "pki/sa.pub",
  etcdCaCert: "pki/etcd/ca.crt",
  etcdClientCert: "pki/apiserver-etcd-client.crt",
  etcdClientKey: "pki/apiserver-etcd-client.key",
  adminConf: "admin.conf",
  controllerManagerConf: "controller-manager.conf",
  schedulerConf: "scheduler.conf",
  schedulerConfig: "scheduler-config.yaml",
  encryptionConfig: "encryption-config.yaml",
  auditPolicy: "audit-policy.yaml",
} as const;
export type KubeFile = keyof typeof KUBE_FILES;

export function kubePath(f: KubeFile): string {
  return `${KUBE_DIR}/${KUBE_FILES[f]}`;
}

/** Files with key material or credentials: 0600, and only ever sent on stdin as secrets. */
export function isSecretFile(f: KubeFile): boolean {
  return /Key$/.test(f) || /Conf$/.test(f) || f === "encryptionConfig";
}

export const KUBE_COMPONENTS = ["kube-apiserver", "kube-controller-manager", "kube-scheduler"] as const;
export type KubeComponent = (typeof KUBE_COMPONENTS)[number];

export const DEFAULT_PORTS = { apiserver: 6443, controllerManager: 10257, scheduler: 10259 } as const;
