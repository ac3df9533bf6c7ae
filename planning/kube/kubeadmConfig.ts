// The two configurations `kubeadm join` reads from the cluster with the bootstrap token, as kubeadm
// init would have stored them: the ClusterConfiguration (kube-system/kubeadm-config, key
// ClusterConfiguration; kubeadm's phases/uploadconfig) and the kubelets' shared KubeletConfiguration
// (kube-system/kubelet-config, key kubelet; kubeadm's phases/kubelet and componentconfigs/kubelet.go
// defaults). kubeadm reads the ClusterConfiguration strictly and warns about unknown fields, so only
// kubeadm.k8s.io/v1beta4 fields are written (the version kubeadm 1.36 and 1.37 prefer).
import { kubePath, PKI_DIR } from "./layout";
import { clusterDnsIp } from "./serviceNetwork";

export const KUBEADM_CONFIG = { configMap: "kubeadm-config", key: "ClusterConfiguration", role: "kubeadm:nodes-kubeadm-config" } as const;
export const KUBELET_CONFIG = { configMap: "kubelet-config", key: "kubelet", role: "kubeadm:kubelet-config" } as const;

export interface KubeadmClusterFacts {
  /** e.g. "1.37.2" (written as kubeadm does, "v1.37.2"). */
  kubernetesVersion: string;
  /** The endpoint joining nodes use, as a URL (https://host:port) or host:port. */
  controlPlaneEndpoint: string;
  clusterName: string;
  serviceCidr: string;
  dnsDomain: string;
  /** The etcd client URLs the apiservers use. */
  etcdEndpoints: string[];
  /** The key algorithm of the certificates (kubeadm's encryptionAlgorithm): ECDSA-P256 (the package's default), RSA-2048 or RSA-4096. */
  keyAlgorithm?: string;
}

// A YAML scalar: plain when it cannot be read as anything but this string, else double-quoted
// (JSON's quoting is YAML's). IPs and CIDRs start with a digit and are quoted.
const PLAIN = /^[A-Za-z/][A-Za-z0-9_./@:-]*$/;
const RESERVED = /^(y|n|yes|no|true|false|on|off|null)$/i;
function scalar(value: string | number | boolean): string {
  if (typeof value !== "string") return String(value);
  return PLAIN.test(value) && !RESERVED.test(value) && !value.endsWith(":") ? value : JSON.stringify(value);
}

/** host:port of an endpoint given as a URL or as host:port (IPv6 in brackets either way). */
export function hostPort(endpoint: string): string {
  const m = /^(?:https:\/\/)?((?:\[[0-9a-fA-F:.]+\]|[^:/[\]\s]+):\d{1,5})\/?$/.exec(endpoint);
  if (!m) throw new Error(`${JSON.stringify(endpoint)} is not https://host:port or host:port`);
  return m[1];
}

const KEY_ALGORITHMS = ["ECDSA-P256", "RSA-2048", "RSA-4096"];

/**
 * The ClusterConfiguration, keys in the order kubeadm marshals them (sorted). etcd is always
 * `external`, with the apiservers' files: kubeadm's `local` means an etcd static pod that kubeadm
 * creates and upgrades, which a stacked etcd of this package is not (a systemd unit it manages).
 * The DNS and kube-proxy addons are marked disabled: the package installs neither, and `kubeadm
 * upgrade` must not install them behind the user's back.
 */
export function renderClusterConfiguration(f: KubeadmClusterFacts): string {
  if (!/^\d+\.\d+\.\d+$/.test(f.kubernetesVersion))
    throw new Error(`kubernetesVersion ${JSON.stringify(f.kubernetesVersion)} is not x.y.z`);
  if (f.etcdEndpoints.length === 0) throw new Error("the ClusterConfiguration needs the etcd endpoints");
  const keyAlgorithm = f.keyAlgorithm ?? KEY_ALGORITHMS[0];
  if (!KEY_ALGORITHMS.includes(keyAlgorithm))
    throw new Error(`keyAlgorithm ${JSON.stringify(keyAlgorithm)} is not one of ${KEY_ALGORITHMS.join(", ")}`);
  return [
    "apiServer: {}",
    "apiVersion: kubeadm.k8s.io/v1beta4",
    `certificatesDir: ${scalar(PKI_DIR)}`,
    `clusterName: ${scalar(f.clusterName)}`,
    `controlPlaneEndpoint: ${scalar(hostPort(f.controlPlaneEndpoint))}`,
    "controllerManager: {}",
    "dns:",
    "  disabled: true",
    `encryptionAlgorithm: ${scalar(keyAlgorithm)}`,
    "etcd:",
    "  external:",
    `    caFile: ${scalar(kubePath("etcdCaCert"))}`,
    `    certFile: ${scalar(kubePath("etcdClientCert"))}`,
    "    endpoints:",
    ...f.etcdEndpoints.map((e) => `    - ${scalar(e)}`),
    `    keyFile: ${scalar(kubePath("etcdClientKey"))}`,
    "kind: ClusterConfiguration",
    `kubernetesVersion: ${scalar(`v${f.kubernetesVersion}`)}`,
    "networking:",
    `  dnsDomain: ${scalar(f.dnsDomain)}`,
    `  serviceSubnet: ${scalar(f.serviceCidr)}`,
    "proxy:",
    "  disabled: true",
    "scheduler: {}",
    "",
  ].join("\n");
}

/**
 * The kubelets' KubeletConfiguration with kubeadm's defaults (componentconfigs/kubelet.go): cluster
 * DNS at the 10th service address, webhook authentication and authorization against the apiserver,
 * no anonymous access, client certificates from the cluster CA, the systemd cgroup driver, client
 * certificate rotation, health on 127.0.0.1:10248, static pods from /etc/kubernetes/manifests.
 * (kubeadm also sets resolvConf when the init host runs systemd-resolved: a fact of that one host,
 * so it is left to each node.)
 */
export function renderKubeletConfiguration(f: Pick<KubeadmClusterFacts, "serviceCidr" | "dnsDomain">): string {
  return [
    "apiVersion: kubelet.config.k8s.io/v1beta1",
    "authentication:",
    "  anonymous:",
    "    enabled: false",
    "  webhook:",
    "    enabled: true",
    "  x509:",
    `    clientCAFile: ${scalar(kubePath("caCert"))}`,
    "authorization:",
    "  mode: Webhook",
    "cgroupDriver: systemd",
    "clusterDNS:",
    `- ${scalar(clusterDnsIp(f.serviceCidr))}`,
    `clusterDomain: ${scalar(f.dnsDomain)}`,
    `healthzBindAddress: ${scalar("127.0.0.1")}`,
    "healthzPort: 10248",
    "kind: KubeletConfiguration",
    "rotateCertificates: true",
    "staticPodPath: /etc/kubernetes/manifests",
    "",
  ].join("\n");
}
