// E2E program: an EtcdCluster that can take an on-demand snapshot to S3 (s3rver) and be restored
// from a snapshot (config `restore`: {generation, key | file | host, sha256?}).
import * as pulumi from "@pulumi/pulumi";
import { EtcdCluster, EtcdSnapshot } from "../../../../dist/components";

interface MemberConfig {
  name: string;
  ip: string;
  hostKey: string;
}
interface RestoreConfig {
  generation: number;
  key?: string;
  file?: string;
  host?: { member: string; path: string };
  sha256?: string;
  /** Use the instance role from this metadata service instead of keys. */
  imds?: string;
}
const config = new pulumi.Config();
const sshKey = config.requireSecret("sshKey");
const s3 = {
  endpoint: config.require("s3Endpoint"),
  bucket: config.require("s3Bucket"),
  accessKeyId: config.require("s3AccessKey"),
  secretAccessKey: config.requireSecret("s3SecretKey"),
};
const r = config.getObject<RestoreConfig>("restore");
const cluster = new EtcdCluster(config.require("clusterName"), {
  members: config.requireObject<MemberConfig[]>("members").map((m) => ({
    name: m.name,
    connection: { host: m.ip, user: "root", privateKey: sshKey, hostKey: m.hostKey },
  })),
  version: config.require("version"),
  sha256: config.require("sha256"),
  downloadUrl: config.require("downloadUrl"),
  restore: r && {
    generation: r.generation,
    source: r.key
      ? { s3: r.imds ? { endpoint: s3.endpoint, bucket: s3.bucket, key: r.key, instanceMetadataEndpoint: r.imds } : { ...s3, key: r.key } }
      : r.file
        ? { file: r.file }
        : { host: r.host! },
    sha256: r.sha256,
  },
});

const trigger = config.get("snapshotTrigger");
const snap = trigger ? new EtcdSnapshot("snapshot", { cluster, trigger, localDir: "", s3: { ...s3, prefix: "ondemand/" } }) : undefined;
export const snapshot = snap && { file: snap.file, sha256: snap.sha256, revision: snap.revision, location: snap.location };

export const clientEndpoints = cluster.clientEndpoints;
export const caCertPem = cluster.caCertPem;
export const adminCertPem = cluster.admin.certPem;
export const adminKeyPem = cluster.admin.privateKeyPem;
export const clusterId = cluster.clusterId;
export const restoreArchives = cluster.restoreArchives;
