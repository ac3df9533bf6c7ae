// KubeControlPlaneMember: kube-apiserver, kube-controller-manager and kube-scheduler on one host:
// its apiserver serving certificate (issued from the cluster CA), the binaries (sha256-checked),
// the files in /etc/kubernetes and the systemd units. Usable alone (also from YAML) with certificates
// you give (a KubeMemberPki: a KubePki, or your own); KubeControlPlane composes several, one restart at a time.
import * as pulumi from "@pulumi/pulumi";
import { apiserverSans } from "../../planning/pki/kubeSans";
import { httpsUrl } from "../../planning/common/addresses";
import { apiserverFlags, ControlPlaneSettings, controllerManagerFlags, schedulerFlags } from "../../planning/kube/flags";
import { fileBundle, MemberPki, renderMemberFiles } from "../../planning/kube/memberFiles";
import { firstServiceIp } from "../../planning/kube/serviceNetwork";
import { renderKubeUnit } from "../../planning/kube/units";
import { DEFAULT_KUBE_DOWNLOAD_URL, KUBE_BINARIES, kubeChecksums, KubeSha256, normalizeKubeVersion } from "../../planning/kube/versions";
import { HostConnection } from "../common/connection";
import { HostScript } from "../common/customResources";
import { publicKeyPem } from "../../planning/pki/publicKey";
import { Certificate } from "../pki/customResources";
import { CertKeyPair, KubeMemberPki } from "./kubePki";
import { KubeRolloutUnits } from "../../planning/kube/resourceTypes";

/** Where the Kubernetes binaries come from: the version and a checked source. */
export interface KubeInstallOptions {
  /** sha256 of each binary (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl); default the package's pins. */
  sha256?: KubeSha256;
  /** Download URL template ({version}, {arch}, {binary}); default dl.k8s.io's. */
  downloadUrl?: string;
  /** Binaries already on each host ({version}, {arch}, {binary} replaced), for air-gapped sites. */
  binaryPath?: string;
}

/** The etcd the apiserver uses: its CA certificate, and the apiserver's client certificate. */
export interface KubeMemberEtcd {
  /** The etcd CA certificate (PEM). */
  caCertPem: pulumi.Input<string>;
  /** The apiserver's etcd client certificate, issued by the etcd CA; default the pki's etcdClient. */
  client?: CertKeyPair;
}

export interface KubeControlPlaneMemberArgs extends KubeInstallOptions {
  /** The host's name (certificates, haproxy backend); default the resource name. */
  hostname?: string;
  /** How the provider reaches the host. */
  connection: HostConnection;
  /** Addresses the apiserver advertises and serves; the first is the advertise address. Default the SSH host. */
  addresses?: pulumi.Input<string>[];
  /** Kubernetes version, e.g. "1.37.2". */
  version: string;
  /** The cluster's certificates: a KubePki, or your own. */
  pki: KubeMemberPki;
  /** The etcd CA certificate and the apiserver's etcd client certificate (default: the pki's etcdClient). */
  etcd: KubeMemberEtcd;
  /** The control plane's settings (flags). */
  settings: pulumi.Input<ControlPlaneSettings>;
  /** The URL admin.conf points at (the load balancer). */
  endpoint: pulumi.Input<string>;
  /** Load balancer names and addresses the serving certificate must carry. */
  loadBalancerAddresses?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * The encryption key for Secrets at rest (base64, 32 bytes), when settings.encryptionAtRest.
   * @secret
   */
  encryptionKey?: pulumi.Input<string>;
  /** The audit policy (YAML), when settings.audit. */
  auditPolicy?: pulumi.Input<string>;
  /** Resources the install waits for (KubeControlPlane: every host's preflight). */
  installAfter?: pulumi.Resource[];
  /**
   * Resources the (re)start waits for (KubeControlPlane: the previous host's start, so one restarts at
   * a time, and its version rollout).
   */
  startAfter?: pulumi.Input<pulumi.Resource>[];
  /** Resources the files (certificates, kubeconfigs, etcd settings) wait for (KubeControlPlane: its data switch). */
  filesAfter?: pulumi.Resource[];
  /** Changes when the data under the apiservers was replaced (a switch or restore of their etcd): every component restarts. */
  dataEpoch?: pulumi.Input<string>;
  /** How long each component may take to be ready, in seconds; default 180. */
  startTimeoutSeconds?: number;
  /** Seconds to wait after a restarted apiserver is ready, for the load balancer to take it back before the next host restarts; default 0. */
  settleSeconds?: number;
  /** What to do with the host steps when the host is gone on delete: fail (default) or skip with a warning. */
  unreachableOnDelete?: "fail" | "skip";
}

