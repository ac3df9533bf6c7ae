// KubeControlPlane: an HA Kubernetes control plane on hosts you list, on an external EtcdCluster
// (or any etcd given by endpoints and certificates) or on a stacked one it creates, behind a load
// balancer. Validates everything at construct time, checks every host before any is written to,
// starts the hosts one at a time (each ready before the next) and returns when the control plane is
// healthy: every apiserver ready, the load balancer answering, both leader leases held.
import * as pulumi from "@pulumi/pulumi";
import { caCertHash, renderBootstrapManifests } from "../../planning/kube/bootstrapManifests";
import { DEFAULT_AUDIT_POLICY } from "../../planning/kube/configFiles";
import { DEFAULTS, parseEndpoint, validateControlPlane } from "../../planning/kube/controlPlaneSpec";
import { ControlPlaneSettings, ExtraArgs } from "../../planning/kube/flags";
import { renderKubeconfig } from "../../planning/kube/kubeconfig";
import { DEFAULT_PORTS } from "../../planning/kube/layout";
import { httpsUrl } from "../../planning/common/addresses";
import { Tuning } from "../../planning/etcd/etcdConfig";
import { HostConnection } from "../common/connection";
import { HostScript } from "../common/customResources";
import { known, knownEach } from "../common/plain";
import { EtcdCluster } from "../etcd/etcdCluster";
import { CaKeyPair } from "../pki/etcdCA";
import { RandomSecret } from "../pki/customResources";
import { KubeControlPlaneMember, KubeInstallOptions } from "./kubeControlPlaneMember";
import { KubeLoadBalancer, LoadBalancerHost } from "./kubeLoadBalancer";
import { KubePki } from "./kubePki";
import { DataSwitch, KubeRollout } from "./customResources";
import { DEFAULT_VERSION as DEFAULT_ETCD_VERSION } from "../../planning/etcd/versions";
import { ControlPlaneState, DataSwitchEtcd } from "../../planning/kube/resourceTypes";
import { normalizeKubeVersion } from "../../planning/kube/versions";
import { SnapshotSource } from "../../planning/etcd/resourceTypes";
import { restoreProblems } from "../../planning/etcd/restorePlan";
import { InputObject } from "../common/customResource";

/** A control-plane host. */
export interface KubeControlPlaneHost {
  /** The host's name, a DNS label: in its certificate, its haproxy backend and (stacked) its etcd member name. */
  name: string;
  /** How the provider reaches the host. */
  connection: HostConnection;
  /** Addresses the apiserver advertises and serves; the first is the advertise address. Default the SSH host. */
  addresses?: pulumi.Input<string>[];
}

/** An etcd cluster the control plane uses but does not own. */
export interface KubeExternalEtcd {
  /** An EtcdCluster of this program (TypeScript): its endpoints, CA and a client certificate issued from its CA. */
  cluster?: EtcdCluster;
  /** The etcd client URLs (other languages, or etcd not managed here). */
  endpoints?: pulumi.Input<string>[];
  /** The etcd CA certificate (PEM). */
  caCertPem?: pulumi.Input<string>;
  /**
   * The etcd CA's private key: the apiservers' client certificate (apiserver-etcd-client) is issued from it.
   * @secret
   */
  caPrivateKeyPem?: pulumi.Input<string>;
  /** Or a client certificate for the apiservers that the etcd CA issued. */
  clientCertPem?: pulumi.Input<string>;
  /**
   * Its private key.
   * @secret
   */
  clientKeyPem?: pulumi.Input<string>;
}

/** An etcd member on each control-plane host, created with the control plane. */
export interface KubeStackedEtcd {
  /** etcd version (3.5.3+, 3.6.x or 3.7.x); default as for an EtcdCluster (a new cluster gets 3.6.14 and keeps it). */
  version?: string;
  /** sha256 of the etcd release tarball. */
  sha256?: string;
  /** etcd release URL template ({version}, {arch}). */
  downloadUrl?: string;
  /** An etcd tarball already on each host ({version}, {arch}). */
  tarballPath?: string;
  /** etcd tuning. */
  tuning?: Tuning;
  /** The etcd data dir; default /var/lib/etcd. */
  dataDir?: string;
}

/** Which etcd the apiservers use: exactly one of external or stacked. */
export interface KubeEtcd {
  /** An etcd cluster the control plane uses but does not own. */
  external?: KubeExternalEtcd;
  /** An etcd member on each control-plane host, created with the control plane. */
  stacked?: KubeStackedEtcd;
}

