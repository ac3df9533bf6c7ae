// EtcdCluster: a secure etcd cluster on hosts you list. Validates everything at construct time
// (so `pulumi preview` fails before any host is touched), checks every host before any is written
// to, bootstraps the members in parallel and returns only when the cluster is healthy.
import * as pulumi from "@pulumi/pulumi";
import { validateCluster } from "../../planning/etcd/clusterSpec";
import { restoreProblems } from "../../planning/etcd/restorePlan";
import { clientUrls, DEFAULT_DATA_DIR, peerUrls, Tuning } from "../../planning/etcd/etcdConfig";
import { withDefaults } from "../../planning/etcd/ports";
import { DEFAULT_DOWNLOAD_URL, DEFAULT_VERSION, normalize, undeclaredVersion } from "../../planning/etcd/versions";
import { HostConnection } from "../common/connection";
import { RestoreMember, SnapshotSource } from "../../planning/etcd/resourceTypes";
import { InputObject } from "../common/customResource";
import { CaKeyPair, CertificateStatus, ClientCertificate, EtcdCA, LeafCertificateOptions } from "../pki/etcdCA";
import { EtcdInstallOptions, EtcdMember, MemberHostOptions } from "./etcdMember";
import { known, knownEach } from "../common/plain";
import { HostScript } from "../common/customResources";
import { Bootstrap, HealthGate, Maintenance, Member, Restore, Rollout } from "./customResources";
import {
  ClusterMaintenance,
  DEFAULT_DEFRAG_SCHEDULE,
  DEFAULT_NOSPACE_CHECK_SCHEDULE,
  maintenanceProblems,
  maintenanceSettings,
  renderMaintenanceService,
  renderMaintenanceTimer,
} from "../../planning/etcd/maintenance";

export { ClusterMaintenance };

/** A member of the cluster and its host. */
export interface EtcdClusterMember {
  /** etcd member name: lowercase letters, digits, '-', '.'. */
  name: string;
  /** How the provider reaches the member's host. */
  connection: HostConnection;
  /** Addresses etcd advertises (IPv4, IPv6 or DNS names); the first is the peer URL. Default the SSH host. */
  addresses?: pulumi.Input<string>[];
  /** Host name put in the member's certificates; default the member name. */
  hostname?: string;
  /** More names or IPs for the member's server certificate. */
  extraSans?: string[];
}

export interface EtcdClusterArgs extends EtcdInstallOptions, MemberHostOptions, LeafCertificateOptions {
  /** The members: 1, 3 or 5 (each on its own host). */
  members: EtcdClusterMember[];
  /**
   * etcd version (3.5.3+, 3.6.x or 3.7.x). Changing it upgrades the running cluster in one `up`,
   * through every hop etcd needs, one member at a time with the leader last. Without it a new cluster
   * gets the package's default (the newest pinned release, 3.6.14) and keeps that version when a later
   * release of the package moves the default; clusters created before 0.2.0 keep 3.6.9.
   */
  version?: string;
  /**
   * sha256 of the release tarball per etcd version an upgrade may pass through, besides the pinned
   * ones and `sha256` (the declared version's), e.g. { "3.6.16": "…" }.
   */
  upgradeChecksums?: Record<string, string>;
  /**
   * Let a version change go through versions other than the declared one in the same `up` (a
   * minimum patch before a minor hop, a minor in between, e.g. 3.5.21 → 3.5.35 → 3.6.16 → 3.7.3).
   * Without it such a change is refused at preview, naming the path.
   */
  allowUpgradeHops?: boolean;
  /**
   * The CA: an EtcdCA (TypeScript), or a CA certificate and key, such as an EtcdCA's certPem and
   * privateKeyPem (any language) or an existing CA (e.g. kubeadm's). Created when not given.
   */
  ca?: EtcdCA | CaKeyPair;
  /** Key algorithm of the certificates issued here (and of the CA when created): ECDSA-P256 (default), RSA-2048 or RSA-4096. */
  keyAlgorithm?: pulumi.Input<string>;
  /** How long `pulumi up` waits for a healthy cluster; default 180 s. */
  healthTimeoutSeconds?: number;
  /** Allow removing a member when that leaves a single voter (no fault tolerance). */
  allowUnsafeScaleDown?: boolean;
  /**
   * How long a membership change, upgrade or restore waits for the cluster lock while another
   * operation holds it (another `pulumi up` of the cluster, the snapshot timer); default 600 s.
   */
  lockTimeoutSeconds?: number;
  /**
   * Restore every member from one snapshot (after quorum loss, or to clone a cluster onto new
   * hosts). Done when first given and again whenever `generation` changes; keep the block after.
   */
  restore?: EtcdClusterRestore;
  /**
   * Defragmentation on a schedule and on demand, and recovery from a NOSPACE alarm (on a timer and
   * on `pulumi up`): systemd timers on every member, only the leader's runner acts. Absent: none.
   */
  maintenance?: ClusterMaintenance;
}

