// EtcdMember: one etcd member on one host. Its certificates (issued from a CA, or supplied), the
// binaries (sha256-checked), the PKI files, the config and the systemd unit. Usable alone, with
// bootstrap facts and certificates the user supplies; EtcdCluster composes several.
import * as pulumi from "@pulumi/pulumi";
import { memberSans } from "../../planning/pki/memberSans";
import { clientUrls, DEFAULT_DATA_DIR, MemberLayout, peerUrls, renderConfig, renderUnit, Tuning } from "../../planning/etcd/etcdConfig";
import { Ports, withDefaults } from "../../planning/etcd/ports";
import { checksumsFor, DEFAULT_DOWNLOAD_URL, normalize } from "../../planning/etcd/versions";
import { HostConnection } from "../common/connection";
import { HostScript } from "../common/customResources";
import { Certificate } from "../pki/customResources";
import { CertificateStatus, LeafCertificateOptions } from "../pki/etcdCA";
import { Member } from "./customResources";

export interface MemberCertificates {
  caCertPem: pulumi.Input<string>;
  serverCertPem: pulumi.Input<string>;
  serverKeyPem: pulumi.Input<string>;
  peerCertPem: pulumi.Input<string>;
  peerKeyPem: pulumi.Input<string>;
}

/** Where etcd comes from: the version and a checked source. */
export interface EtcdInstallOptions {
  /** sha256 of the release tarball; default the checksum the package pins for the version. */
  sha256?: string;
  /** Release URL template ({version}, {arch}); default etcd's GitHub releases. */
  downloadUrl?: string;
  /** A tarball already on each host ({version}, {arch} replaced), for air-gapped sites. */
  tarballPath?: string;
}

/** How a member runs on its host. */
export interface MemberHostOptions {
  /** The ports etcd listens on; default 2379 (client), 2380 (peer), 2381 (metrics, 127.0.0.1 only). */
  ports?: Partial<Ports>;
  /** etcd tuning; anything left out keeps etcd's default. */
  tuning?: Tuning;
  /** The data dir; default /var/lib/etcd. */
  dataDir?: string;
  /** Delete the data dir on destroy instead of archiving it. */
  purgeDataOnDestroy?: boolean;
  /** Free disk space preflight requires next to the data dir, in MB; default 1024. */
  minFreeDiskMb?: number;
  /** How long a start may take (a new cluster's first member waits for its peers). Default 300 s. */
  startTimeoutSeconds?: number;
}

export interface EtcdMemberArgs extends EtcdInstallOptions, MemberHostOptions, LeafCertificateOptions {
  /** The etcd member name; default the resource name. */
  memberName?: string;
  connection: HostConnection;
  /** Addresses etcd advertises (IPs or DNS names); the first is the peer URL. Default: the SSH host. */
  addresses?: pulumi.Input<string>[];
  /** Host name put in the certificates; default the member name. */
  hostname?: string;
  /** More names or IPs for the server certificate. */
  extraSans?: string[];
  /** The etcd version (x.y.z). */
  version: pulumi.Input<string>;
  /** The cluster's birth facts: initial-cluster, its token, and "new" (bootstrap) or "existing" (join). */
  bootstrap: { initialCluster: pulumi.Input<string>; token: pulumi.Input<string>; state: pulumi.Input<"new" | "existing"> };
  /** A CA to issue the server and peer certificates from... */
  ca?: { certPem: pulumi.Input<string>; privateKeyPem: pulumi.Input<string> };
  /** ...or certificates you supply. */
  certificates?: MemberCertificates;
  keyAlgorithm?: pulumi.Input<string>;
  /** Change to re-issue the member's certificates. */
  certRotation?: pulumi.Input<number>;
  /** Resources the install waits for (EtcdCluster: every member's preflight). */
  installAfter?: pulumi.Resource[];
  /**
   * Membership managed through the etcd API (EtcdCluster sets this): the member bootstraps with the
   * initial members or joins as a learner and is promoted; removing it removes it from the cluster
   * first. Without it, the member's service is started with the bootstrap facts given, and its
   * membership is yours to manage.
   */
  membership?: MembershipArgs;
  /** What to do with the host steps when the host is gone on delete: fail (default) or skip with a warning. */
  unreachableOnDelete?: "fail" | "skip";
  /**
   * Install and place the PKI, but start the service only when `startService` is called (EtcdCluster:
   * a restore writes the data between the two, and the service takes the restored cluster's token).
   */
  deferService?: boolean;
}

/** The facts the member's service starts with, when they differ from the install's (after a restore). */
export interface ServiceFacts {
  token: pulumi.Input<string>;
  initialCluster: pulumi.Input<string>;
  initialMembers: pulumi.Input<string[]>;
}

