// The command-line flags of kube-apiserver, kube-controller-manager and kube-scheduler, as kubeadm
// sets them (same file layout), plus the package's choices: encryption at rest, a drain before an
// apiserver stops, TLS 1.2 minimum, no profiling. The flags set here are "managed": extra args may
// add flags but never override one of them or weaken a security setting.
import { DEFAULT_PORTS, KubeComponent, kubePath } from "./layout";

/** The settings every control-plane host of one cluster shares (KubeControlPlane fills them in). */
export interface ControlPlaneSettings {
  /** The cluster's name (kubeconfigs, controller-manager's --cluster-name); KubeControlPlane's default "kubernetes". */
  clusterName: string;
  /** The cluster DNS domain (service-account issuer); KubeControlPlane's default "cluster.local". */
  dnsDomain: string;
  /** The Service network (--service-cluster-ip-range); KubeControlPlane's default "10.96.0.0/12". */
  serviceCidr: string;
  /** Client URLs of the etcd members the apiservers use. */
  etcdServers: string[];
  /** Encrypt Secrets at rest (AES-CBC) with the member's encryptionKey. */
  encryptionAtRest: boolean;
  /** An audit policy is installed and the log written to /var/log/kubernetes/audit.log. */
  audit: boolean;
  /** The apiserver's secure port; KubeControlPlane's 6443. */
  apiserverPort: number;
  /** Seconds an apiserver keeps serving after SIGTERM while its /readyz fails (load balancers drain it); KubeControlPlane's 5. */
  shutdownDelaySeconds: number;
  /** More flags per component; a flag the package manages or one that weakens security is refused. */
  extraArgs?: ExtraArgs;
}

/** More flags per component, `name` without the leading dashes. */
export interface ExtraArgs {
  /** More kube-apiserver flags. */
  apiserver?: Record<string, string>;
  /** More kube-controller-manager flags. */
  controllerManager?: Record<string, string>;
  /** More kube-scheduler flags. */
  scheduler?: Record<string, string>;
}

const EXTRA_KEYS: Record<keyof ExtraArgs, KubeComponent> = {
  apiserver: "kube-apiserver",
  controllerManager: "kube-controller-manager",
  scheduler: "kube-scheduler",
};

/** Flags no extra arg may set even though the package does not set them: they open the API or weaken auth. */
const REFUSED: Record<KubeComponent, string[]> = {
  "kube-apiserver": [
    "token-auth-file",
    "insecure-port",
    "insecure-bind-address",
    "disable-admission-plugins",
    "kubelet-insecure-tls",
    "enable-insecure-endpoints",
  ],
  "kube-controller-manager": ["insecure-port", "address"],
  // With --config, a leader-elect* flag overrides the file's leaderElect: true (two schedulers at once).
  "kube-scheduler": [
    "insecure-port",
    "address",
    "port",
    "kubeconfig",
    "leader-elect",
    "leader-elect-lease-duration",
    "leader-elect-renew-deadline",
    "leader-elect-retry-period",
    "leader-elect-resource-lock",
    "leader-elect-resource-name",
    "leader-elect-resource-namespace",
  ],
};

export type Flags = [string, string][];

export function apiserverFlags(s: ControlPlaneSettings, host: { advertiseAddress: string; bindAddress: string }): Flags {
  const f: Flags = [
    ["advertise-address", host.advertiseAddress],
    ["bind-address", host.bindAddress],
    ["secure-port", String(s.apiserverPort)],
    ["allow-privileged", "true"],
    ["anonymous-auth", "true"], // kubeadm's default: /readyz, /livez, /version for load balancers
    ["authorization-mode", "Node,RBAC"],
    ["client-ca-file", kubePath("caCert")],
    ["enable-admission-plugins", "NodeRestriction"],
    ["enable-bootstrap-token-auth", "true"],
    ["etcd-cafile", kubePath("etcdCaCert")],
    ["etcd-certfile", kubePath("etcdClientCert")],
    ["etcd-keyfile", kubePath("etcdClientKey")],
    ["etcd-servers", s.etcdServers.join(",")],
    ["kubelet-client-certificate", kubePath("kubeletClientCert")],
    ["kubelet-client-key", kubePath("kubeletClientKey")],
    ["kubelet-preferred-address-types", "InternalIP,ExternalIP,Hostname"],
    ["profiling", "false"],
    ["proxy-client-cert-file", kubePath("frontProxyClientCert")],
    ["proxy-client-key-file", kubePath("frontProxyClientKey")],
    ["requestheader-allowed-names", "front-proxy-client"],
    ["requestheader-client-ca-file", kubePath("frontProxyCaCert")],
    ["requestheader-extra-headers-prefix", "X-Remote-Extra-"],
    ["requestheader-group-headers", "X-Remote-Group"],
    ["requestheader-username-headers", "X-Remote-User"],
    ["service-account-issuer", `https://kubernetes.default.svc.${s.dnsDomain}`],
    ["service-account-key-file", kubePath("saPub")],
    ["service-account-signing-key-file", kubePath("saKey")],
    ["service-cluster-ip-range", s.serviceCidr],
    // /readyz fails at once on SIGTERM while requests are still served: the LB drains it first.
    ["shutdown-delay-duration", `${s.shutdownDelaySeconds}s`],
    ["shutdown-send-retry-after", "true"],
    ["tls-cert-file", kubePath("apiserverCert")],
    ["tls-min-version", "VersionTLS12"],
    ["tls-private-key-file", kubePath("apiserverKey")],
  ];
  if (s.encryptionAtRest) f.push(["encryption-provider-config", kubePath("encryptionConfig")]);
  if (s.audit)
    f.push(
      ["audit-policy-file", kubePath("auditPolicy")],
      ["audit-log-path", "/var/log/kubernetes/audit.log"],
      ["audit-log-maxage", "30"],
      ["audit-log-maxbackup", "10"],
      ["audit-log-maxsize", "100"],
    );
  return withExtra(f, s.extraArgs?.apiserver);
}