/** Restore every member from one snapshot; again whenever generation changes. Keep the block after a restore. */
export interface EtcdClusterRestore {
  /** A new generation performs a new restore. */
  generation: number;
  /** Where the snapshot comes from: exactly one of s3, file or host. */
  source: SnapshotSource<pulumi.Input<string>>;
  /** sha256 of the file as stored (for S3 it is read from the metadata file beside it when not given). */
  sha256?: string;
  /** Needed for a raw db file copied from a data dir (it has no integrity hash). */
  skipHashCheck?: boolean;
  /** Added to every revision so watchers resync; default 1,000,000,000. */
  bumpRevision?: number;
}

/** A member as the cluster reports it. */
export interface ClusterMemberInfo {
  /** The etcd member name. */
  name: string;
  /** The SSH host the member runs on. */
  host: string;
  /** The member's peer URLs. */
  peerUrls: string[];
  /** The member's client URLs. */
  clientUrls: string[];
}

/**
 * A secure etcd cluster on existing hosts: validated inputs, preflight on every host, sha256-checked
 * binaries, mTLS everywhere, parallel bootstrap and a health gate.
 */
/**
 * The version a cluster that declares none runs, from its Bootstrap's state as the engine holds it in
 * this deployment (the engine's own getResource, which resource rehydration uses). Not the `version`
 * output itself: a state from before it was recorded lacks it, and a missing output is unknown in a
 * preview, which would make every member's layout unknown there (and preview a replace).
 */
function bootstrapVersion(boot: Bootstrap): pulumi.Output<string> {
  return boot.urn.apply(async (urn) => {
    const got = (await pulumi.runtime.invoke("pulumi:pulumi:getResource", { urn })) as { state?: Record<string, unknown> };
    return undeclaredVersion(got?.state);
  });
}

export class EtcdCluster extends pulumi.ComponentResource {
  /** The members' client URLs (read after the health gate: the cluster is healthy). */
  readonly clientEndpoints: pulumi.Output<string[]>;
  /** The cluster's CA certificate (PEM). */
  readonly caCertPem: pulumi.Output<string>;
  /**
   * Every certificate of the cluster: the CA, the client certificates and each member's server and
   * peer certificate, with serial number and end of validity.
   */
  readonly certificates: pulumi.Output<CertificateStatus[]>;
  /** Client certificate for etcdctl (private key secret). */
  readonly admin: ClientCertificate;
  /** The members, their hosts and URLs. */
  readonly members: pulumi.Output<ClusterMemberInfo[]>;
  /** `export ETCDCTL_...` lines; save the CA and admin certificate/key beside them. */
  readonly etcdctlEnv: pulumi.Output<string>;
  /** The cluster ID (hex). */
  readonly clusterId: pulumi.Output<string>;
  /** host:path of the archives a restore made of the members' earlier state ([] without restore). */
  readonly restoreArchives: pulumi.Output<string[]>;
  /** The cluster's version: the declared one, else the one it was created with. */
  readonly version: pulumi.Output<string>;
  /** The version as declared (undefined: the cluster keeps the version it was created with). */
  readonly declaredVersion?: string;
  /** The version every member runs (after an upgrade in this `up`, the declared one). */
  readonly runningVersion: pulumi.Output<string>;
  readonly memberResources: EtcdMember[];
  /** The cluster's name (its resource name) and how each member's host is reached. */
  readonly clusterName: string;
  readonly hosts: { name: string; connection: HostConnection }[];
  /** The cluster's CA (TypeScript only): a KubeControlPlane issues its apiservers' etcd client certificate from it. */
  readonly etcdCa: EtcdCA;
  /** The token its members' data dirs are recorded under (its bootstrap's, or its last restore's). */
  readonly token: pulumi.Output<string>;
  /** Its tuning (TypeScript only): a restore by a control plane's data switch renders the same config. */
  readonly tuning?: Tuning;

