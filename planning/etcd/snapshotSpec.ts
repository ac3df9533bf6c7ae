// Snapshot settings (SnapshotSchedule, EtcdSnapshot): their validation and the runner's settings
// file (hosts/etcd/lib/snapshot.sh reads it from stdin; it may hold S3 keys).
import { S3Bucket, s3Parameters, s3Problems, settingsFile } from "../common/s3";

export const DEFAULT_SNAPSHOT_SCHEDULE = "*-*-* 00/6:00:00";

/** An S3-compatible bucket for snapshots. Without keys, each member uses its instance role (EC2 metadata, IMDSv2). */
export interface S3Target<Secret = string> extends S3Bucket<Secret> {
  /** Key prefix of the snapshots in the bucket, e.g. prod/. */
  prefix?: string;
}

/** Where and how snapshots are kept. */
export interface SnapshotTarget<Secret = string> {
  /** How many snapshots to keep, locally and remotely (the newest); default 5. */
  keep?: number;
  /** Local directory on the hosts, default /var/backups/etcd; "" for none. */
  localDir?: string;
  /** gzip (default) or none. */
  compression?: "gzip" | "none";
  /** An S3-compatible bucket the snapshots are also (or only) kept in. */
  s3?: S3Target<Secret>;
}

export interface SnapshotSpec extends SnapshotTarget<unknown> {
  /** A systemd OnCalendar expression; default every 6 hours. */
  schedule?: string;
}

export function snapshotScheduleProblems(a: SnapshotSpec): string[] {
  const p: string[] = [];
  if (a.keep !== undefined && (!Number.isInteger(a.keep) || a.keep < 1)) p.push(`keep must be an integer of at least 1, got ${a.keep}`);
  if (a.schedule !== undefined && !/^[0-9A-Za-z*:/,.~ -]+$/.test(a.schedule))
    p.push(`schedule ${JSON.stringify(a.schedule)} is not a systemd calendar expression`);
  if (a.localDir && !/^\/[A-Za-z0-9._/-]+$/.test(a.localDir)) p.push(`localDir must be an absolute path`);
  if (a.compression && !["gzip", "none"].includes(a.compression)) p.push(`compression must be gzip or none`);
  if (a.localDir === "" && !a.s3) p.push(`with no localDir and no s3 the snapshots would go nowhere`);
  if (a.s3) {
    p.push(...s3Problems(a.s3, "s3"));
    if (a.s3.prefix && !/^[A-Za-z0-9!_.*'()/-]+$/.test(a.s3.prefix)) p.push(`s3.prefix may hold letters, digits and !_.*'()/- only`);
  }
  return p;
}

/** The runner's settings file for one member (keys resolved). */
export function snapshotSettings(t: SnapshotTarget, clusterName: string, member: string): string {
  return settingsFile({
    PE_CLUSTER: clusterName,
    PE_MEMBER: member,
    PE_KEEP: String(t.keep ?? 5),
    PE_LOCAL_DIR: t.localDir ?? "/var/backups/etcd",
    PE_COMPRESS: t.compression ?? "gzip",
    ...s3Parameters(t.s3, { prefix: t.s3?.prefix ?? "" }),
  });
}

/** Where SnapshotSchedule installs the runner that the service starts. */
export const SNAPSHOT_RUNNER_PATH = "/usr/local/lib/pulumi-etcd/etcd-snapshot-run";

/** etcd-snapshot.timer: fires the snapshot service on the schedule (a systemd OnCalendar expression). */
export function renderSnapshotTimer(onCalendar: string): string {
  if (/[\n\r]/.test(onCalendar)) throw new Error(`schedule ${JSON.stringify(onCalendar)} must be one line`);
  return [
    "# Managed by pulumi-etcd.",
    "[Unit]",
    "Description=etcd snapshots (pulumi-etcd)",
    "",
    "[Timer]",
    `OnCalendar=${onCalendar}`,
    "AccuracySec=1s",
    "Persistent=true",
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
}

/** etcd-snapshot.service: one run of the snapshot runner (only the leader takes a snapshot). */
export function renderSnapshotService(): string {
  return [
    "# Managed by pulumi-etcd.",
    "[Unit]",
    "Description=etcd snapshot (pulumi-etcd; only the leader takes one)",
    "After=etcd.service",
    "",
    "[Service]",
    "Type=oneshot",
    `ExecStart=${SNAPSHOT_RUNNER_PATH}`,
    "Nice=10",
    "IOSchedulingClass=idle",
    "",
  ].join("\n");
}