export interface MembershipArgs {
  clusterName: string;
  initialMembers: pulumi.Input<string[]>;
  /** Client certificate the provider uses for membership calls. */
  clientTls: { caCertPem: pulumi.Input<string>; certPem: pulumi.Input<string>; keyPem: pulumi.Input<string> };
  /** Client URLs of every declared member. */
  seedEndpoints: pulumi.Input<pulumi.Input<string>[]>;
  allowUnsafeScaleDown?: boolean;
  /** How long a membership change waits for the cluster lock another operation holds; default 600 s. */
  lockTimeoutSeconds?: number;
}

export class EtcdMember extends pulumi.ComponentResource {
  readonly memberName: string;
  readonly peerUrls: pulumi.Output<string[]>;
  readonly clientUrls: pulumi.Output<string[]>;
  /** sha256 of the installed etcd binary, as measured on the host. */
  readonly etcdSha256: pulumi.Output<string>;
  readonly arch: pulumi.Output<string>;
  readonly serverCertNotAfter?: pulumi.Output<string>;
  readonly peerCertNotAfter?: pulumi.Output<string>;
  /** The server and peer certificates' serial numbers and ends of validity (empty when they are supplied). */
  readonly certificates: pulumi.Output<CertificateStatus[]>;
  /** The running service (a Member resource with membership, else a HostScript); depend on it to act after the member started. */
  service!: pulumi.CustomResource;
  /** The install and PKI steps: done before the service starts (and before a restore). */
  readonly hostReady: pulumi.Resource[];
  /** Name, addresses, ports, data dir and version: what the config and unit are rendered from. */
  readonly layout: pulumi.Output<MemberLayout>;
  /** Starts the service (only with deferService). */
  readonly startService: (facts?: ServiceFacts) => void;

