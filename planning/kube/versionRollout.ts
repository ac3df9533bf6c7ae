// A control plane's version change as a plan: what Kubernetes' version-skew policy allows, the order
// the components restart in, what etcd the target needs, and the lines `pulumi preview` shows.
//
// The rules (https://kubernetes.io/releases/version-skew-policy/):
//   - kube-apiserver: in an HA cluster the newest and oldest apiserver must be within one minor, so a
//     change goes one minor at a time (1.36 → 1.37, never 1.35 → 1.37), and every apiserver must be on
//     the new minor before any other component moves to it;
//   - kube-controller-manager and kube-scheduler must not be newer than the apiservers they talk to:
//     they follow once every apiserver runs the target, controller-managers first, then schedulers;
//   - a downgrade of a minor is not supported by Kubernetes (storage versions, new fields written by the
//     newer apiserver): refused; a patch change within a minor, up or down, is a plain rolling restart.
// Pure: the provider (provider/kube/rolloutHandler.ts) runs the steps, the component checks the etcd.
import { SUPPORTED_KUBE_MINORS } from "./versions";

export const KUBE_COMPONENTS_IN_ORDER = ["kube-apiserver", "kube-controller-manager", "kube-scheduler"] as const;
export type RolloutComponent = (typeof KUBE_COMPONENTS_IN_ORDER)[number];

/**
 * The oldest etcd each Kubernetes minor runs on: kubeadm's MinExternalEtcdVersion ("3.5.24-0" in
 * cmd/kubeadm/app/constants/constants.go for the 1.34–1.37 releases; kubeadm's preflight refuses an
 * older external etcd). kubeadm's SupportedEtcdVersion (the etcd it deploys itself) is 3.6.x for 1.34+.
 */
export const MIN_ETCD_FOR_KUBE: Record<number, string> = { 36: "3.5.24", 37: "3.5.24" };

export interface KubeVersion {
  major: number;
  minor: number;
  patch: number;
}

export function parseKubeVersion(v: string): KubeVersion | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(v.trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) } : undefined;
}

const plain = (v: string) => v.trim().replace(/^v/, "");
const minorText = (v: KubeVersion) => `${v.major}.${v.minor}`;

