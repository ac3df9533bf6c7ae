// Client-side classes of the provider's etcd custom resources. The CRUD logic is in provider/etcd/*Handler.ts.
import * as pulumi from "@pulumi/pulumi";
import { S3Bucket } from "../../planning/common/s3";
import { MemberLayout, Tuning } from "../../planning/etcd/etcdConfig";
import { HostConnection, secretConnection } from "../common/connection";

export interface BootstrapArgs {
  clusterName: pulumi.Input<string>;
  members: pulumi.Input<pulumi.Input<{ name: pulumi.Input<string>; peerUrls: pulumi.Input<pulumi.Input<string>[]> }>[]>;
}

/** The facts fixed at a cluster's birth: the initial members and a unique cluster token. Never updated. */
export class Bootstrap extends pulumi.CustomResource {
  declare readonly token: pulumi.Output<string>;
  declare readonly initialCluster: pulumi.Output<string>;
  declare readonly initialMembers: pulumi.Output<string[]>;

  constructor(name: string, args: BootstrapArgs, opts?: pulumi.CustomResourceOptions) {
    super("etcd:cluster:Bootstrap", name, { ...args, token: undefined, initialCluster: undefined, initialMembers: undefined }, opts);
  }
}

export interface HealthGateMember {
  name: pulumi.Input<string>;
  endpoint: pulumi.Input<string>;
  peerUrls: pulumi.Input<pulumi.Input<string>[]>;
  connection: HostConnection;
}

export interface HealthGateArgs {
  clusterName: pulumi.Input<string>;
  token: pulumi.Input<string>;
  members: HealthGateMember[];
  caCertPem: pulumi.Input<string>;
  clientCertPem: pulumi.Input<string>;
  clientKeyPem: pulumi.Input<string>;
  timeoutSeconds?: pulumi.Input<number>;
}

/** Waits until the members form one healthy cluster with exactly one leader. */
export class HealthGate extends pulumi.CustomResource {
  declare readonly clusterId: pulumi.Output<string>;
  declare readonly leader: pulumi.Output<string>;

  constructor(name: string, args: HealthGateArgs, opts?: pulumi.CustomResourceOptions) {
    const inputs = {
      ...args,
      members: args.members.map((m) => ({ ...m, connection: secretConnection(m.connection) })),
      clientKeyPem: pulumi.secret(args.clientKeyPem),
      clusterId: undefined,
      leader: undefined,
    };
    super("etcd:cluster:HealthGate", name, inputs, { ...opts, additionalSecretOutputs: ["clientKeyPem"] });
  }
}

export interface MemberResourceArgs {
  clusterName: pulumi.Input<string>;
  token: pulumi.Input<string>;
  bootstrap: pulumi.Input<{ initialCluster: pulumi.Input<string>; initialMembers: pulumi.Input<string[]> }>;
  layout: pulumi.Input<MemberLayout>;
  tuning?: pulumi.Input<Tuning>;
  peerUrls: pulumi.Input<string[]>;
  clientUrls: pulumi.Input<string[]>;
  connection: HostConnection;
  adminTls: { caCertPem: pulumi.Input<string>; certPem: pulumi.Input<string>; keyPem: pulumi.Input<string> };
  seedEndpoints: pulumi.Input<pulumi.Input<string>[]>;
  allowUnsafeScaleDown?: pulumi.Input<boolean>;
  purgeDataOnDestroy?: pulumi.Input<boolean>;
  startTimeoutSeconds?: pulumi.Input<number>;
}

/** A member's place in the cluster and its service, changed through the etcd API in etcd's order. */
export class Member extends pulumi.CustomResource {
  declare readonly memberId: pulumi.Output<string>;

  constructor(name: string, args: MemberResourceArgs, opts?: pulumi.CustomResourceOptions) {
    const inputs = {
      ...args,
      connection: secretConnection(args.connection),
      adminTls: { ...args.adminTls, keyPem: pulumi.secret(args.adminTls.keyPem) },
      memberId: undefined,
      joinedWith: undefined,
    };
    super("etcd:cluster:Member", name, inputs, opts);
  }
}

export interface RestoreMemberArgs {
  name: string;
  connection: HostConnection;
  layout: pulumi.Input<MemberLayout>;
  peerUrls: pulumi.Input<string[]>;
  clientUrls: pulumi.Input<string[]>;
}

export interface RestoreSourceArgs {
  /** An object in an S3-compatible bucket; each member downloads it itself. */
  s3?: S3Bucket<pulumi.Input<string>> & { key: pulumi.Input<string> };
  /** A file on the machine running Pulumi. */
  file?: string;
  /** A file on one member's host. */
  host?: { member: string; path: string };
}

export interface RestoreResourceArgs {
  clusterName: string;
  generation: number;
  source: RestoreSourceArgs;
  sha256?: pulumi.Input<string>;
  skipHashCheck?: boolean;
  bumpRevision?: number;
  members: RestoreMemberArgs[];
  tuning?: Tuning;
  adminTls: { caCertPem: pulumi.Input<string>; certPem: pulumi.Input<string>; keyPem: pulumi.Input<string> };
  startTimeoutSeconds?: number;
}

/** Restores every member from one snapshot into a new cluster; again whenever `generation` changes. */
export class Restore extends pulumi.CustomResource {
  declare readonly token: pulumi.Output<string>;
  declare readonly initialCluster: pulumi.Output<string>;
  declare readonly initialMembers: pulumi.Output<string[]>;
  declare readonly clusterId: pulumi.Output<string>;
  declare readonly snapshotRevision: pulumi.Output<string>;
  declare readonly revision: pulumi.Output<string>;
  declare readonly snapshotSha256: pulumi.Output<string>;
  declare readonly archives: pulumi.Output<string[]>;

  constructor(name: string, args: RestoreResourceArgs, opts?: pulumi.CustomResourceOptions) {
    const s3 = args.source.s3;
    const inputs = {
      ...args,
      source: {
        ...args.source,
        s3: s3 && { ...s3, secretAccessKey: s3.secretAccessKey === undefined ? undefined : pulumi.secret(s3.secretAccessKey) },
      },
      members: args.members.map((m) => ({ ...m, connection: secretConnection(m.connection) })),
      adminTls: { ...args.adminTls, keyPem: pulumi.secret(args.adminTls.keyPem) },
      token: undefined,
      initialCluster: undefined,
      initialMembers: undefined,
      clusterId: undefined,
      snapshotRevision: undefined,
      revision: undefined,
      snapshotSha256: undefined,
      archives: undefined,
    };
    super("etcd:cluster:Restore", name, inputs, opts);
  }
}