  constructor(name: string, args: EtcdMemberArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etcd:index:EtcdMember", name, {}, opts);
    const child = { parent: this };
    const memberName = args.memberName ?? name;
    this.memberName = memberName;
    if (!args.ca === !args.certificates)
      throw new Error(`EtcdMember ${name}: give exactly one of ca (to issue certificates) or certificates`);
    const version = pulumi.output(args.version).apply(normalize);
    const ports = withDefaults(args.ports);
    const dataDir = args.dataDir ?? DEFAULT_DATA_DIR;
    const addresses = pulumi.all(args.addresses ?? [args.connection.host]);
    this.peerUrls = addresses.apply((a) => peerUrls({ addresses: a, ports }));
    this.clientUrls = addresses.apply((a) => clientUrls({ addresses: a, ports }));

    let pki: MemberCertificates;
    if (args.ca) {
      const sans = addresses.apply((a) => memberSans(a, args.hostname ?? memberName, args.extraSans));
      // Server and peer certificates carry both usages: peers connect both ways, and etcd's gRPC
      // gateway presents the server certificate as a client.
      const issue = (kind: string) =>
        new Certificate(
          `${name}-${kind}`,
          {
            commonName: `${memberName}`,
            keyAlgorithm: args.keyAlgorithm,
            validityHours: args.certValidityHours ?? 365 * 24,
            dnsNames: sans.dns,
            ipAddresses: sans.ips,
            usages: ["server", "client"],
            signerCertPem: args.ca!.certPem,
            signerPrivateKeyPem: args.ca!.privateKeyPem,
            rotation: args.certRotation,
            renewBeforeHours: args.certRenewBeforeHours,
          },
          child,
        );
      const server = issue("server");
      const peer = issue("peer");
      this.serverCertNotAfter = server.notAfter;
      this.peerCertNotAfter = peer.notAfter;
      const status = (kind: string, c: Certificate) =>
        pulumi
          .all([c.serialNumber, c.notAfter])
          .apply(([serialNumber, notAfter]) => ({ name: `${memberName}/${kind}`, serialNumber, notAfter }));
      this.certificates = pulumi.all([status("server", server), status("peer", peer)]);
      pki = {
        caCertPem: args.ca.certPem,
        serverCertPem: server.certPem,
        serverKeyPem: server.privateKeyPem,
        peerCertPem: peer.certPem,
        peerKeyPem: peer.privateKeyPem,
      };
    } else {
      pki = args.certificates!;
      this.certificates = pulumi.output([]);
    }

    const identity = {
      PE_NAME: memberName,
      PE_TOKEN: args.bootstrap.token,
      PE_DATA_DIR: dataDir,
      PE_PORTS: `${ports.client} ${ports.peer} ${ports.metrics}`,
      PE_MIN_FREE_MB: String(args.minFreeDiskMb ?? 1024),
    };
    const checksums = version.apply((v) => checksumsFor(v, args.sha256));
    const fill = (template: string) => version.apply((v) => template.replace(/\{version\}/g, v));
    const installEnv = {
      ...identity,
      PE_VERSION: version,
      PE_URL: args.tarballPath ? "" : fill(args.downloadUrl ?? DEFAULT_DOWNLOAD_URL),
      PE_TARBALL: fill(args.tarballPath ?? ""),
      PE_SHA256_AMD64: checksums.amd64,
      PE_SHA256_ARM64: checksums.arm64,
    };
    const install = new HostScript(
      `${name}-install`,
      {
        connection: args.connection,
        create: { script: "etcd-install", env: installEnv },
        delete: { script: "etcd-uninstall", env: { PE_VERSION: version } },
        unreachableOnDelete: args.unreachableOnDelete,
      },
      { ...child, dependsOn: args.installAfter },
    );
    this.etcdSha256 = install.outputs.apply((o) => o.etcdSha256);
    this.arch = install.outputs.apply((o) => o.arch);

    const bundle = pulumi
      .all([pki.caCertPem, pki.serverCertPem, pki.serverKeyPem, pki.peerCertPem, pki.peerKeyPem])
      .apply(([ca, sc, sk, pc, pk]) =>
        [
          ["ca.crt", ca],
          ["server.crt", sc],
          ["server.key", sk],
          ["peer.crt", pc],
          ["peer.key", pk],
        ]
          .map(([f, pem]) => `#pe-file ${f}\n${pem.trim()}\n`)
          .join(""),
      );
    const files = new HostScript(
      `${name}-pki`,
      {
        connection: args.connection,
        create: { script: "etcd-pki", stdin: pulumi.secret(bundle) },
        delete: { script: "etcd-pki-remove" },
        unreachableOnDelete: args.unreachableOnDelete,
      },
      { ...child, dependsOn: [install] },
    );

    this.hostReady = [install, files];
    const layout = pulumi.all([addresses, version]).apply(([a, v]) => ({ name: memberName, ports, dataDir, version: v, addresses: a }));
    this.layout = layout;
    const start = (facts?: ServiceFacts) => {
      const token = facts?.token ?? args.bootstrap.token;
      const initialCluster = facts?.initialCluster ?? args.bootstrap.initialCluster;
      const config = pulumi
        .all([layout, initialCluster, token, facts ? "new" : args.bootstrap.state])
        .apply(([l, ic, t, state]) => renderConfig(l, { initialCluster: ic, token: t, state }, args.tuning));
      const serviceEnv = (phase: string) => ({
        PE_PHASE: phase,
        PE_NAME: memberName,
        PE_TOKEN: token,
        PE_DATA_DIR: dataDir,
        PE_CONFIG: config,
        PE_UNIT: layout.apply(renderUnit),
        PE_START_TIMEOUT: String(args.startTimeoutSeconds ?? 300),
      });
      if (args.membership) {
        const ms = args.membership;
        this.service = new Member(
          `${name}-member`,
          {
            clusterName: ms.clusterName,
            token,
            bootstrap: { initialCluster, initialMembers: facts?.initialMembers ?? ms.initialMembers },
            layout: this.layout,
            tuning: args.tuning,
            peerUrls: this.peerUrls,
            clientUrls: this.clientUrls,
            connection: args.connection,
            adminTls: ms.clientTls,
            seedEndpoints: ms.seedEndpoints,
            allowUnsafeScaleDown: ms.allowUnsafeScaleDown,
            purgeDataOnDestroy: args.purgeDataOnDestroy,
            startTimeoutSeconds: args.startTimeoutSeconds,
            lockTimeoutSeconds: ms.lockTimeoutSeconds,
          },
          { ...child, dependsOn: [files], deleteBeforeReplace: true },
        );
      } else {
        this.service = new HostScript(
          `${name}-service`,
          {
            connection: args.connection,
            create: { script: "etcd-service", env: serviceEnv("create") },
            update: { script: "etcd-service", env: serviceEnv("update") },
            delete: {
              script: "etcd-service-remove",
              env: { PE_DATA_DIR: dataDir, PE_PURGE: args.purgeDataOnDestroy ? "true" : "false" },
            },
            timeoutSeconds: (args.startTimeoutSeconds ?? 300) + 120,
          },
          { ...child, dependsOn: [files] },
        );
      }
      this.registerOutputs({
        peerUrls: this.peerUrls,
        clientUrls: this.clientUrls,
        etcdSha256: this.etcdSha256,
        arch: this.arch,
        certificates: this.certificates,
      });
    };
    let started = false;
    this.startService = (facts) => {
      if (started) throw new Error(`EtcdMember ${name}: the service was started already`);
      started = true;
      start(facts);
    };
    if (!args.deferService) this.startService();
  }
}