function compareEtcd(a: string, b: string): number {
  const pa = a.replace(/^v/, "").split(/[.-]/).map(Number);
  const pb = b.replace(/^v/, "").split(/[.-]/).map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** Why Kubernetes `kube` cannot run on etcd `etcd` ("" / undefined: not known here, not checked). */
export function etcdRequirementProblem(kube: string | undefined, etcd: string | undefined): string | undefined {
  const k = kube ? parseKubeVersion(kube) : undefined;
  if (!k || !etcd || !/^v?\d+\.\d+\.\d+$/.test(etcd.trim())) return undefined;
  const min = MIN_ETCD_FOR_KUBE[k.minor];
  if (!min || compareEtcd(etcd.trim(), min) >= 0) return undefined;
  return (
    `Kubernetes ${plain(kube!)} needs etcd ${min} or newer (kubeadm's minimum for ${minorText(k)}); the control plane's etcd is ` +
    `${plain(etcd)}: upgrade the etcd first (its version input; one up), then change the Kubernetes version`
  );
}

/** Why `from` → `to` cannot be rolled out (skew policy, supported minors), or undefined. */
export function versionChangeProblem(from: string, to: string, supported: readonly number[] = SUPPORTED_KUBE_MINORS): string | undefined {
  const a = parseKubeVersion(from);
  const b = parseKubeVersion(to);
  if (!b) return `version ${JSON.stringify(to)} is not a Kubernetes release version like "1.37.2"`;
  if (!a) return undefined; // nothing known to run: a first start, no rollout
  const head = `Kubernetes ${plain(from)} → ${plain(to)}`;
  if (!supported.includes(b.minor))
    return `${head}: ${minorText(b)} is not supported by this release (supported: ${supported.map((m) => `1.${m}.x`).join(", ")}); keep version ${plain(from)}`;
  if (b.major !== a.major) return `${head}: a change of major version is not supported; keep version ${plain(from)}`;
  if (b.minor < a.minor)
    return (
      `${head} is a downgrade of the minor version, which Kubernetes does not support (the ${minorText(a)} apiservers may ` +
      `have written data ${minorText(b)} cannot read): keep version ${plain(from)} or another ${minorText(a)}.x, ` +
      `or bring back the state saved before the upgrade (restoreState)`
    );
  if (b.minor > a.minor + 1) {
    const steps = Array.from({ length: b.minor - a.minor }, (_, i) => `1.${a.minor + i + 1}.x`);
    return (
      `${head} skips ${b.minor - a.minor - 1} minor version(s): the version-skew policy allows one minor at a time ` +
      `(apiservers within one minor of each other). Upgrade in steps, one pulumi up each: ${steps.join(", then ")}`
    );
  }
  return undefined;
}

/** A version change together with a change of the control-plane hosts: refused, one kind of change per up. */
export function memberChangeProblem(from: string, to: string, oldHosts: string[], newHosts: string[]): string | undefined {
  if (plain(from) === plain(to)) return undefined;
  const added = newHosts.filter((h) => !oldHosts.includes(h));
  const removed = oldHosts.filter((h) => !newHosts.includes(h));
  if (!added.length && !removed.length) return undefined;
  const what = [added.length ? `adds ${added.join(", ")}` : "", removed.length ? `removes ${removed.join(", ")}` : ""]
    .filter(Boolean)
    .join(" and ");
  return (
    `Kubernetes ${plain(from)} → ${plain(to)} in the same up that ${what}: one kind of change at a time. ` +
    `Keep version ${plain(from)} and change the hosts first (one up), then change the version (another up)`
  );
}

export interface RolloutStep {
  component: RolloutComponent;
  host: string;
}

export interface VersionRolloutPlan {
  /** patch: within one minor; minor: one minor up; none: nothing to do. */
  kind: "none" | "patch" | "minor";
  /** Every apiserver first (host order), then every controller-manager, then every scheduler. */
  steps: RolloutStep[];
}

/** The restart order of a version change (after versionChangeProblem found none). */
export function versionRolloutPlan(from: string, to: string, hosts: string[]): VersionRolloutPlan {
  const a = parseKubeVersion(from);
  const b = parseKubeVersion(to);
  if (!b || (a && plain(from) === plain(to))) return { kind: "none", steps: [] };
  const kind = a && a.minor === b.minor ? "patch" : "minor";
  const steps = KUBE_COMPONENTS_IN_ORDER.flatMap((component) => hosts.map((host) => ({ component, host })));
  return { kind, steps };
}

/** The plan as `pulumi preview` shows it (warnings); a refusal in one line. */
export function versionRolloutPreviewLines(
  from: string,
  to: string,
  hosts: string[],
  opts: { settleSeconds?: number; refusal?: string } = {},
): string[] {
  const head = `Kubernetes ${plain(from)} → ${plain(to)}`;
  if (opts.refusal) return [`${head}: refused: ${opts.refusal}`];
  const plan = versionRolloutPlan(from, to, hosts);
  if (plan.kind === "none") return [];
  const a = parseKubeVersion(from)!;
  const b = parseKubeVersion(to)!;
  const label = plan.kind === "patch" ? "patch" : `upgrade ${minorText(a)} → ${minorText(b)}`;
  const settle = opts.settleSeconds ? `, then ${opts.settleSeconds} s for the load balancer to take it back` : "";
  return [
    `${head} (${label}): ${plan.steps.length} restarts, one at a time, in the order the version-skew policy needs:`,
    `  0. the ${plain(to)} binaries installed beside ${plain(from)} on ${hosts.join(", ")} (nothing restarts)`,
    `  1. kube-apiserver on ${hosts.join(", ")}: each ready (/readyz through its own address, /version ${plain(to)})${settle}, before the next`,
    `  2. kube-controller-manager on ${hosts.join(", ")}, once every apiserver runs ${plain(to)}`,
    `  3. kube-scheduler on ${hosts.join(", ")}`,
    `  a component that does not come up gets its previous unit back and the rollout stops there; the next up resumes`,
  ];
}
