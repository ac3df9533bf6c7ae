// E2E program: an EtcdCluster on bed hosts, shaped by stack config.
import * as pulumi from "@pulumi/pulumi";
import { EtcdCluster, SnapshotSchedule } from "../../../../dist/components";

interface MemberConfig {
  name: string;
  ip: string;
  hostKey: string;
  addresses?: string[];
}
const config = new pulumi.Config();
const members = config.requireObject<MemberConfig[]>("members");
const sshKey = config.requireSecret("sshKey");

const cluster = new EtcdCluster(config.get("clusterName") ?? pulumi.getStack(), {
  members: members.map((m) => ({
    name: m.name,
    connection: { host: m.ip, user: "root", privateKey: sshKey, hostKey: m.hostKey },
    addresses: m.addresses,
  })),
  version: config.get("version"),
  sha256: config.get("sha256"),
  downloadUrl: config.get("downloadUrl"),
  tarballPath: config.get("tarballPath"),
  ports: config.getObject("ports"),
  tuning: config.getObject("tuning"),
  dataDir: config.get("dataDir"),
  purgeDataOnDestroy: config.getBoolean("purgeDataOnDestroy"),
  allowUnsafeScaleDown: config.getBoolean("allowUnsafeScaleDown"),
  healthTimeoutSeconds: config.getNumber("healthTimeoutSeconds"),
  startTimeoutSeconds: config.getNumber("startTimeoutSeconds"),
  restore: config.getObject("restore"),
  upgradeChecksums: config.getObject("upgradeChecksums"),
  allowUpgradeHops: config.getBoolean("allowUpgradeHops"),
  certValidityHours: config.getNumber("certValidityHours"),
  certRenewBeforeHours: config.getNumber("certRenewBeforeHours"),
  maintenance: config.getObject("maintenance"),
});

// With s3Bucket: a daily SnapshotSchedule to S3 only (an upgrade's first snapshot goes there too).
if (config.get("s3Bucket"))
  new SnapshotSchedule("backups", {
    cluster,
    schedule: "*-*-* 03:00:00",
    localDir: "",
    s3: {
      endpoint: config.require("s3Endpoint"),
      bucket: config.require("s3Bucket"),
      prefix: config.get("s3Prefix"),
      accessKeyId: config.require("s3AccessKey"),
      secretAccessKey: config.requireSecret("s3SecretKey"),
    },
  });

export const clientEndpoints = cluster.clientEndpoints;
export const caCertPem = cluster.caCertPem;
export const adminCertPem = cluster.admin.certPem;
export const adminKeyPem = cluster.admin.privateKeyPem;
export const adminNotAfter = cluster.admin.notAfter;
export const memberList = cluster.members;
export const etcdctlEnv = cluster.etcdctlEnv;
export const clusterId = cluster.clusterId;
export const etcdSha256 = cluster.memberResources.map((m) => m.etcdSha256);
export const runningVersion = cluster.runningVersion;
export const certificates = cluster.certificates;
