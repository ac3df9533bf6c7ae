// Construct-time validation of a control plane: everything here is checked before any host is
// touched, so `pulumi preview` fails with a message that says what to do. Only values known at
// construct time are checked (an address that is another resource's output is checked later).
import { canonicalAddress, isDnsName, isIpAddress } from "../common/addresses";
import { tokenTtlProblem } from "./bootstrapManifests";
import { extraArgsProblems, ExtraArgs, managedFlagNames } from "./flags";
import { cidrContains, parseCidr, serviceCidrProblem } from "./serviceNetwork";
import { kubeVersionProblem, KubeSha256 } from "./versions";
import { etcdRequirementProblem } from "./versionRollout";

export const DEFAULTS = { serviceCidr: "10.96.0.0/12", clusterName: "kubernetes", dnsDomain: "cluster.local", port: 6443 } as const;

export interface HostFacts {
  name?: string;
  host?: string;
  addresses?: (string | undefined)[];
}

export interface ControlPlaneFacts {
  hosts?: HostFacts[];
  version?: string;
  sha256?: KubeSha256;
  /** Binaries given as files on the hosts: no checksum needed from the package. */
  binariesOnHost?: boolean;
  etcd?: { external?: boolean; stacked?: boolean; externalHasClient?: boolean };
  /** endpoint null: given, but another resource's output (checked once known). */
  loadBalancer?: { hosts?: HostFacts[]; local?: boolean; endpoint?: string | null; port?: number };
  serviceCidr?: string;
  clusterName?: string;
  dnsDomain?: string;
  extraArgs?: ExtraArgs;
  /** The audit policy text, when given. */
  auditPolicy?: string;
  /** Hours the join token is valid, when given. */
  joinTokenTtlHours?: unknown;
  /** Addresses of other hosts of the stack (external etcd members): the service CIDR must not hold them either. */
  otherAddresses?: string[];
  /** The etcd version, when known (stacked, or an EtcdCluster): the target Kubernetes must run on it. */
  etcdVersion?: string;
}

export interface Findings {
  errors: string[];
  warnings: string[];
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** "host:port" of an existing load balancer, or a reason it is not one. */
export function parseEndpoint(text: string): { host: string; port: number } | string {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s/[\]]+)):(\d{1,5})$/.exec(text);
  const host = m ? (m[1] ?? m[2]) : "";
  const port = m ? Number(m[3]) : 0;
  if (!m || port < 1 || port > 65535 || !(isIpAddress(host) || isDnsName(host)))
    return `loadBalancer.endpoint ${JSON.stringify(text)} is not "host:port" (an IP or DNS name, IPv6 in brackets)`;
  return { host, port };
}

