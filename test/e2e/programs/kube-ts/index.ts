// E2E program: a KubeControlPlane on bed hosts, shaped by stack config: on an external EtcdCluster
// (etcdHosts given) or a stacked one (no etcdHosts, or etcdMode "stacked": the EtcdCluster on
// etcdHosts then stays declared, unused, ready for a switch), behind dedicated haproxy hosts (lbHosts)
// or a local haproxy; restore / restoreState / allowEtcdOverwrite as given.
import * as pulumi from "@pulumi/pulumi";
import { EtcdCluster, KubeControlPlane } from "../../../../dist/components";

interface HostConfig {
  name: string;
  ip: string;
  hostKey: string;
}
const config = new pulumi.Config();
const sshKey = config.requireSecret("sshKey");
const connection = (h: HostConfig) => ({ host: h.ip, user: "root", privateKey: sshKey, hostKey: h.hostKey });
const etcdHosts = config.getObject<HostConfig[]>("etcdHosts");
const lbHosts = config.getObject<HostConfig[]>("lbHosts");
const etcdVersion = config.require("etcdVersion");
const etcdSource = { version: etcdVersion, sha256: config.require("etcdSha256"), downloadUrl: config.require("etcdDownloadUrl") };

const etcd = etcdHosts
  ? new EtcdCluster("etcd", { members: etcdHosts.map((h) => ({ name: h.name, connection: connection(h) })), ...etcdSource })
  : undefined;

const cp = new KubeControlPlane("cp", {
  hosts: config.requireObject<HostConfig[]>("cpHosts").map((h) => ({ name: h.name, connection: connection(h) })),
  version: config.require("version"),
  sha256: config.requireObject("sha256"),
  downloadUrl: config.require("downloadUrl"),
  etcd:
    etcd && config.get("etcdMode") !== "stacked"
      ? { external: { cluster: etcd } }
      : config.get("etcdEndpoints")
        ? // An etcd this program does not manage: its endpoints, CA and CA key.
          {
            external: {
              endpoints: config.requireObject<string[]>("etcdEndpoints"),
              caCertPem: config.require("etcdCaCertPem"),
              caPrivateKeyPem: config.requireSecret("etcdCaKeyPem"),
            },
          }
        : { stacked: etcdSource },
  loadBalancer: lbHosts
    ? { hosts: lbHosts.map((h) => ({ name: h.name, connection: connection(h) })) }
    : config.getBoolean("localLb")
      ? { local: true }
      : undefined,
  serviceCidr: config.get("serviceCidr"),
  extraArgs: config.getObject("extraArgs"),
  audit: config.getBoolean("audit"),
  restore: config.getObject("restore"),
  restoreState: config.get("restoreState"),
  allowEtcdOverwrite: config.getBoolean("allowEtcdOverwrite"),
  joinTokenTtlHours: config.getNumber("joinTokenTtlHours"),
  joinTokenRotation: config.getNumber("joinTokenRotation"),
});

export const endpoint = cp.endpoint;
export const adminKubeconfig = cp.adminKubeconfig;
export const caCertPem = cp.caCertPem;
export const joinToken = cp.joinToken;
export const caCertHash = cp.caCertHash;
export const joinTokenExpiresAt = cp.joinTokenExpiresAt;
export const certificatesNotAfter = cp.certificatesNotAfter;
export const etcdEndpoints = cp.etcdEndpoints;
export const leaders = cp.leaders;
export const apiserverReadySeconds = cp.apiserverReadySeconds;
export const states = cp.states;
export const lastDataTransition = cp.lastDataTransition;
const etcdCluster = cp.etcdCluster ?? etcd;
export const etcdCaCertPem = etcdCluster?.caCertPem;
export const etcdAdminCertPem = etcdCluster?.admin.certPem;
export const etcdAdminKeyPem = etcdCluster?.admin.privateKeyPem;
