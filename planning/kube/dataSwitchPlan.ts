// What a control plane's data switch will do (planning only, no I/O): moving the Kubernetes data
// from one etcd to another (stacked ↔ external, or between external clusters), restoring it from a
// snapshot (disaster recovery) or bringing back a saved state. The provider
// (provider/kube/dataSwitchHandler.ts) carries the plan out; `pulumi preview` prints its steps.
// The rules:
//   - one transition per `pulumi up` (a switch, a restore or a state), and not with host changes;
//   - the apiservers (and controller-managers, schedulers) stop before the snapshot, so no write is
//     lost between the snapshot and the switch, and every one restarts afterwards (stale caches,
//     kubernetes/kubernetes#118501);
//   - every transition first saves a state (snapshot + each host's /etc/kubernetes), so any earlier
//     state can be brought back;
//   - data moves only onto etcd the package reaches (its members' hosts): a restore with a new token,
//     revisions bumped and marked compacted so watchers resync instead of missing events.
import { createHash } from "node:crypto";
import { describeSource } from "../etcd/restorePlan";
import { ControlPlaneState, DataSwitchInputs } from "./resourceTypes";

export type TransitionKind = "none" | "switch" | "restore" | "restore-state";

export interface Transition {
  kind: TransitionKind;
  /** The etcd the data comes from (switch) or is on (restore, state). */
  from: string;
  /** The etcd the data goes to. */
  to: string;
  /** The state to bring back (restore-state). */
  state?: ControlPlaneState;
}

type Switchable = Pick<
  DataSwitchInputs,
  "etcd" | "restore" | "restoreState" | "hosts" | "kubeVersion" | "serviceCidr" | "encryptionKey" | "controlPlane"
>;

/** What changed between the recorded inputs (undefined on create) and the new ones. */
export function transitionOf(olds: Partial<Switchable> | undefined, news: Switchable, states: ControlPlaneState[]): Transition {
  const to = news.etcd.id;
  if (!olds) {
    // A new control plane: a restore block restores its etcd before any apiserver starts (a clone).
    return { kind: news.restore ? "restore" : "none", from: to, to };
  }
  const from = olds.etcd?.id ?? to;
  if (from !== to) return { kind: "switch", from, to };
  if (news.restore && news.restore.generation !== olds.restore?.generation) return { kind: "restore", from, to };
  if (news.restoreState && news.restoreState !== olds.restoreState)
    return { kind: "restore-state", from, to, state: states.find((s) => s.name === news.restoreState) };
  return { kind: "none", from, to };
}

/** sha256 of the encryption key, first 16 hex digits: states are compared by it, never by the key. */
export function keyFingerprint(key: string): string {
  return key ? createHash("sha256").update(key).digest("hex").slice(0, 16) : "";
}

const minor = (v: string) => Number(/^v?\d+\.(\d+)/.exec(v)?.[1] ?? NaN);

/** Why a saved state cannot be brought back onto the control plane as declared now. */
export function stateProblems(s: ControlPlaneState, now: Pick<Switchable, "kubeVersion" | "serviceCidr" | "encryptionKey">): string[] {
  const p: string[] = [];
  if (minor(s.kubeVersion) > minor(now.kubeVersion))
    p.push(`it holds data of Kubernetes ${s.kubeVersion}, newer than ${now.kubeVersion} (apiservers cannot read newer storage versions)`);
  if (s.serviceCidr !== now.serviceCidr)
    p.push(`its Service network was ${s.serviceCidr}, now ${now.serviceCidr} (its Services' cluster IPs would be outside the network)`);
  if (s.encryptionKeyFingerprint !== keyFingerprint(now.encryptionKey))
    p.push(
      `its Secrets were encrypted with ${s.encryptionKeyFingerprint ? `key ${s.encryptionKeyFingerprint}` : "no key"}, now ${now.encryptionKey ? `key ${keyFingerprint(now.encryptionKey)}` : "no key"} (they would not decrypt)`,
    );
  return p;
}