/** What clients reach the apiservers through: exactly one of hosts, local or endpoint. */
export interface KubeLoadBalancerChoice {
  /** Dedicated haproxy hosts (kubeadm's HA guide); clients use the first host's address. */
  hosts?: LoadBalancerHost[];
  /** haproxy on every control-plane host at 127.0.0.1:6443 (kubespray's local load balancer). */
  local?: boolean;
  /** A load balancer you built, as "host:port" (e.g. an AWS NLB's DNS name and 6443). */
  endpoint?: pulumi.Input<string>;
  /** The port of dedicated haproxy hosts; default 6443. */
  port?: number;
  /** Milliseconds between haproxy's health checks; default 1000. */
  checkIntervalMs?: number;
  /**
   * Seconds a restarted apiserver is given to be back in the load balancer's rotation before the
   * next host restarts; default 2 health checks and a second with haproxy, 30 for an endpoint you
   * built (set it to your load balancer's interval × healthy threshold).
   */
  settleSeconds?: number;
}

export interface KubeControlPlaneArgs extends KubeInstallOptions {
  /** The control-plane hosts: 1, or 2 and more behind a load balancer. */
  hosts: KubeControlPlaneHost[];
  /**
   * Kubernetes version (1.36.x or 1.37.x). Changing it is a rolling upgrade (a patch, or one minor up):
   * every kube-apiserver, one at a time, then the controller-managers, then the schedulers; a skipped
   * or downgraded minor, or a change together with a change of hosts, is refused at preview.
   */
  version: string;
  /** The etcd the apiservers use. */
  etcd: KubeEtcd;
  /** Required with more than one control-plane host. */
  loadBalancer?: KubeLoadBalancerChoice;
  /** The Service network; default 10.96.0.0/12. It must not hold any host address. */
  serviceCidr?: string;
  /** The cluster's name (kubeconfigs, controller-manager); default "kubernetes". */
  clusterName?: string;
  /** The cluster DNS domain; default cluster.local. */
  dnsDomain?: string;
  /** More flags per component; a flag the package manages or one that weakens security is refused. */
  extraArgs?: ExtraArgs;
  /** Encrypt Secrets at rest (AES-CBC, the key a Pulumi secret); default true. */
  encryptionAtRest?: boolean;
  /** Write an audit log (/var/log/kubernetes/audit.log); default false. */
  audit?: boolean;
  /** The audit policy (YAML); default: metadata of every request except health probes. */
  auditPolicy?: string;
  /** An existing cluster CA (for example kubeadm's); created when not given. */
  ca?: CaKeyPair;
  /** Key algorithm of the certificates issued here: ECDSA-P256 (default), RSA-2048 or RSA-4096. */
  keyAlgorithm?: pulumi.Input<string>;
  /** Change to re-issue every leaf certificate (rolled one host at a time). */
  certRotation?: pulumi.Input<number>;
  /** Change to mint a new bootstrap (join) token; the previous one is deleted (revoked). */
  joinTokenRotation?: pulumi.Input<number>;
  /**
   * Hours the join token is valid, from when it is minted (the token Secret's `expiration`); default:
   * it never expires. The expiration is fixed when the token is minted, so later runs change
   * nothing; changing this value mints a new token. Trade-off: once it has expired, the
   * controller-manager's tokencleaner deletes the token Secret and nodes can no longer join with
   * `joinToken`, and a `pulumi up` does not notice: change `joinTokenRotation` to mint a new one
   * (the `joinTokenExpiresAt` output says when). Without an expiry, a leaked token lets anyone
   * request a node client certificate until it is rotated.
   */
  joinTokenTtlHours?: number;
  /** Seconds each component may take to be ready; default 180. */
  startTimeoutSeconds?: number;
  /** Seconds the health gate waits; default 180. */
  healthTimeoutSeconds?: number;
  /**
   * Restore the control plane's etcd from a snapshot (disaster recovery): the components stop, a state
   * of the current data is saved, every etcd member is restored and the components start again.
   * Again whenever generation changes; keep the block afterwards.
   */
  restore?: KubeRestore;
  /** Bring back a saved state (a name from the states output): its data replaces the current one, after a state of that is saved. */
  restoreState?: string;
  /** Allow moving the data onto an etcd that already holds Kubernetes data (replaced; its earlier data archived). */
  allowEtcdOverwrite?: boolean;
}

