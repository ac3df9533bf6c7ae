// A 3-member etcd cluster on hosts you already have, listed in stack config (a sample with every key:
// Pulumi.example.yaml): hosts (name, ip, hostKey, optional user) and the SSH key as a secret,
//   pulumi config set --secret sshKey < ~/.ssh/id_ed25519
// Optional: version, sha256 (for a version the package pins no checksum for), downloadUrl (a mirror).
// A package consumer imports "@pulumi-etcd/etcd"; inside this repository the example uses the build.
import * as pulumi from "@pulumi/pulumi";
import { EtcdCluster } from "../../dist/components";

interface Host {
  name: string;
  ip: string;
  hostKey: string;
  user?: string;
}
const config = new pulumi.Config();
const hosts = config.requireObject<Host[]>("hosts");
const sshKey = config.requireSecret("sshKey");

const etcd = new EtcdCluster("etcd", {
  members: hosts.map((h) => ({
    name: h.name,
    connection: { host: h.ip, user: h.user ?? "root", privateKey: sshKey, hostKey: h.hostKey },
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