/** Why the transition cannot run; checked at preview, before any host is touched. */
export function transitionProblems(t: Transition, olds: Partial<Switchable> | undefined, news: Switchable): string[] {
  const p: string[] = [];
  const changes = [
    olds?.etcd && olds.etcd.id !== news.etcd.id ? "etcd" : "",
    olds && news.restore && news.restore.generation !== olds.restore?.generation ? "restore.generation" : "",
    olds && news.restoreState && news.restoreState !== olds.restoreState ? "restoreState" : "",
  ].filter(Boolean);
  if (changes.length > 1)
    p.push(`${changes.join(" and ")} changed together: change one per pulumi up (each moves the control plane's data)`);
  if (!olds && news.restoreState) p.push("restoreState names a state of this control plane: there is none yet (it is new)");
  if (t.kind === "none") return p;
  const hostNames = (hs?: { name: string }[]) => (hs ?? []).map((h) => h.name).join(",");
  if (olds?.hosts && hostNames(olds.hosts) !== hostNames(news.hosts))
    p.push(`the control-plane hosts changed together with a ${t.kind}: change the hosts in one pulumi up, the data in another`);
  if (news.etcd.members.length === 0)
    p.push(`${news.etcd.id} is given by endpoints only: moving data onto it needs its hosts (declare it as an EtcdCluster)`);
  if (t.kind === "switch" && (olds?.etcd?.members ?? []).length === 0)
    p.push(`${t.from} is given by endpoints only: taking the data off it needs its hosts (declare it as an EtcdCluster)`);
  if (t.kind === "restore-state") {
    if (!t.state) p.push(`restoreState ${JSON.stringify(news.restoreState)} is not a state of this control plane: see its states output`);
    else p.push(...stateProblems(t.state, news).map((x) => `state ${t.state!.name} cannot be brought back: ${x}`));
  }
  return p;
}

/** The steps, in order, as `pulumi preview` shows them. */
export function transitionSteps(t: Transition, news: Switchable, running: boolean): string[] {
  const hosts = news.hosts.map((h) => h.name).join(", ");
  const data =
    t.kind === "switch"
      ? `a snapshot of ${t.from} (the state just saved)`
      : t.kind === "restore"
        ? `the snapshot ${describeSource(news.restore!.source)}`
        : `the snapshot of state ${t.state?.name ?? news.restoreState}`;
  const steps: string[] = [];
  if (t.kind === "switch")
    steps.push(
      `check that ${t.to} is healthy, holds no Kubernetes data${news.etcd.id.startsWith("stacked") ? "" : " (or allowOverwrite)"}, runs an etcd at least as new as ${t.from}'s and accepts the apiservers' client certificate`,
    );
  if (running) {
    steps.push(`stop kube-apiserver, kube-controller-manager and kube-scheduler on ${hosts} (writes stop: the downtime starts)`);
    steps.push(
      `save a state: a snapshot of ${t.from} (sha256-checked) and each host's /etc/kubernetes, kept on ${hosts} and listed in the states output`,
    );
  }
  steps.push(
    `restore ${t.to} from ${data} on every member: a new cluster token, revisions bumped and marked compacted (watchers get "too old resource version" and relist); each member's earlier data archived, never deleted`,
    `drop the restored apiserver endpoint leases (each apiserver writes its own on start) and write every Kubernetes object again, unchanged, so each resourceVersion is above any a client saw (lease-bound keys such as Events are left to expire)`,
  );
  if (t.kind === "switch")
    steps.push(`on any failure so far: start the components again on ${t.from}, unchanged; the error says what failed`);
  steps.push(
    `${t.kind === "switch" ? `rewrite the apiservers' etcd flags and certificates for ${t.to} and ` : ""}start every component again, one host at a time, each ready before the next (all restart: their caches would be stale)`,
  );
  if (t.kind === "switch" && t.from.startsWith("stacked"))
    steps.push(`remove the stacked etcd ${t.from.slice("stacked:".length)} (its data dirs archived, not wiped)`);
  if (t.kind === "switch" && t.from.startsWith("external")) steps.push(`leave ${t.from} running with the data as it was at the switch`);
  return steps;
}

/** A state's name: its number and time, e.g. s3-20261203T104500Z. */
export function stateName(n: number, at: Date): string {
  return `s${n}-${at
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z")}`;
}

/** Where a host keeps a state. */
export const stateDirOf = (name: string) => `/var/lib/pulumi-etcd/kube-states/${name}`;

/**
 * How far a restore raises revisions so that they never go backwards for a client: the new head is
 * at least `bump` above the highest revision known before (the live one, or the one recorded at the
 * last transition), whatever revision the snapshot has (a state or a backup is usually older).
 * Unknown snapshot revision (a backup not read yet): counted as 0.
 */
export function bumpFor(highestBefore: number, snapshotRevision: number | undefined, bump: number): number {
  return Math.max(bump, highestBefore - (snapshotRevision ?? 0) + bump);
}