/** A control plane's etcd restored from a snapshot; again whenever generation changes. */
export interface KubeRestore {
  /** A new generation performs a new restore. */
  generation: number;
  /** Where the snapshot comes from: exactly one of s3, file or host (a member of the etcd). */
  source: SnapshotSource<pulumi.Input<string>>;
  /** sha256 of the file as stored. */
  sha256?: string;
  /** Needed for a raw db file copied from a data dir (it has no integrity hash). */
  skipHashCheck?: boolean;
}

/** An HA Kubernetes control plane (kube-apiserver, kube-controller-manager, kube-scheduler) behind a load balancer. */
export class KubeControlPlane extends pulumi.ComponentResource {
  /** The API endpoint clients use (the load balancer's URL). */
  readonly endpoint: pulumi.Output<string>;
  /** The cluster CA certificate (PEM). */
  readonly caCertPem: pulumi.Output<string>;
  /**
   * A kubeconfig for the cluster admin (system:masters) pointing at the endpoint.
   * @secret
   */
  readonly adminKubeconfig: pulumi.Output<string>;
  /**
   * A bootstrap token kubelets join with (kubeadm join --token).
   * @secret
   */
  readonly joinToken: pulumi.Output<string>;
  /** kubeadm join's --discovery-token-ca-cert-hash. */
  readonly caCertHash: pulumi.Output<string>;
  /** When the join token expires (RFC 3339, UTC); "" when it never does (no joinTokenTtlHours). */
  readonly joinTokenExpiresAt: pulumi.Output<string>;
  /** End of validity of each certificate, by name (ISO 8601). */
  readonly certificatesNotAfter: pulumi.Output<Record<string, string>>;
  /** The etcd client URLs the apiservers use. */
  readonly etcdEndpoints: pulumi.Output<string[]>;
  /** The kube-controller-manager and kube-scheduler lease holders at the last health check. */
  readonly leaders: pulumi.Output<Record<string, string>>;
  /** Seconds from each apiserver's last start to ready, by host. */
  readonly apiserverReadySeconds: pulumi.Output<Record<string, string>>;
  /** Every state saved before a switch or restore, oldest first (bring one back with restoreState). */
  readonly states: pulumi.Output<ControlPlaneState[]>;
  /** What the last switch or restore of the control plane's data did. */
  readonly lastDataTransition: pulumi.Output<string>;
  /** TypeScript only: the parts, to chain more resources. */
  readonly pki: KubePki;
  readonly members: KubeControlPlaneMember[];
  readonly loadBalancer?: KubeLoadBalancer;
  /** The stacked etcd cluster (stacked only). */
  readonly etcdCluster?: EtcdCluster;