  constructor(name: string, args: EtcdClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etcd:index:EtcdCluster", name, {}, opts);
    this.declaredVersion = args.version === undefined ? undefined : normalize(args.version);
    // Checked at construct time: the declared version, or the default a new cluster would get (every
    // recorded default is a pinned, supported release).
    const checkedVersion = this.declaredVersion ?? DEFAULT_VERSION;
    this.clusterName = name;
    this.tuning = args.tuning;
    this.hosts = (args.members ?? []).map((m) => ({ name: m.name, connection: m.connection }));
    const ports = withDefaults(args.ports);
    const findings = validateCluster({
      members: args.members?.map((m) => ({
        name: known(m.name),
        host: known(m.connection?.host),
        addresses: m.addresses ? knownEach(m.addresses) : undefined,
      })),
      version: checkedVersion,
      sha256: args.sha256,
      ports,
      tuning: args.tuning,
      dataDir: args.dataDir,
    });
    if (!Array.isArray(args.members)) findings.errors.unshift("members is required: list 1, 3 or 5 members");
    if (args.restore)
      findings.errors.push(
        ...restoreProblems(
          args.restore,
          (args.members ?? []).map((m) => known(m.name) ?? ""),
        ),
      );
    findings.errors.push(...maintenanceProblems(args.maintenance));
    if (findings.errors.length > 0) {
      throw new Error(`EtcdCluster ${name}: invalid inputs, nothing was changed:\n  - ${findings.errors.join("\n  - ")}`);
    }
    for (const w of findings.warnings) void pulumi.log.warn(`EtcdCluster ${name}: ${w}`, this);
    const child = { parent: this };

    // With an EtcdCA given, its client certificates are its own (leafValidityHours, leafRenewBeforeHours).
    const ca =
      args.ca instanceof EtcdCA
        ? args.ca
        : new EtcdCA(
            `${name}`,
            {
              existing: args.ca,
              keyAlgorithm: args.keyAlgorithm,
              leafValidityHours: args.certValidityHours,
              leafRenewBeforeHours: args.certRenewBeforeHours,
            },
            child,
          );
    this.caCertPem = ca.certPem;
    this.admin = ca.admin;
    this.etcdCa = ca;

    const addressesOf = (m: EtcdClusterMember) => pulumi.all(m.addresses ?? [m.connection.host]);
    const boot = new Bootstrap(
      `${name}-bootstrap`,
      {
        clusterName: name,
        members: args.members.map((m) => ({
          name: m.name,
          peerUrls: addressesOf(m).apply((a) => peerUrls({ addresses: a, ports })),
        })),
        defaultVersion: DEFAULT_VERSION,
      },
      child,
    );
    // Members added later get this too: the declared version, or the one the cluster was born with.
    const version = this.declaredVersion !== undefined ? pulumi.output(this.declaredVersion) : bootstrapVersion(boot);
    this.version = version;

    const dataDir = args.dataDir ?? DEFAULT_DATA_DIR;
    // Every host passes its checks before anything is written to any of them.
    const preflights = args.members.map(
      (m) =>
        new HostScript(
          `${name}-${m.name}-preflight`,
          {
            connection: m.connection,
            create: {
              script: "etcd-preflight",
              env: {
                PE_NAME: m.name,
                PE_TOKEN: boot.token,
                PE_DATA_DIR: dataDir,
                PE_PORTS: `${ports.client} ${ports.peer} ${ports.metrics}`,
                PE_MIN_FREE_MB: String(args.minFreeDiskMb ?? 1024),
              },
            },
          },
          child,
        ),
    );

    const seedEndpoints = pulumi.all(args.members.map((m) => addressesOf(m).apply((a) => clientUrls({ addresses: a, ports })[0])));
    this.memberResources = args.members.map(
      (m) =>
        new EtcdMember(
          `${name}-${m.name}`,
          {
            memberName: m.name,
            connection: m.connection,
            addresses: m.addresses,
            hostname: m.hostname,
            extraSans: m.extraSans,
            version,
            sha256: args.sha256,
            downloadUrl: args.downloadUrl,
            tarballPath: args.tarballPath,
            bootstrap: { initialCluster: boot.initialCluster, token: boot.token, state: "new" },
            ca: { certPem: ca.certPem, privateKeyPem: ca.privateKeyPem },
            keyAlgorithm: args.keyAlgorithm,
            certValidityHours: args.certValidityHours,
            certRenewBeforeHours: args.certRenewBeforeHours,
            ports,
            tuning: args.tuning,
            dataDir,
            purgeDataOnDestroy: args.purgeDataOnDestroy,
            minFreeDiskMb: args.minFreeDiskMb,
            startTimeoutSeconds: args.startTimeoutSeconds,
            installAfter: preflights,
            membership: {
              clusterName: name,
              initialMembers: boot.initialMembers,
              clientTls: { caCertPem: ca.certPem, certPem: ca.admin.certPem, keyPem: ca.admin.privateKeyPem },
              seedEndpoints,
              allowUnsafeScaleDown: args.allowUnsafeScaleDown,
              lockTimeoutSeconds: args.lockTimeoutSeconds,
            },
            // A dead host must not block its removal or replacement (a warning says what was skipped).
            unreachableOnDelete: "skip",
            deferService: true,
          },
          child,
        ),
    );

    // With a restore, the data is written between install and service, and the services (and the
    // health gate) take the restored cluster's new token.
    let token: pulumi.Output<string> = boot.token;
    if (args.restore) {
      const r = args.restore;
      const restore = new Restore(
        `${name}-restore`,
        {
          clusterName: name,
          generation: r.generation,
          source: r.source,
          sha256: r.sha256,
          skipHashCheck: r.skipHashCheck,
          bumpRevision: r.bumpRevision,
          members: this.restoreMembers(),
          tuning: args.tuning,
          adminTls: { caCertPem: ca.certPem, certPem: ca.admin.certPem, keyPem: ca.admin.privateKeyPem },
          startTimeoutSeconds: args.startTimeoutSeconds,
          lockTimeoutSeconds: args.lockTimeoutSeconds,
        },
        { ...child, dependsOn: this.memberResources.flatMap((m) => m.hostReady) },
      );
      token = restore.token;
      for (const m of this.memberResources)
        m.startService({ token: restore.token, initialCluster: restore.initialCluster, initialMembers: restore.initialMembers });
      this.restoreArchives = restore.archives;
    } else {
      for (const m of this.memberResources) m.startService();
      this.restoreArchives = pulumi.output([]);
    }

    this.token = token;
    // After the members (whose update on a version change only records it): the upgrade itself.
    const rollout = new Rollout(
      `${name}-version`,
      {
        clusterName: name,
        token,
        version,
        members: this.memberResources.map((mr, k) => ({
          connection: args.members[k].connection,
          layout: mr.layout,
          clientUrls: mr.clientUrls,
          joinedWith: (mr.service as Member).joinedWith,
        })),
        tuning: args.tuning,
        adminTls: { caCertPem: ca.certPem, certPem: ca.admin.certPem, keyPem: ca.admin.privateKeyPem },
        downloadUrl: args.downloadUrl ?? DEFAULT_DOWNLOAD_URL,
        tarballPath: args.tarballPath,
        checksums: version.apply((v) => ({ ...args.upgradeChecksums, ...(args.sha256 ? { [v]: args.sha256 } : {}) })),
        allowHops: args.allowUpgradeHops,
        minFreeDiskMb: args.minFreeDiskMb,
        startTimeoutSeconds: args.startTimeoutSeconds,
        lockTimeoutSeconds: args.lockTimeoutSeconds,
      },
      { ...child, dependsOn: this.memberResources.map((m) => m.service) },
    );
    this.runningVersion = rollout.running;
    const gate = new HealthGate(
      `${name}-health`,
      {
        clusterName: name,
        token,
        members: this.memberResources.map((mr, i) => ({
          name: mr.memberName,
          endpoint: mr.clientUrls.apply((u) => u[0]),
          peerUrls: mr.peerUrls,
          connection: args.members[i].connection,
        })),
        caCertPem: ca.certPem,
        clientCertPem: ca.healthcheck.certPem,
        clientKeyPem: ca.healthcheck.privateKeyPem,
        timeoutSeconds: args.healthTimeoutSeconds,
      },
      { ...child, dependsOn: [...this.memberResources.map((m) => m.service), rollout] },
    );
    this.clusterId = gate.clusterId;
    if (args.maintenance) this.maintain(name, args.maintenance, args.members, ca, gate, args.lockTimeoutSeconds);

    this.members = pulumi.all(
      this.memberResources.map((mr, i) =>
        pulumi.all([mr.peerUrls, mr.clientUrls, args.members[i].connection.host]).apply(([peerUrls, clientUrls, host]) => ({
          name: mr.memberName,
          host,
          peerUrls,
          clientUrls,
        })),
      ),
    );
    // Outputs read after the gate: a consumer that uses the endpoints gets a healthy cluster.
    this.clientEndpoints = pulumi.all([this.members, gate.clusterId]).apply(([ms]) => ms.map((m) => m.clientUrls[0]));
    this.etcdctlEnv = this.clientEndpoints.apply((eps) =>
      [
        `export ETCDCTL_API=3`,
        `export ETCDCTL_ENDPOINTS=${eps.join(",")}`,
        `export ETCDCTL_CACERT=ca.crt   # the caCertPem output`,
        `export ETCDCTL_CERT=admin.crt  # admin.certPem`,
        `export ETCDCTL_KEY=admin.key   # admin.privateKeyPem (secret)`,
      ].join("\n"),
    );
    this.certificates = pulumi
      .all([ca.certificates, ...this.memberResources.map((m) => m.certificates)])
      .apply(([caAndClients, ...members]) => [...caAndClients, ...members.flat()]);
    this.registerOutputs({
      clientEndpoints: this.clientEndpoints,
      caCertPem: this.caCertPem,
      certificates: this.certificates,
      admin: this.admin,
      members: this.members,
      etcdctlEnv: this.etcdctlEnv,
      clusterId: this.clusterId,
      restoreArchives: this.restoreArchives,
      token: this.token,
      runningVersion: this.runningVersion,
      version: this.version,
    });
  }