/** kube-apiserver, kube-controller-manager and kube-scheduler on one host. */
export class KubeControlPlaneMember extends pulumi.ComponentResource {
  readonly hostname: string;
  /** This apiserver's URL (its advertise address). */
  readonly url: pulumi.Output<string>;
  /** The address the apiserver advertises (the first of addresses). */
  readonly advertiseAddress: pulumi.Output<string>;
  /** End of the apiserver serving certificate's validity (ISO 8601). */
  readonly apiserverCertNotAfter: pulumi.Output<string>;
  /** What the last start step did: restarted components and the apiserver's start-to-ready seconds. */
  readonly lastStart: pulumi.Output<Record<string, string>>;
  /** The running components (depend on it to act after this host is ready). */
  readonly service: HostScript;
  /** The install and file steps. */
  readonly hostReady: pulumi.Resource[];
  readonly #units: pulumi.Output<KubeRolloutUnits>;

  /** The components' systemd units for the declared version (a version rollout writes them first). */
  units(): pulumi.Output<KubeRolloutUnits> {
    return this.#units;
  }

  constructor(name: string, args: KubeControlPlaneMemberArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etcd:index:KubeControlPlaneMember", name, {}, opts);
    const child = { parent: this };
    const hostname = args.hostname ?? name;
    this.hostname = hostname;
    const version = normalizeKubeVersion(args.version);
    const settings = pulumi.output(args.settings);
    const addresses = pulumi.all(args.addresses ?? [args.connection.host]);
    this.advertiseAddress = addresses.apply((a) => a[0]);
    this.url = pulumi.all([addresses, settings]).apply(([a, s]) => httpsUrl(a[0], s.apiserverPort));

    const sans = pulumi.all([addresses, settings, pulumi.output(args.loadBalancerAddresses ?? [])]).apply(([a, s, lb]) =>
      apiserverSans({
        hostname,
        addresses: a,
        dnsDomain: s.dnsDomain,
        firstServiceIp: firstServiceIp(s.serviceCidr),
        loadBalancerAddresses: lb,
      }),
    );
    const pki = args.pki;
    const serving = new Certificate(
      `${name}-apiserver`,
      {
        commonName: "kube-apiserver",
        keyAlgorithm: pki.keyAlgorithm,
        validityHours: pki.certValidityHours,
        dnsNames: sans.dns,
        ipAddresses: sans.ips,
        usages: ["server"],
        signerCertPem: pki.ca.certPem,
        signerPrivateKeyPem: pulumi.secret(pki.ca.privateKeyPem),
        rotation: pki.rotation,
      },
      child,
    );
    this.apiserverCertNotAfter = serving.notAfter;

    const sums = kubeChecksums(version, args.sha256);
    const pairs = (arch: "amd64" | "arm64") => KUBE_BINARIES.map((b) => `${b}=${sums[arch][b]}`).join(" ");
    const template = (t: string) => t.replace(/\{version\}/g, version);
    const install = new HostScript(
      `${name}-install`,
      {
        connection: args.connection,
        create: {
          script: "kube-install",
          env: {
            PE_VERSION: version,
            PE_URL: args.binaryPath ? "" : template(args.downloadUrl ?? DEFAULT_KUBE_DOWNLOAD_URL),
            PE_BINARY_PATH: args.binaryPath ? template(args.binaryPath) : "",
            PE_SHA256_AMD64: pairs("amd64"),
            PE_SHA256_ARM64: pairs("arm64"),
          },
        },
        delete: { script: "kube-uninstall", env: { PE_VERSION: version } },
        unreachableOnDelete: args.unreachableOnDelete,
        timeoutSeconds: 1800,
      },
      { ...child, dependsOn: args.installAfter },
    );

    const etcdClient = args.etcd.client ?? pki.etcdClient;
    if (!etcdClient) throw new Error(`KubeControlPlaneMember ${name}: give etcd.client, or a KubePki with an etcdCa`);
    const p = <T>(v: pulumi.Input<T>) => pulumi.output(v);
    // Keys the user gives as plain strings (read from files) are secrets from here on.
    const kp = (x: CertKeyPair) => ({ certPem: x.certPem, privateKeyPem: pulumi.secret(x.privateKeyPem) });
    const sa = pulumi.secret(pki.serviceAccount.privateKeyPem);
    const memberPki: pulumi.Output<MemberPki> = pulumi.output({
      ca: kp(pki.ca),
      apiserver: kp(serving),
      apiserverKubeletClient: kp(pki.apiserverKubeletClient),
      frontProxyCa: kp(pki.frontProxyCa),
      frontProxyClient: kp(pki.frontProxyClient),
      serviceAccount: { privateKeyPem: sa, publicKeyPem: pki.serviceAccount.publicKeyPem ?? sa.apply(publicKeyPem) },
      etcdCaCertPem: p(args.etcd.caCertPem),
      etcdClient: kp(etcdClient),
      admin: kp(pki.admin),
      controllerManager: kp(pki.controllerManager),
      scheduler: kp(pki.scheduler),
    });
    const files = pulumi
      .all([memberPki, settings, p(args.endpoint), this.url, p(args.encryptionKey ?? ""), p(args.auditPolicy ?? "")])
      .apply(([mp, s, endpoint, localServer, key, audit]) =>
        renderMemberFiles(mp, {
          clusterName: s.clusterName,
          endpoint,
          localServer,
          encryptionKey: s.encryptionAtRest ? key : undefined,
          auditPolicy: s.audit ? audit : undefined,
        }),
      );
    const fileStep = new HostScript(
      `${name}-files`,
      {
        connection: args.connection,
        create: {
          script: "kube-files",
          env: { PE_FILES: files.apply((fs) => fs.map(([path]) => path).join(" ")) },
          stdin: pulumi.secret(files.apply(fileBundle)),
        },
        delete: { script: "kube-files-remove" },
        unreachableOnDelete: args.unreachableOnDelete,
      },
      { ...child, dependsOn: [install, ...(args.filesAfter ?? [])] },
    );
    this.hostReady = [install, fileStep];

    const units = pulumi.all([settings, addresses]).apply(([s, a]) => ({
      apiserver: renderKubeUnit("kube-apiserver", version, apiserverFlags(s, { advertiseAddress: a[0], bindAddress: a[0] })),
      controllerManager: renderKubeUnit("kube-controller-manager", version, controllerManagerFlags(s)),
      scheduler: renderKubeUnit("kube-scheduler", version, schedulerFlags(s)),
    }));
    this.#units = units;
    const serviceEnv = (phase: string) => ({
      PE_PHASE: phase,
      PE_UNIT_APISERVER: units.apply((u) => u.apiserver),
      PE_UNIT_CONTROLLER_MANAGER: units.apply((u) => u.controllerManager),
      PE_UNIT_SCHEDULER: units.apply((u) => u.scheduler),
      PE_FILES_DIGEST: fileStep.outputs.apply((o) => o.digest),
      PE_READYZ_URL: this.url.apply((u) => `${u}/readyz`),
      PE_START_TIMEOUT: String(args.startTimeoutSeconds ?? 180),
      PE_SETTLE_SECONDS: String(args.settleSeconds ?? 0),
      PE_DATA_EPOCH: args.dataEpoch ?? "",
    });
    this.service = new HostScript(
      `${name}-service`,
      {
        connection: args.connection,
        create: { script: "kube-control-plane", env: serviceEnv("create") },
        update: { script: "kube-control-plane", env: serviceEnv("update") },
        delete: { script: "kube-control-plane-remove" },
        unreachableOnDelete: args.unreachableOnDelete,
        timeoutSeconds: (args.startTimeoutSeconds ?? 180) * 3 + 120,
      },
      { ...child, dependsOn: [fileStep, ...(args.startAfter ?? [])] },
    );
    this.lastStart = this.service.outputs;
    this.registerOutputs({
      url: this.url,
      advertiseAddress: this.advertiseAddress,
      apiserverCertNotAfter: this.apiserverCertNotAfter,
      lastStart: this.lastStart,
    });
  }
}
