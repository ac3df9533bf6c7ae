// SnapshotSchedule: a systemd timer on every member; at each tick only the current leader takes a
// snapshot (so one per interval), checks it with etcdutl, compresses it and keeps it locally and/or
// in an S3-compatible bucket with a metadata file, then applies retention. The runner is
// hosts/etcd-snapshot-run.sh; its settings (possibly S3 credentials) reach the hosts on stdin only.
import * as pulumi from "@pulumi/pulumi";
import { hostScript } from "../provider/host/scripts";
import { shellQuote } from "../provider/host/ssh";
import { EtcdCluster } from "./etcdCluster";
import { HostConnection } from "./connection";
import { HostScript } from "./resources";

export interface S3Target {
  /** e.g. https://s3.eu-west-1.amazonaws.com or an S3-compatible endpoint. */
  endpoint: string;
  region?: string;
  bucket: string;
  prefix?: string;
  /** Without keys, each member uses its instance role (EC2 metadata service, IMDSv2). */
  accessKeyId?: pulumi.Input<string>;
  secretAccessKey?: pulumi.Input<string>;
  /** Metadata service for the instance role; default http://169.254.169.254 (IPv6-only: http://[fd00:ec2::254]). */
  instanceMetadataEndpoint?: string;
}

/** Which cluster: an EtcdCluster object (TypeScript), or its name and members as given to it (any language). */
export interface ClusterRef {
  cluster?: EtcdCluster;
  clusterName?: string;
  members?: { name: string; connection: HostConnection }[];
}

export interface SnapshotScheduleArgs extends ClusterRef {
  /** A systemd OnCalendar expression; default every 6 hours. */
  schedule?: string;
  /** How many snapshots to keep, locally and remotely (the newest); default 5. */
  keep?: number;
  /** Local directory on the hosts, default /var/backups/etcd; "" for none. */
  localDir?: string;
  compression?: "gzip" | "none";
  s3?: S3Target;
}

export const DEFAULT_SNAPSHOT_SCHEDULE = "*-*-* 00/6:00:00";

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

export function snapshotScheduleProblems(a: Omit<SnapshotScheduleArgs, "cluster" | "clusterName" | "members">): string[] {
  const p: string[] = [];
  if (a.keep !== undefined && (!Number.isInteger(a.keep) || a.keep < 1)) p.push(`keep must be an integer of at least 1, got ${a.keep}`);
  if (a.schedule !== undefined && !/^[0-9A-Za-z*:/,.~ -]+$/.test(a.schedule))
    p.push(`schedule ${JSON.stringify(a.schedule)} is not a systemd calendar expression`);
  if (a.localDir && !/^\/[A-Za-z0-9._/-]+$/.test(a.localDir)) p.push(`localDir must be an absolute path`);
  if (a.compression && !["gzip", "none"].includes(a.compression)) p.push(`compression must be gzip or none`);
  if (a.localDir === "" && !a.s3) p.push(`with no localDir and no s3 the snapshots would go nowhere`);
  if (a.s3) {
    if (!/^https?:\/\/[^\s/]+/.test(a.s3.endpoint)) p.push(`s3.endpoint must be an http(s) URL`);
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(a.s3.bucket))
      p.push(`s3.bucket ${JSON.stringify(a.s3.bucket)} is not a valid bucket name`);
    if ((a.s3.accessKeyId === undefined) !== (a.s3.secretAccessKey === undefined))
      p.push(`s3: give both accessKeyId and secretAccessKey, or neither (the instance role)`);
    if (a.s3.instanceMetadataEndpoint !== undefined && !/^http:\/\/[^\s/]+$/.test(a.s3.instanceMetadataEndpoint))
      p.push(`s3.instanceMetadataEndpoint must be http://host[:port]`);
    if (a.s3.prefix && !/^[A-Za-z0-9!_.*'()/-]+$/.test(a.s3.prefix)) p.push(`s3.prefix may hold letters, digits and !_.*'()/- only`);
  }
  return p;
}

/** Where and how snapshots are kept. */
export type SnapshotTarget = Pick<SnapshotScheduleArgs, "keep" | "localDir" | "compression" | "s3">;

/** The runner's settings file (shell assignments, each value quoted); secret: it may hold S3 keys. */
export function snapshotSettings(t: SnapshotTarget, clusterName: string, member: string): pulumi.Output<string> {
  const s3 = t.s3;
  return pulumi.secret(
    pulumi.all([s3?.accessKeyId ?? "", s3?.secretAccessKey ?? ""]).apply(([ak, sk]) =>
      Object.entries({
        PE_CLUSTER: clusterName,
        PE_MEMBER: member,
        PE_KEEP: String(t.keep ?? 5),
        PE_LOCAL_DIR: t.localDir ?? "/var/backups/etcd",
        PE_COMPRESS: t.compression ?? "gzip",
        PE_S3_ENDPOINT: s3?.endpoint ?? "",
        PE_S3_REGION: s3?.region ?? "us-east-1",
        PE_S3_BUCKET: s3?.bucket ?? "",
        PE_S3_PREFIX: s3?.prefix ?? "",
        PE_S3_ACCESS_KEY: ak,
        PE_S3_SECRET_KEY: sk,
        PE_IMDS_ENDPOINT: s3?.instanceMetadataEndpoint ?? "",
      })
        .map(([k, v]) => `${k}=${shellQuote(v)}\n`)
        .join(""),
    ),
  );
}

export class SnapshotSchedule extends pulumi.ComponentResource {
  constructor(name: string, args: SnapshotScheduleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etcd:index:SnapshotSchedule", name, {}, opts);
    const problems = snapshotScheduleProblems(args);
    const target = resolve(args, opts, problems);
    if (problems.length) throw new Error(`SnapshotSchedule ${name}: invalid inputs, nothing was changed:\n  - ${problems.join("\n  - ")}`);
    const settings = (member: string) => snapshotSettings(args, target.clusterName, member);
    const runner = hostScript("etcd-snapshot-run").text;
    for (const h of target.hosts) {
      new HostScript(
        `${name}-${h.name}`,
        {
          connection: h.connection,
          create: {
            script: "etcd-snapshot-schedule",
            env: { PE_RUNNER: runner, PE_ON_CALENDAR: args.schedule ?? DEFAULT_SNAPSHOT_SCHEDULE },
            stdin: settings(h.name),
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

export interface EtcdSnapshotArgs extends SnapshotTarget, ClusterRef {
  /** The member that takes it; default the first. */
  member?: string;
  /** Change it to take a new snapshot (e.g. a date, or the version you are about to upgrade to). */
  trigger?: pulumi.Input<string>;
}

/** One snapshot, taken when created or when `trigger` changes (for example before an upgrade). */
export class EtcdSnapshot extends pulumi.ComponentResource {
  readonly file: pulumi.Output<string>;
  readonly sha256: pulumi.Output<string>;
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
      stdin: snapshotSettings(args, target.clusterName, host!.name),
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
