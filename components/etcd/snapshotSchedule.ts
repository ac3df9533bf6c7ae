// SnapshotSchedule: a systemd timer on every member; at each tick only the current leader takes a
// snapshot (so one per interval), checks it with etcdutl, compresses it and keeps it locally and/or
// in an S3-compatible bucket with a metadata file, then applies retention. The runner is
// hosts/etcd/etcd-snapshot-run.sh, embedded in etcd-snapshot-schedule; its settings (possibly S3
// credentials) reach the hosts on stdin only.
import * as pulumi from "@pulumi/pulumi";
import {
  DEFAULT_SNAPSHOT_SCHEDULE,
  renderSnapshotService,
  renderSnapshotTimer,
  S3Target as PlanS3Target,
  SnapshotTarget,
  snapshotScheduleProblems,
  snapshotSettings,
} from "../../planning/etcd/snapshotSpec";
import { EtcdCluster, EtcdClusterMember } from "./etcdCluster";
import { HostScript } from "../common/customResources";

/** Where snapshots go in S3; the keys may be secrets (outputs). */
export type S3Target = PlanS3Target<pulumi.Input<string>>;

/** Which cluster: an EtcdCluster object (TypeScript), or its name and members as given to it (any language). */
export interface ClusterRef {
  /** The EtcdCluster (TypeScript only; from other languages give clusterName and members). */
  cluster?: EtcdCluster;
  /**
   * The EtcdCluster's name (its resource name).
   * @required
   */
  clusterName?: string;
  /**
   * The cluster's members, as given to the EtcdCluster (with dependsOn: the cluster).
   * @required
   */
  members?: EtcdClusterMember[];
}

export interface SnapshotScheduleArgs extends ClusterRef, SnapshotTarget<pulumi.Input<string>> {
  /** A systemd OnCalendar expression; default every 6 hours. */
  schedule?: string;
}

/** The cluster's name, its hosts, and what the snapshot steps wait for. */
function resolve(ref: ClusterRef, opts: pulumi.ComponentResourceOptions | undefined, problems: string[]) {
  if (ref.cluster && (ref.clusterName || ref.members)) problems.push("give cluster, or clusterName and members, not both");
  if (ref.cluster) return { clusterName: ref.cluster.clusterName, hosts: ref.cluster.hosts, dependsOn: [ref.cluster] as pulumi.Resource[] };
  if (!ref.clusterName || !Array.isArray(ref.members) || ref.members.length === 0)
    problems.push("give the cluster: cluster (an EtcdCluster), or clusterName and members (as given to the EtcdCluster)");
  // From other languages the component's own dependsOn (the cluster) is passed on to its steps.
  const deps = opts?.dependsOn;
  const dependsOn = (Array.isArray(deps) ? deps : deps ? [deps] : []) as pulumi.Resource[];
  return {
    clusterName: ref.clusterName ?? "",
    hosts: (ref.members ?? []).map((m) => ({ name: m.name, connection: m.connection })),
    dependsOn,
  };
}

/** The runner's settings for one member, as a secret (it may hold S3 keys). */
function settings(t: SnapshotTarget<pulumi.Input<string>>, clusterName: string, member: string): pulumi.Output<string> {
  return pulumi.secret(
    pulumi
      .all([t.s3?.accessKeyId, t.s3?.secretAccessKey])
      .apply(([accessKeyId, secretAccessKey]) =>
        snapshotSettings({ ...t, s3: t.s3 && { ...t.s3, accessKeyId, secretAccessKey } }, clusterName, member),
      ),
  );
}

/**
 * A systemd timer on every member; at each tick the leader takes a snapshot, checks it, keeps it
 * locally and/or in S3 with metadata, and applies retention.
 */
export class SnapshotSchedule extends pulumi.ComponentResource {
  constructor(name: string, args: SnapshotScheduleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etcd:index:SnapshotSchedule", name, {}, opts);
    const problems = snapshotScheduleProblems(args);
    const target = resolve(args, opts, problems);
    if (problems.length) throw new Error(`SnapshotSchedule ${name}: invalid inputs, nothing was changed:\n  - ${problems.join("\n  - ")}`);
    const onCalendar = args.schedule ?? DEFAULT_SNAPSHOT_SCHEDULE;
    // The units are rendered here (pure, golden-tested); the host checks the schedule with systemd-analyze.
    const env = { PE_ON_CALENDAR: onCalendar, PE_TIMER_UNIT: renderSnapshotTimer(onCalendar), PE_SERVICE_UNIT: renderSnapshotService() };
    for (const h of target.hosts) {
      new HostScript(
        `${name}-${h.name}`,
        {
          connection: h.connection,
          create: {
            script: "etcd-snapshot-schedule",
            env,
            stdin: settings(args, target.clusterName, h.name),
          },
          delete: { script: "etcd-snapshot-unschedule" },
          unreachableOnDelete: "skip",
        },
        { parent: this, dependsOn: target.dependsOn },
      );
    }
    this.registerOutputs({});
  }
}

export interface EtcdSnapshotArgs extends SnapshotTarget<pulumi.Input<string>>, ClusterRef {
  /** The member that takes it; default the first. */
  member?: string;
  /** Change it to take a new snapshot (e.g. a date, or the version you are about to upgrade to). */
  trigger?: pulumi.Input<string>;
}

/** One snapshot, taken when created or when `trigger` changes (for example before an upgrade). */
export class EtcdSnapshot extends pulumi.ComponentResource {
  /** The snapshot's file name. */
  readonly file: pulumi.Output<string>;
  /** sha256 of the file as stored. */
  readonly sha256: pulumi.Output<string>;
  /** The revision the snapshot holds. */
  readonly revision: pulumi.Output<string>;
  /** s3://bucket/prefix/file, or host:/dir/file when kept only locally. */
  readonly location: pulumi.Output<string>;

  constructor(name: string, args: EtcdSnapshotArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etcd:index:EtcdSnapshot", name, {}, opts);
    const problems = snapshotScheduleProblems(args);
    const target = resolve(args, opts, problems);
    const host = args.member ? target.hosts.find((h) => h.name === args.member) : target.hosts[0];
    if (!host && problems.length === 0) problems.push(`member ${JSON.stringify(args.member)} is not a member of the cluster`);
    if (problems.length) throw new Error(`EtcdSnapshot ${name}: invalid inputs, nothing was changed:\n  - ${problems.join("\n  - ")}`);
    const step = {
      script: "etcd-snapshot-now",
      env: { PE_TRIGGER: args.trigger ?? "" },
      stdin: settings(args, target.clusterName, host!.name),
    };
    const run = new HostScript(
      name,
      { connection: host!.connection, create: step, update: step },
      { parent: this, dependsOn: target.dependsOn },
    );
    this.file = run.outputs.apply((o) => o.file);
    this.sha256 = run.outputs.apply((o) => o.sha256);
    this.revision = run.outputs.apply((o) => o.revision);
    this.location = run.outputs.apply((o) => o.location);
    this.registerOutputs({ file: this.file, sha256: this.sha256, revision: this.revision, location: this.location });
  }
}