export function controllerManagerFlags(s: ControlPlaneSettings): Flags {
  const conf = kubePath("controllerManagerConf");
  const f: Flags = [
    ["authentication-kubeconfig", conf],
    ["authorization-kubeconfig", conf],
    ["bind-address", "127.0.0.1"],
    ["client-ca-file", kubePath("caCert")],
    ["cluster-name", s.clusterName],
    ["cluster-signing-cert-file", kubePath("caCert")],
    ["cluster-signing-key-file", kubePath("caKey")],
    // bootstrapsigner signs cluster-info for token discovery; tokencleaner removes expired tokens.
    ["controllers", "*,bootstrapsigner,tokencleaner"],
    ["kubeconfig", conf],
    ["leader-elect", "true"],
    ["profiling", "false"],
    ["requestheader-client-ca-file", kubePath("frontProxyCaCert")],
    ["root-ca-file", kubePath("caCert")],
    ["secure-port", String(DEFAULT_PORTS.controllerManager)],
    ["service-account-private-key-file", kubePath("saKey")],
    ["service-cluster-ip-range", s.serviceCidr],
    ["tls-min-version", "VersionTLS12"],
    ["use-service-account-credentials", "true"],
  ];
  return withExtra(f, s.extraArgs?.controllerManager);
}

export function schedulerFlags(s: ControlPlaneSettings): Flags {
  const conf = kubePath("schedulerConf");
  const f: Flags = [
    ["authentication-kubeconfig", conf],
    ["authorization-kubeconfig", conf],
    ["bind-address", "127.0.0.1"],
    ["config", kubePath("schedulerConfig")], // kubeconfig and leader election live in the config file
    ["profiling", "false"],
    ["secure-port", String(DEFAULT_PORTS.scheduler)],
    ["tls-min-version", "VersionTLS12"],
  ];
  return withExtra(f, s.extraArgs?.scheduler);
}

function withExtra(managed: Flags, extra?: Record<string, string>): Flags {
  const named = Object.entries(extra ?? {}).map(([k, v]): [string, string] => [k.replace(/^--/, ""), v]);
  return [...managed, ...named.sort(([a], [b]) => a.localeCompare(b))];
}

const FLAG_NAME = /^[a-z][a-z0-9-]*$/;
// systemd expands % and $ in ExecStart, and a flag value is one word of it: no spaces, quotes or backslashes.
const FLAG_VALUE = /^[^\s"'\\$%;`]*$/;

/** Problems with the extra args: unknown component keys, bad names or values, managed or refused flags. */
export function extraArgsProblems(extra: ExtraArgs | undefined, managedFlags: Record<KubeComponent, string[]>): string[] {
  const problems: string[] = [];
  for (const [key, args] of Object.entries(extra ?? {})) {
    const component = EXTRA_KEYS[key as keyof ExtraArgs];
    if (!component) {
      problems.push(`extraArgs.${key}: unknown component (use apiserver, controllerManager or scheduler)`);
      continue;
    }
    for (const [rawName, value] of Object.entries(args ?? {})) {
      const name = rawName.replace(/^--/, "");
      if (!FLAG_NAME.test(name))
        problems.push(`extraArgs.${key}: ${JSON.stringify(rawName)} is not a flag name (lowercase words joined by '-')`);
      else if (managedFlags[component].includes(name))
        problems.push(
          `extraArgs.${key}: --${name} is managed by the package (${component} needs the value it sets); use the component's input for it, or leave it out`,
        );
      else if (REFUSED[component].includes(name))
        problems.push(`extraArgs.${key}: --${name} weakens the ${component}'s security and is refused`);
      if (typeof value !== "string" || !FLAG_VALUE.test(value))
        problems.push(`extraArgs.${key}.${name}: the value must be one word without spaces, quotes, '\\', '$', '%', ';' or backticks`);
    }
  }
  return problems;
}

/** The names of the flags the package sets for each component (every flag it may set, audit and encryption included). */
export function managedFlagNames(): Record<KubeComponent, string[]> {
  const s: ControlPlaneSettings = {
    clusterName: "x",
    dnsDomain: "x",
    serviceCidr: "10.96.0.0/12",
    etcdServers: [],
    encryptionAtRest: true,
    audit: true,
    apiserverPort: 6443,
    shutdownDelaySeconds: 5,
  };
  const names = (f: Flags) => f.map(([n]) => n);
  return {
    "kube-apiserver": names(apiserverFlags(s, { advertiseAddress: "x", bindAddress: "x" })),
    "kube-controller-manager": names(controllerManagerFlags(s)),
    "kube-scheduler": names(schedulerFlags(s)),
  };
}
