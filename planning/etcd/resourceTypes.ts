// The inputs and outputs of the provider's etcd custom resources, declared once (see
// planning/common/resourceTypes.ts).
import { HostConnection } from "../common/resourceTypes";
import { S3Bucket } from "../common/s3";
import { Bootstrap, MemberLayout, Tuning } from "./etcdConfig";
import { ClientTls } from "./liveCluster";

/** A member of a cluster's initial member set. */
export interface BootstrapMember {
  /** The etcd member name. */
  name: string;
  /** The member's peer URLs. */
  peerUrls: string[];
}

export interface BootstrapInputs {
  /** The cluster's name (the EtcdCluster's resource name). */
  clusterName: string;
  /** The initial members; fixed at the cluster's birth (later changes are not applied). */
  members: BootstrapMember[];
  /** The etcd version the cluster is born with when it declares none (recorded as `version`). */
  defaultVersion?: string;
}

export interface BootstrapOutputs {
  /** The cluster's unique initial-cluster-token. */
  token: string;
  /** etcd's initial-cluster value: name=peerURL,... */
  initialCluster: string;
  /** The names of the initial members. */
  initialMembers: string[];
  /**
   * The default etcd version at the cluster's birth, which it keeps while it declares none; absent for
   * clusters created before it was recorded (they run LEGACY_DEFAULT_VERSION).
   */
  version?: string;
}

/** A member the health gate expects. */
export interface HealthGateMember {
  /** The etcd member name. */
  name: string;
  /** The client URL the gate probes. */
  endpoint: string;
  /** The member's peer URLs, as the member list must show them. */
  peerUrls: string[];
  /** How to reach the member's host, to show its journal when it is not healthy. */
  connection: HostConnection;
}

export interface HealthGateInputs {
  /** The cluster's name. */
  clusterName: string;
  /** The cluster's token; a new token (a restore) checks the cluster again. */
  token: string;
  /** Every declared member. */
  members: HealthGateMember[];
  /** The cluster's CA certificate (PEM). */
  caCertPem: string;
  /** The client certificate the gate connects with (PEM). */
  clientCertPem: string;
  /**
   * The client certificate's private key (PEM).
   * @secret
   */
  clientKeyPem: string;
  /** How long to wait for a healthy cluster; default 180 s. */
  timeoutSeconds?: number;
}

export interface HealthGateOutputs {
  /** The cluster ID (hex). */
  clusterId: string;
  /** The leader's member name. */
  leader: string;
}

/** The bootstrap facts a member starts with when it is one of the initial members. */
export interface InitialMembers {
  /** etcd's initial-cluster value of the cluster's birth. */
  initialCluster: string;
  /** The names of the initial members. */
  initialMembers: string[];
  /**
   * The default etcd version at the cluster's birth, which it keeps while it declares none; absent for
   * clusters created before it was recorded (they run LEGACY_DEFAULT_VERSION).
   */
  version?: string;
}

export interface MemberInputs {
  /** The cluster's name. */
  clusterName: string;
  /** The cluster's token (the Bootstrap's, or the last restore's). */
  token: string;
  /** The cluster's birth facts; a member not among the initial members joins instead. */
  bootstrap: InitialMembers;
  /** What the member's config and unit are rendered from. */
  layout: MemberLayout;
  /** etcd tuning, rendered into the config. */
  tuning?: Tuning;
  /** The member's peer URLs. */
  peerUrls: string[];
  /** The member's client URLs. */
  clientUrls: string[];
  /** How the provider reaches the member's host. */
  connection: HostConnection;
  /** The client certificate the provider uses for membership calls. */
  adminTls: ClientTls;
  /** Client URLs of every declared member: where to find the cluster. */
  seedEndpoints: string[];
  /** Allow a removal that leaves a single voter. */
  allowUnsafeScaleDown?: boolean;
  /** Delete the data dir on delete instead of archiving it. */
  purgeDataOnDestroy?: boolean;
  /** How long a start may take; default 300 s. */
  startTimeoutSeconds?: number;
  /** How long an operation waits for the cluster lock another operation holds; default 600 s. */
  lockTimeoutSeconds?: number;
}

export interface MemberOutputs {
  /** The member's ID in the cluster (hex). */
  memberId: string;
  /** The bootstrap facts this member started with; kept so later config changes never rewrite them. */
  joinedWith: Bootstrap;
}

/** A member a restore restores. */
export interface RestoreMember {
  /** The etcd member name. */
  name: string;
  /** How the provider reaches the member's host. */
  connection: HostConnection;
  /** The member's layout (its data dir, ports and version). */
  layout: MemberLayout;
  /** The member's peer URLs. */
  peerUrls: string[];
  /** The member's client URLs. */
  clientUrls: string[];
}

/** A snapshot in an S3-compatible bucket. Without keys, each member uses its instance role (EC2 metadata, IMDSv2). */
export interface RestoreS3Object<Value = string> extends S3Bucket<Value> {
  /** The object's key, e.g. prod/prod-20261122T060000Z-r10100.db.gz. */
  key: Value;
}