  /**
   * The maintenance timers on every member (etcd-defrag-schedule) and the resource that defragments
   * on a new trigger and recovers a NOSPACE alarm on `pulumi up`; both after the health gate.
   */
  private maintain(
    name: string,
    m: ClusterMaintenance,
    members: EtcdClusterMember[],
    ca: EtcdCA,
    gate: HealthGate,
    lockTimeoutSeconds?: number,
  ): void {
    const defrag = m.defragSchedule ?? DEFAULT_DEFRAG_SCHEDULE;
    const nospace = m.nospaceCheckSchedule ?? DEFAULT_NOSPACE_CHECK_SCHEDULE;
    const env = {
      PE_DEFRAG_ON_CALENDAR: defrag,
      PE_DEFRAG_TIMER_UNIT: defrag ? renderMaintenanceTimer("defrag", defrag) : "",
      PE_DEFRAG_SERVICE_UNIT: renderMaintenanceService("defrag"),
      PE_NOSPACE_ON_CALENDAR: nospace,
      PE_NOSPACE_TIMER_UNIT: nospace ? renderMaintenanceTimer("nospace", nospace) : "",
      PE_NOSPACE_SERVICE_UNIT: renderMaintenanceService("nospace"),
    };
    const after = { parent: this, dependsOn: [gate] };
    for (const member of members) {
      new HostScript(
        `${name}-${member.name}-maintenance`,
        {
          connection: member.connection,
          create: { script: "etcd-defrag-schedule", env, stdin: maintenanceSettings(m, name, member.name) },
          delete: { script: "etcd-defrag-unschedule" },
          unreachableOnDelete: "skip",
        },
        after,
      );
    }
    new Maintenance(
      `${name}-maintenance`,
      {
        clusterName: name,
        members: this.memberResources.map((mr, i) => ({
          name: mr.memberName,
          connection: members[i].connection,
          endpoint: mr.clientUrls.apply((u) => u[0]),
        })),
        adminTls: { caCertPem: ca.certPem, certPem: ca.admin.certPem, keyPem: ca.admin.privateKeyPem },
        minFragmentedMib: m.minFragmentedMib,
        minFragmentedRatio: m.minFragmentedRatio,
        recoverNospace: m.recoverNospace,
        trigger: m.trigger,
        lockTimeoutSeconds,
      },
      after,
    );
  }

  /** Each member as a restore reaches it (its host, layout and URLs): this cluster's Restore and a control plane's data switch. */
  restoreMembers(): InputObject<RestoreMember>[] {
    return this.memberResources.map((mr, i) => ({
      name: mr.memberName,
      connection: this.hosts[i].connection,
      layout: mr.layout,
      peerUrls: mr.peerUrls,
      clientUrls: mr.clientUrls,
    }));
  }
}
