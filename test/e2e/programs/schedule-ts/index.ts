// E2E program: an EtcdCluster on bed hosts with a SnapshotSchedule to a local dir and S3 (s3rver).
import * as pulumi from "@pulumi/pulumi";
import { EtcdCluster, EtcdSnapshot, SnapshotSchedule } from "../../../../dist/components";

interface MemberConfig {
  name: string;
  ip: string;
  hostKey: string;
}
const config = new pulumi.Config();
const sshKey = config.requireSecret("sshKey");
const cluster = new EtcdCluster(pulumi.getStack(), {
  members: config.requireObject<MemberConfig[]>("members").map((m) => ({
    name: m.name,
    connection: { host: m.ip, user: "root", privateKey: sshKey, hostKey: m.hostKey },
  })),
  // Optional: the upgrade test leaves it out (a cluster that keeps the version it was created with).
  version: config.get("version"),
  sha256: config.require("sha256"),
  downloadUrl: config.require("downloadUrl"),
});

const s3 = (prefix?: string) => ({
  endpoint: config.require("s3Endpoint"),
  bucket: config.require("s3Bucket"),
  prefix,
  accessKeyId: config.require("s3AccessKey"),
  secretAccessKey: config.requireSecret("s3SecretKey"),
});
new SnapshotSchedule("backups", {
  cluster,
  schedule: config.get("schedule"),
  keep: config.getNumber("keep"),
  s3: s3(config.get("s3Prefix")),
});

// An on-demand snapshot, taken again whenever the trigger changes.
const trigger = config.get("onDemandTrigger");
const before = trigger ? new EtcdSnapshot("before-upgrade", { cluster, trigger, localDir: "", s3: s3("ondemand/") }) : undefined;
// The upgrade test runs this program with 0.1.0 too, whose EtcdCluster has no runningVersion.
export const runningVersion = (cluster as unknown as { runningVersion?: pulumi.Output<string> }).runningVersion;
export const onDemand = before && { file: before.file, sha256: before.sha256, revision: before.revision, location: before.location };

export const clientEndpoints = cluster.clientEndpoints;
export const caCertPem = cluster.caCertPem;
export const adminCertPem = cluster.admin.certPem;
export const adminKeyPem = cluster.admin.privateKeyPem;