/** A snapshot file on one member's host. */
export interface RestoreHostFile {
  /** The member whose host has the file. */
  member: string;
  /** The file's absolute path on that host. */
  path: string;
}

/** Where a restore's snapshot comes from: exactly one of s3, file or host. */
export interface SnapshotSource<Value = string> {
  /** An object in an S3-compatible bucket; each member downloads it itself. */
  s3?: RestoreS3Object<Value>;
  /** A file on the machine running Pulumi; sent to each member over SSH. */
  file?: string;
  /** A file on one member's host (e.g. its local snapshot dir). */
  host?: RestoreHostFile;
}

export interface RestoreInputs {
  /** The cluster's name. */
  clusterName: string;
  /** A new generation performs a new restore. */
  generation: number;
  /** Where the snapshot comes from. */
  source: SnapshotSource;
  /** sha256 of the file as stored; for S3 read from the metadata file beside it when not given. */
  sha256?: string;
  /** Needed for a raw db file copied from a data dir (it has no integrity hash). */
  skipHashCheck?: boolean;
  /** Added to every revision so watchers resync; default 1,000,000,000. */
  bumpRevision?: number;
  /** Every member of the cluster. */
  members: RestoreMember[];
  /** etcd tuning, rendered into the members' config. */
  tuning?: Tuning;
  /** The client certificate the provider checks the restored cluster with. */
  adminTls: ClientTls;
  /** How long a member's start may take; default 300 s. */
  startTimeoutSeconds?: number;
  /** How long an operation waits for the cluster lock another operation holds; default 600 s. */
  lockTimeoutSeconds?: number;
}

export interface RestoreOutputs {
  /** The restored cluster's new token. */
  token: string;
  /** The restored cluster's initial-cluster value. */
  initialCluster: string;
  /** The names of the restored members. */
  initialMembers: string[];
  /** The restored cluster's new cluster ID. */
  clusterId: string;
  /** The snapshot's revision. */
  snapshotRevision: string;
  /** The restored cluster's revision after the bump. */
  revision: string;
  /** sha256 of the snapshot as stored. */
  snapshotSha256: string;
  /** host:path of every archive of the members' earlier state. */
  archives: string[];
}

/** A member a version rollout restarts. */
export interface RolloutMember {
  /** How the provider reaches the member's host. */
  connection: HostConnection;
  /** The member's layout, with the declared version. */
  layout: MemberLayout;
  /** The member's client URLs. */
  clientUrls: string[];
  /** The bootstrap facts the member started with (its Member's joinedWith): its config keeps them. */
  joinedWith: Bootstrap;
}

export interface RolloutInputs {
  /** The cluster's name. */
  clusterName: string;
  /** The cluster's token (the Bootstrap's, or the last restore's). */
  token: string;
  /** The declared etcd version: the rollout brings every member to it. */
  version: string;
  /** Every declared member. */
  members: RolloutMember[];
  /** etcd tuning, rendered into the members' config. */
  tuning?: Tuning;
  /** The client certificate the provider checks the cluster with. */
  adminTls: ClientTls;
  /** The release URL template ({version}, {arch}). */
  downloadUrl: string;
  /** A tarball already on each host ({version}, {arch}), for air-gapped sites; "" for none. */
  tarballPath?: string;
  /** sha256 per version the rollout may install, besides the pinned ones (the declared version's and any hop's). */
  checksums?: Record<string, string>;
  /** Go through versions other than the declared one (a minimum patch, a minor in between) in one up. */
  allowHops?: boolean;
  /** Free MiB the install checks for. */
  minFreeDiskMb?: number;
  /** How long a member's start may take; default 300 s. */
  startTimeoutSeconds?: number;
  /** How long an operation waits for the cluster lock another operation holds; default 600 s. */
  lockTimeoutSeconds?: number;
}

export interface RolloutOutputs {
  /** The version every member runs. */
  running: string;
  /** What the last rollout did ("" before any). */
  lastRollout: string;
  /** host:path of the snapshot taken before the last rollout ("" before any). */
  snapshot: string;
}

/** A member the maintenance resource reaches. */
export interface MaintenanceMember {
  /** The etcd member name. */
  name: string;
  /** How the provider reaches the member's host (the on-demand run goes through the first that answers). */
  connection: HostConnection;
  /** The member's client URL. */
  endpoint: string;
}

export interface MaintenanceInputs {
  /** The cluster's name. */
  clusterName: string;
  /** Every declared member. */
  members: MaintenanceMember[];
  /** The client certificate the provider reads the alarms and statuses with. */
  adminTls: ClientTls;
  /** Free MiB a member's db must have before a scheduled defragmentation touches it. */
  minFragmentedMib?: number;
  /** ...and the share of its db file (0 to 1). */
  minFragmentedRatio?: number;
  /** Recover from a NOSPACE alarm on `pulumi up`; default true. */
  recoverNospace?: boolean;
  /** A new value defragments every member (thresholds ignored). */
  trigger?: string;
  /** How long a triggered run waits for the cluster lock; default 600 s. */
  lockTimeoutSeconds?: number;
}

export interface MaintenanceOutputs {
  /** What the last run of `pulumi up` did ("" before any). */
  lastRun: string;
}