  constructor(name: string, args: KubeControlPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etcd:index:KubeControlPlane", name, {}, opts);
    const ext = args.etcd?.external;
    const lb = args.loadBalancer;
    const facts = (h: {
      name?: string;
      connection?: HostConnection;
      addresses?: pulumi.Input<string>[];
      address?: pulumi.Input<string>;
    }) => ({
      name: known(h.name),
      host: known(h.connection?.host),
      addresses: h.addresses ? knownEach(h.addresses) : h.address ? [known(h.address)] : undefined,
    });
    const findings = validateControlPlane({
      hosts: Array.isArray(args.hosts) ? args.hosts.map(facts) : undefined,
      version: args.version,
      sha256: args.sha256,
      binariesOnHost: !!args.binaryPath,
      etcd: args.etcd
        ? {
            external: !!ext,
            stacked: !!args.etcd.stacked,
            externalHasClient: ext
              ? !!ext.cluster || (!!ext.caCertPem && (!!ext.caPrivateKeyPem || (!!ext.clientCertPem && !!ext.clientKeyPem)))
              : undefined,
          }
        : undefined,
      loadBalancer: lb
        ? {
            hosts: lb.hosts?.map(facts),
            local: lb.local,
            endpoint: lb.endpoint === undefined ? undefined : (known(lb.endpoint) ?? null),
            port: lb.port,
          }
        : undefined,
      serviceCidr: args.serviceCidr,
      clusterName: args.clusterName,
      dnsDomain: args.dnsDomain,
      extraArgs: args.extraArgs,
      auditPolicy: args.auditPolicy,
      joinTokenTtlHours: args.joinTokenTtlHours,
      otherAddresses: ext?.cluster ? ext.cluster.hosts.map((h) => known(h.connection.host) ?? "") : undefined,
      // The etcd version when the component knows it (stacked, or an EtcdCluster of this program).
      // Undeclared: the default a new cluster gets, or the one it was created with (each pinned, >= 3.6.9).
      etcdVersion: args.etcd?.stacked
        ? (args.etcd.stacked.version ?? DEFAULT_ETCD_VERSION)
        : ext?.cluster && (ext.cluster.declaredVersion ?? DEFAULT_ETCD_VERSION),
    });
    if (args.restore) {
      const names = args.etcd?.stacked
        ? (args.hosts ?? []).map((h) => known(h.name) ?? "")
        : ext?.cluster
          ? ext.cluster.hosts.map((h) => h.name)
          : [];
      if (!args.etcd?.stacked && !ext?.cluster)
        findings.errors.push("restore needs the etcd's hosts: use a stacked etcd or an EtcdCluster as etcd.external.cluster");
      else findings.errors.push(...restoreProblems(args.restore as never, names));
    }
    if (findings.errors.length > 0)
      throw new Error(`KubeControlPlane ${name}: invalid inputs, nothing was changed:\n  - ${findings.errors.join("\n  - ")}`);
    for (const w of findings.warnings) void pulumi.log.warn(`KubeControlPlane ${name}: ${w}`, this);
    const child = { parent: this };
    const port: number = DEFAULTS.port;

    // etcd: the endpoints, the CA and how the apiservers' client certificate is made.
    let etcdEndpoints: pulumi.Output<string[]>;
    let etcdCaCertPem: pulumi.Input<string>;
    let etcdCa: CaKeyPair | undefined;
    let etcdClient: { certPem: pulumi.Input<string>; privateKeyPem: pulumi.Input<string> } | undefined;
    let etcdReady: pulumi.Resource[] = [];
    if (args.etcd.stacked) {
      const st = args.etcd.stacked;
      this.etcdCluster = new EtcdCluster(
        `${name}-etcd`,
        {
          members: args.hosts.map((h) => ({ name: h.name, connection: h.connection, addresses: h.addresses })),
          version: st.version,
          sha256: st.sha256,
          downloadUrl: st.downloadUrl,
          tarballPath: st.tarballPath,
          tuning: st.tuning,
          dataDir: st.dataDir,
          keyAlgorithm: args.keyAlgorithm,
        },
        child,
      );
    }
    const cluster = this.etcdCluster ?? ext?.cluster;
    if (cluster) {
      etcdEndpoints = ext?.endpoints ? pulumi.output(ext.endpoints) : cluster.clientEndpoints;
      etcdCaCertPem = cluster.caCertPem;
      etcdCa = { certPem: cluster.etcdCa.certPem, privateKeyPem: cluster.etcdCa.privateKeyPem };
      etcdReady = [cluster];
    } else {
      etcdEndpoints = pulumi.output(ext!.endpoints ?? []);
      etcdCaCertPem = ext!.caCertPem!;
      if (ext!.caPrivateKeyPem) etcdCa = { certPem: ext!.caCertPem!, privateKeyPem: ext!.caPrivateKeyPem };
      else etcdClient = { certPem: ext!.clientCertPem!, privateKeyPem: pulumi.secret(ext!.clientKeyPem!) };
    }
    this.etcdEndpoints = etcdEndpoints;

    this.pki = new KubePki(`${name}-pki`, { ca: args.ca, etcdCa, keyAlgorithm: args.keyAlgorithm, rotation: args.certRotation }, child);
    this.caCertPem = this.pki.ca.certPem;
    const encryptionAtRest = args.encryptionAtRest ?? true;
    const encryptionKey = encryptionAtRest ? new RandomSecret(`${name}-encryption-key`, { kind: "aes256" }, child).value : undefined;
    const token = new RandomSecret(
      `${name}-join-token`,
      { kind: "bootstrap-token", rotation: args.joinTokenRotation, ttlHours: args.joinTokenTtlHours },
      child,
    );
    // State written before tokens had lifetimes has no expiresAt: such a token never expires.
    const tokenExpiresAt = token.expiresAt.apply((e) => e ?? "");

    // Every host passes its checks before anything is written to any of them.
    const preflight = (key: string, connection: HostConnection, role: string, ports: number[]) =>
      new HostScript(
        `${name}-${key}-preflight`,
        {
          connection,
          create: { script: "kube-preflight", env: { PE_ROLE: role, PE_PORTS: ports.join(" "), PE_NOT_BEFORE: this.pki.notBefore } },
        },
        child,
      );
    const preflights = [
      ...args.hosts.map((h) =>
        preflight(h.name, h.connection, "control-plane", [port, DEFAULT_PORTS.controllerManager, DEFAULT_PORTS.scheduler]),
      ),
      ...(lb?.hosts ?? []).map((h) => preflight(h.name, h.connection, "load-balancer", [lb!.port ?? port])),
    ];

    // The endpoint: what admin.conf on the hosts, the admin kubeconfig and cluster-info point at.
    const addressOf = (h: KubeControlPlaneHost) => pulumi.output(h.addresses?.[0] ?? h.connection.host);
    let hostEndpoint: pulumi.Output<string>; // as the control-plane hosts reach it
    let publicEndpoint: pulumi.Output<string>; // as users and joining nodes reach it
    let lbAddresses: pulumi.Input<pulumi.Input<string>[]> = [];
    if (lb?.hosts?.length) {
      hostEndpoint = publicEndpoint = pulumi
        .all(lb.hosts.map((h) => pulumi.output(h.address ?? h.connection.host)))
        .apply((a) => httpsUrl(a[0], lb.port ?? port));
      lbAddresses = lb.hosts.map((h) => h.address ?? h.connection.host);
    } else if (lb?.local) {
      hostEndpoint = pulumi.output(httpsUrl("127.0.0.1", port));
      publicEndpoint = addressOf(args.hosts[0]).apply((a) => httpsUrl(a, port));
    } else if (lb?.endpoint !== undefined) {
      // Often another resource's output (an NLB's DNS name): checked again once known.
      const ep = pulumi.output(lb.endpoint).apply((e) => {
        const parsed = parseEndpoint(e);
        if (typeof parsed === "string") throw new Error(`KubeControlPlane ${name}: ${parsed}`);
        return parsed;
      });
      hostEndpoint = publicEndpoint = ep.apply((e) => httpsUrl(e.host, e.port));
      lbAddresses = [ep.apply((e) => e.host)];
    } else {
      hostEndpoint = publicEndpoint = addressOf(args.hosts[0]).apply((a) => httpsUrl(a, port));
    }
    this.endpoint = publicEndpoint;

    const settings: pulumi.Output<ControlPlaneSettings> = etcdEndpoints.apply((servers) => ({
      clusterName: args.clusterName ?? DEFAULTS.clusterName,
      dnsDomain: args.dnsDomain ?? DEFAULTS.dnsDomain,
      serviceCidr: args.serviceCidr ?? DEFAULTS.serviceCidr,
      etcdServers: servers,
      encryptionAtRest,
      audit: args.audit ?? false,
      apiserverPort: port,
      shutdownDelaySeconds: 5,
      extraArgs: args.extraArgs,
    }));

    // The data under the apiservers: moved when the etcd changes, restored, or brought back from a
    // state, before the members write their files (with the new etcd settings) and restart on it.
    const apiserverEtcdClient = etcdClient ?? this.pki.etcdClient!;
    const apiserverTls = { caCertPem: etcdCaCertPem, certPem: apiserverEtcdClient.certPem, keyPem: apiserverEtcdClient.privateKeyPem };
    const target: InputObject<DataSwitchEtcd> = cluster
      ? {
          id: `${this.etcdCluster ? "stacked" : "external"}:${cluster.clusterName}`,
          endpoints: etcdEndpoints,
          adminTls: { caCertPem: cluster.caCertPem, certPem: cluster.admin.certPem, keyPem: cluster.admin.privateKeyPem },
          members: cluster.restoreMembers(),
          token: cluster.token,
          tuning: cluster.tuning,
          version: cluster.version,
        }
      : {
          id: etcdEndpoints.apply((e) => `external:${e.join(",")}`),
          endpoints: etcdEndpoints,
          adminTls: apiserverTls,
          members: [],
          token: "",
          version: "",
        };
    const dataSwitch = new DataSwitch(
      `${name}-data`,
      {
        controlPlane: name,
        hosts: args.hosts.map((h) => ({ name: h.name, connection: h.connection })),
        etcd: target,
        apiserverTls,
        allowOverwrite: args.allowEtcdOverwrite,
        restore: args.restore,
        restoreState: args.restoreState,
        kubeVersion: args.version,
        serviceCidr: args.serviceCidr ?? DEFAULTS.serviceCidr,
        encryptionKey: encryptionKey ?? "",
        startTimeoutSeconds: args.startTimeoutSeconds,
      },
      { ...child, dependsOn: etcdReady },
    );
    this.states = dataSwitch.states;
    this.lastDataTransition = dataSwitch.lastTransition;

    // One host (re)starts at a time, each ready and back in rotation before the next: the load balancer always has the others.
    const settleSeconds =
      lb?.settleSeconds ??
      (lb?.hosts?.length || lb?.local ? Math.ceil((2 * (lb.checkIntervalMs ?? 1000)) / 1000) + 1 : lb?.endpoint !== undefined ? 30 : 0);
    this.members = [];
    // A version change is rolled out by one resource, after every host's install and file steps and
    // before any host's start step, in the order the version-skew policy needs (see KubeRollout).
    let rolloutReady: (r: pulumi.Resource) => void = () => undefined;
    const rolloutDone = new Promise<pulumi.Resource>((resolve) => (rolloutReady = resolve));
    for (const h of args.hosts) {
      const previous = this.members[this.members.length - 1];
      this.members.push(
        new KubeControlPlaneMember(
          `${name}-${h.name}`,
          {
            hostname: h.name,
            connection: h.connection,
            addresses: h.addresses,
            version: args.version,
            sha256: args.sha256,
            downloadUrl: args.downloadUrl,
            binaryPath: args.binaryPath,
            pki: this.pki,
            etcd: { caCertPem: etcdCaCertPem, client: etcdClient },
            settings,
            endpoint: hostEndpoint,
            loadBalancerAddresses: lbAddresses,
            encryptionKey,
            auditPolicy: args.auditPolicy ?? DEFAULT_AUDIT_POLICY,
            installAfter: preflights,
            startAfter: [...(previous ? [previous.service] : etcdReady), rolloutDone],
            filesAfter: [dataSwitch],
            dataEpoch: dataSwitch.epoch,
            startTimeoutSeconds: args.startTimeoutSeconds,
            settleSeconds,
          },
          child,
        ),
      );
    }

    const rollout = new KubeRollout(
      `${name}-version`,
      {
        controlPlane: name,
        version: normalizeKubeVersion(args.version),
        hosts: this.members.map((m, k) => ({
          name: m.hostname,
          connection: args.hosts[k].connection,
          readyzUrl: m.url.apply((u) => `${u}/readyz`),
          units: m.units(),
        })),
        settleSeconds,
        startTimeoutSeconds: args.startTimeoutSeconds,
      },
      { ...child, dependsOn: [...etcdReady, ...this.members.flatMap((m) => m.hostReady)] },
    );
    rolloutReady(rollout);

    const backends = pulumi.all(this.members.map((m) => m.advertiseAddress.apply((address) => ({ name: m.hostname, address, port }))));
    if (lb?.hosts?.length || lb?.local) {
      const hosts: LoadBalancerHost[] = lb.hosts?.length ? lb.hosts : args.hosts.map((h) => ({ name: h.name, connection: h.connection }));
      this.loadBalancer = new KubeLoadBalancer(
        `${name}-lb`,
        {
          hosts,
          backends,
          caCertPem: this.pki.ca.certPem,
          bindAddress: lb.local ? "127.0.0.1" : "0.0.0.0",
          port: lb.port ?? port,
          checkIntervalMs: lb.checkIntervalMs,
          after: preflights,
        },
        child,
      );
    }

    const first = this.members[0];
    const firstHost = args.hosts[0];
    const services = this.members.map((m) => m.service);
    const bootstrap = new HostScript(
      `${name}-bootstrap`,
      {
        connection: firstHost.connection,
        create: {
          script: "kube-bootstrap",
          env: { PE_SERVER: first.url, PE_TOKEN_ID: token.publicId, PE_TOKEN_EXPIRATION: tokenExpiresAt },
          stdin: pulumi.secret(
            pulumi
              .all([token.value, tokenExpiresAt, this.pki.ca.certPem, publicEndpoint, settings, pulumi.output(args.keyAlgorithm)])
              .apply(([t, expiration, ca, server, s, keyAlgorithm]) =>
                renderBootstrapManifests({
                  token: t,
                  tokenExpiration: expiration,
                  caCertPem: ca,
                  server,
                  cluster: {
                    kubernetesVersion: args.version,
                    clusterName: s.clusterName,
                    serviceCidr: s.serviceCidr,
                    dnsDomain: s.dnsDomain,
                    etcdEndpoints: s.etcdServers,
                    keyAlgorithm,
                  },
                }),
              ),
          ),
        },
      },
      { ...child, dependsOn: services },
    );
    const lbUrlFromHosts = lb?.local || lb?.hosts?.length || lb?.endpoint !== undefined ? hostEndpoint : pulumi.output("");
    const health = new HostScript(
      `${name}-health`,
      {
        connection: firstHost.connection,
        create: {
          script: "kube-health",
          env: {
            PE_APISERVERS: pulumi.all(this.members.map((m) => m.url.apply((u) => `${m.hostname}=${u}`))).apply((x) => x.join(" ")),
            PE_LB_URL: lbUrlFromHosts,
            PE_SERVER: first.url,
            PE_TIMEOUT: String(args.healthTimeoutSeconds ?? 180),
            PE_GENERATION: pulumi.all(this.members.map((m) => m.lastStart)).apply((s) => JSON.stringify(s)),
          },
        },
      },
      { ...child, dependsOn: [bootstrap, ...(this.loadBalancer?.steps ?? [])] },
    );
    this.leaders = health.outputs.apply((o): Record<string, string> => ({
      controllerManager: o.controllerManagerLeader,
      scheduler: o.schedulerLeader,
    }));

    this.adminKubeconfig = pulumi.secret(
      pulumi
        .all([publicEndpoint, this.pki.ca.certPem, this.pki.admin.certPem, this.pki.admin.privateKeyPem, health.outputs])
        .apply(([server, ca, cert, key]) =>
          renderKubeconfig({
            clusterName: args.clusterName ?? DEFAULTS.clusterName,
            server,
            caCertPem: ca,
            user: "kubernetes-admin",
            clientCertPem: cert,
            clientKeyPem: key,
          }),
        ),
    );
    this.joinToken = pulumi.secret(pulumi.all([token.value, bootstrap.outputs]).apply(([t]) => t));
    this.caCertHash = this.pki.ca.certPem.apply(caCertHash);
    this.joinTokenExpiresAt = tokenExpiresAt;
    const p = this.pki;
    const named: [string, pulumi.Input<string>][] = [
      ["ca", p.ca.notAfter],
      ["front-proxy-ca", p.frontProxyCa.notAfter],
      ["admin", p.admin.notAfter],
      ["controller-manager", p.controllerManager.notAfter],
      ["scheduler", p.scheduler.notAfter],
      ["apiserver-kubelet-client", p.apiserverKubeletClient.notAfter],
      ["front-proxy-client", p.frontProxyClient.notAfter],
      ...(p.etcdClient ? [["apiserver-etcd-client", p.etcdClient.notAfter] as [string, pulumi.Input<string>]] : []),
      ...this.members.map((m): [string, pulumi.Input<string>] => [`apiserver/${m.hostname}`, m.apiserverCertNotAfter]),
    ];
    this.certificatesNotAfter = pulumi
      .all(named.map(([, v]) => v))
      .apply((dates) => Object.fromEntries(named.map(([k], i) => [k, dates[i]])));
    // The member's start step, or the version rollout when it restarted the apiserver (the start step then finds it current).
    this.apiserverReadySeconds = pulumi
      .all([pulumi.all(this.members.map((m) => m.lastStart)), rollout.apiserverReadySeconds])
      .apply(([starts, rolled]) =>
        Object.fromEntries(this.members.map((m, i) => [m.hostname, starts[i].apiserverReadySeconds || (rolled ?? {})[m.hostname] || ""])),
      );
    this.registerOutputs({
      endpoint: this.endpoint,
      caCertPem: this.caCertPem,
      adminKubeconfig: this.adminKubeconfig,
      joinToken: this.joinToken,
      caCertHash: this.caCertHash,
      joinTokenExpiresAt: this.joinTokenExpiresAt,
      certificatesNotAfter: this.certificatesNotAfter,
      etcdEndpoints: this.etcdEndpoints,
      leaders: this.leaders,
      apiserverReadySeconds: this.apiserverReadySeconds,
      states: this.states,
      lastDataTransition: this.lastDataTransition,
    });
  }
}
