// A 3-member etcd cluster on hosts you already have, listed in stack config (a sample with every key:
// Pulumi.example.yaml): hosts (name, ip, hostKey, optional user) and the SSH key as a secret,
//   pulumi config set --secret sshKey < ~/.ssh/id_ed25519
// Optional: version, sha256 (for a version the package pins no checksum for), downloadUrl (a mirror).
// With controlPlane (hosts and lbHosts, Kubernetes version, the binaries' sha256, downloadUrl): a
// Kubernetes control plane on those hosts, on this etcd, behind haproxy on the lbHosts.
// A package consumer imports "@pulumi-etcd/etcd"; inside this repository the example uses the build.
import * as pulumi from "@pulumi/pulumi";
import { EtcdCluster, KubeControlPlane } from "../../dist/components";

interface Host {
  name: string;
  ip: string;
  hostKey: string;
  user?: string;
}
const config = new pulumi.Config();
const hosts = config.requireObject<Host[]>("hosts");
const sshKey = config.requireSecret("sshKey");
const connection = (h: Host) => ({ host: h.ip, user: h.user ?? "root", privateKey: sshKey, hostKey: h.hostKey });

const etcd = new EtcdCluster("etcd", {
  members: hosts.map((h) => ({
    name: h.name,
    connection: connection(h),
  })),
  version: config.get("version"),
  sha256: config.get("sha256"),
  downloadUrl: config.get("downloadUrl"),
  tuning: { autoCompactionMode: "periodic", autoCompactionRetention: "1h" },
});

export const clientEndpoints = etcd.clientEndpoints;
export const caCertPem = etcd.caCertPem;
export const adminCertPem = etcd.admin.certPem;
export const adminKeyPem = etcd.admin.privateKeyPem;
export const etcdctlEnv = etcd.etcdctlEnv;
export const clusterId = etcd.clusterId;

interface ControlPlaneConfig {
  hosts: Host[];
  lbHosts: Host[];
  version: string;
  sha256?: Record<string, string>;
  downloadUrl?: string;
}
const cpConfig = config.getObject<ControlPlaneConfig>("controlPlane");
const cp = cpConfig
  ? new KubeControlPlane("kube", {
      hosts: cpConfig.hosts.map((h) => ({ name: h.name, connection: connection(h) })),
      version: cpConfig.version,
      sha256: cpConfig.sha256,
      downloadUrl: cpConfig.downloadUrl,
      etcd: { external: { cluster: etcd } },
      loadBalancer: { hosts: cpConfig.lbHosts.map((h) => ({ name: h.name, connection: connection(h) })) },
    })
  : undefined;
export const kubeEndpoint = cp?.endpoint;
export const kubeconfig = cp?.adminKubeconfig;