export function validateControlPlane(f: ControlPlaneFacts): Findings {
  const errors: string[] = [];
  const warnings: string[] = [];
  const hosts = f.hosts ?? [];
  if (!Array.isArray(f.hosts) || hosts.length === 0)
    errors.push("hosts is required: list the control-plane hosts (1, or 2+ behind a load balancer)");

  // Names, and the same host listed twice (under any role).
  const names = new Map<string, number>();
  const seen = new Map<string, string>();
  const claim = (address: string | undefined, who: string) => {
    if (!address) return;
    const key = canonicalAddress(address);
    const other = seen.get(key);
    if (other && other !== who) errors.push(`${who} and ${other} use the same host ${address}: each needs its own host`);
    else seen.set(key, who);
  };
  hosts.forEach((h, i) => {
    const who = `hosts[${i}]${h.name ? ` (${h.name})` : ""}`;
    if (h.name === undefined) errors.push(`${who}: name is required`);
    else if (!LABEL.test(h.name))
      errors.push(`${who}: name ${JSON.stringify(h.name)} must be a DNS label (lowercase letters, digits, '-', at most 63)`);
    else names.set(h.name, (names.get(h.name) ?? 0) + 1);
    claim(h.host, who);
    for (const a of h.addresses ?? []) {
      if (a !== undefined && !isIpAddress(a) && !isDnsName(a)) errors.push(`${who}: address ${JSON.stringify(a)} is not an IP or DNS name`);
      // An address is one host's: another host advertising it would bind what is not its own.
      else if (a !== undefined && a !== h.host) claim(a, who);
    }
  });
  for (const [n, count] of names) if (count > 1) errors.push(`host name ${n} is listed ${count} times: names must be unique`);

  const v = kubeVersionProblem(f.version, f.sha256, f.binariesOnHost);
  if (v) errors.push(v);
  const etcdTooOld = v ? undefined : etcdRequirementProblem(f.version, f.etcdVersion);
  if (etcdTooOld) errors.push(etcdTooOld);

  const e = f.etcd;
  if (!e || Number(!!e.external) + Number(!!e.stacked) !== 1)
    errors.push(
      "etcd: give exactly one of external (an EtcdCluster, or endpoints + CA + client certificate) or stacked (an etcd member on each control-plane host)",
    );
  else if (e.external && e.externalHasClient === false)
    errors.push(
      "etcd.external: give the cluster (an EtcdCluster), or caCertPem with either the CA's privateKeyPem or a client certPem and keyPem for the apiservers",
    );

  const lb = f.loadBalancer;
  if (lb) {
    const kinds = Number(!!lb.hosts?.length) + Number(!!lb.local) + Number(lb.endpoint !== undefined);
    if (kinds !== 1)
      errors.push(
        "loadBalancer: give exactly one of hosts (dedicated haproxy hosts), local: true (haproxy on every control-plane host at 127.0.0.1) or endpoint (one you built)",
      );
    (lb.hosts ?? []).forEach((h, i) => {
      const who = `loadBalancer.hosts[${i}]${h.name ? ` (${h.name})` : ""}`;
      if (!h.name || !LABEL.test(h.name)) errors.push(`${who}: name must be a DNS label`);
      // Names key each host's resources: one name, one host, across both roles.
      else if (names.has(h.name)) errors.push(`${who}: the name ${h.name} is already used by another host: names must be unique`);
      else names.set(h.name, 1);
      claim(h.host, who);
    });
    if (typeof lb.endpoint === "string") {
      const p = parseEndpoint(lb.endpoint);
      if (typeof p === "string") errors.push(p);
    }
    if (lb.port !== undefined && (!Number.isInteger(lb.port) || lb.port < 1 || lb.port > 65535))
      errors.push(`loadBalancer.port ${lb.port} is not a port`);
    if (lb.local && lb.port !== undefined && lb.port !== DEFAULTS.port)
      errors.push("loadBalancer.local listens on 127.0.0.1:6443 beside each apiserver; port cannot be changed for it");
  } else if (hosts.length > 1) {
    errors.push(
      `${hosts.length} control-plane hosts need a loadBalancer: hosts (dedicated haproxy hosts), local: true, or endpoint (e.g. an AWS NLB); without one, clients would depend on a single apiserver`,
    );
  }

  const cidr = f.serviceCidr ?? DEFAULTS.serviceCidr;
  const cp = serviceCidrProblem(cidr);
  if (cp) errors.push(cp);
  else {
    const c = parseCidr(cidr);
    const addresses = [
      ...hosts.flatMap((h) => [h.host, ...(h.addresses ?? [])]),
      ...(lb?.hosts ?? []).flatMap((h) => [h.host, ...(h.addresses ?? [])]),
      ...(f.otherAddresses ?? []),
    ];
    for (const a of new Set(addresses.filter((x): x is string => !!x && isIpAddress(x))))
      if (typeof c !== "string" && cidrContains(c, a))
        errors.push(
          `serviceCidr ${cidr} holds the host address ${a}: Service IPs would shadow the host; choose a range no host uses (default ${DEFAULTS.serviceCidr})`,
        );
  }
  const clusterName = f.clusterName ?? DEFAULTS.clusterName;
  if (!LABEL.test(clusterName)) errors.push(`clusterName ${JSON.stringify(clusterName)} must be a DNS label`);
  const domain = f.dnsDomain ?? DEFAULTS.dnsDomain;
  if (!isDnsName(domain) || domain.endsWith(".")) errors.push(`dnsDomain ${JSON.stringify(domain)} is not a DNS domain like cluster.local`);

  errors.push(...extraArgsProblems(f.extraArgs, managedFlagNames()));
  if (f.auditPolicy !== undefined && (!/^\s*apiVersion:\s*audit\.k8s\.io\/v1\b/m.test(f.auditPolicy) || /^#pe-file /m.test(f.auditPolicy)))
    errors.push("auditPolicy must be an audit.k8s.io/v1 Policy document (YAML with apiVersion: audit.k8s.io/v1)");
  const ttl = tokenTtlProblem(f.joinTokenTtlHours);
  if (ttl) errors.push(ttl);
  if (hosts.length === 2 && e?.stacked) warnings.push("a stacked etcd on 2 hosts tolerates no failure: use 3 control-plane hosts");
  return { errors, warnings };
}
