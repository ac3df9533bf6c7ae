// Client-side classes of the provider's custom resources. The CRUD logic is in provider/resources.
import * as pulumi from "@pulumi/pulumi";
import { MemberLayout, Tuning } from "../planning/etcdConfig";
import { HostConnection, secretConnection } from "./connection";

export interface CertificateArgs {
  commonName: pulumi.Input<string>;
  organization?: pulumi.Input<string>;
  isCa?: pulumi.Input<boolean>;
  /** ECDSA-P256 (default), RSA-2048 or RSA-4096. */
  keyAlgorithm?: pulumi.Input<string>;
  validityHours?: pulumi.Input<number>;
  dnsNames?: pulumi.Input<pulumi.Input<string>[]>;
  ipAddresses?: pulumi.Input<pulumi.Input<string>[]>;
  /** "server" and/or "client". */
  usages?: pulumi.Input<pulumi.Input<string>[]>;
  signerCertPem?: pulumi.Input<string>;
  signerPrivateKeyPem?: pulumi.Input<string>;
  /** Change to get a new key and certificate. */
  rotation?: pulumi.Input<number>;
}

export class Certificate extends pulumi.CustomResource {
  declare readonly certPem: pulumi.Output<string>;
  declare readonly privateKeyPem: pulumi.Output<string>;
  declare readonly serialNumber: pulumi.Output<string>;
  declare readonly notAfter: pulumi.Output<string>;
  declare readonly fingerprintSha256: pulumi.Output<string>;

  constructor(name: string, args: CertificateArgs, opts?: pulumi.CustomResourceOptions) {
    const inputs = {
      ...args,
      signerPrivateKeyPem: args.signerPrivateKeyPem && pulumi.secret(args.signerPrivateKeyPem),
      certPem: undefined,
      privateKeyPem: undefined,
      serialNumber: undefined,
      notAfter: undefined,
      fingerprintSha256: undefined,
    };
    super("etcd:tls:Certificate", name, inputs, { ...opts, additionalSecretOutputs: ["privateKeyPem"] });
  }
}

export interface HostScriptStep {
  /** A script name from the package's hosts/ directory. */
  script: pulumi.Input<string>;
  env?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Secret content for the script, sent on stdin only. */
  stdin?: pulumi.Input<string>;
}

export interface HostScriptArgs {
  connection: HostConnection;
  create: pulumi.Input<HostScriptStep>;
  update?: pulumi.Input<HostScriptStep>;
  delete?: pulumi.Input<HostScriptStep>;
  unreachableOnDelete?: pulumi.Input<"fail" | "skip">;
  timeoutSeconds?: pulumi.Input<number>;
}

export class HostScript extends pulumi.CustomResource {
  /** `::output key=value` lines the create/update script printed. */
  declare readonly outputs: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: HostScriptArgs, opts?: pulumi.CustomResourceOptions) {
    super("etcd:host:HostScript", name, { ...args, connection: secretConnection(args.connection), outputs: undefined }, opts);
  }
}

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
  s3?: {
    endpoint: string;
    region?: string;
    bucket: string;
    key: pulumi.Input<string>;
    /** Without keys, each member uses its instance role (EC2 metadata service). */
    accessKeyId?: pulumi.Input<string>;
    secretAccessKey?: pulumi.Input<string>;
    /** Metadata service for the instance role; default http://169.254.169.254 (IPv6-only: http://[fd00:ec2::254]). */
    instanceMetadataEndpoint?: string;
  };
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
