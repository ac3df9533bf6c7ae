// E2E program: an EtcdCluster on bed hosts with a SnapshotSchedule (local only) and a defrag timer, the same program
// run from two stacks with their own state at once (the cluster lock, issue 14).
import * as pulumi from "@pulumi/pulumi";
import { EtcdCluster, SnapshotSchedule } from "../../../../dist/components";

interface MemberConfig {
  name: string;
  ip: string;
  hostKey: string;
}
const config = new pulumi.Config();
const sshKey = config.requireSecret("sshKey");
const cluster = new EtcdCluster(config.require("clusterName"), {
  members: config.requireObject<MemberConfig[]>("members").map((m) => ({
    name: m.name,
    connection: { host: m.ip, user: "root", privateKey: sshKey, hostKey: m.hostKey },
  })),
  version: config.require("version"),
  sha256: config.require("sha256"),
  downloadUrl: config.require("downloadUrl"),
  tuning: config.getObject("tuning"),
  lockTimeoutSeconds: config.getNumber("lockTimeoutSeconds"),
  // Timers that never fire on their own (the test starts their services by hand).
  maintenance: { defragSchedule: "2099-01-01 00:00:00", nospaceCheckSchedule: "" },
});

// The test starts the timer's service by hand; the schedule itself never fires during a test.
new SnapshotSchedule("backups", { cluster, schedule: "2099-01-01 00:00:00", keep: 2 });

export const clientEndpoints = cluster.clientEndpoints;
export const caCertPem = cluster.caCertPem;
export const adminCertPem = cluster.admin.certPem;
export const adminKeyPem = cluster.admin.privateKeyPem;
export const memberList = cluster.members;
export const clusterId = cluster.clusterId;
