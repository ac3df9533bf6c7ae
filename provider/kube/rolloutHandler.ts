// etcd:kube:Rollout: brings a running control plane to the declared Kubernetes version in the order
// the version-skew policy needs (planning/kube/versionRollout.ts): every kube-apiserver first, one
// host at a time, each ready through its own address (and serving the new version) and back in the
// load balancer's rotation before the next; then every kube-controller-manager; then every
// kube-scheduler. It runs after the members' install and file steps (the new binaries sit beside the
// old ones) and before their start steps, which then find their units current and restart nothing.
//
// Preview shows the plan as a warning and contacts no host; a skipped or downgraded minor, or a
// version change in the same up as a change of hosts, is refused at preview. A component that does
// not come up gets its previous unit back (kube-upgrade.sh) and the rollout stops at that host with
// the others running; the state keeps the old version, so the next up resumes (components already on
// the target are found current and not restarted).
import { KubeRolloutHost, KubeRolloutInputs, KubeRolloutOutputs } from "../../planning/kube/resourceTypes";
import {
  memberChangeProblem,
  RolloutComponent,
  RolloutStep,
  versionChangeProblem,
  versionRolloutPlan,
  versionRolloutPreviewLines,
} from "../../planning/kube/versionRollout";
import { normalizeKubeVersion } from "../../planning/kube/versions";
import { Context, ResourceHandler } from "../common/handler";
import { HostStepError, runHostStep } from "../common/hostStep";
import { onEvery } from "../common/onEvery";
import { containsUnknown, reveal } from "../common/secrets";

type Inputs = KubeRolloutInputs;
type Outputs = KubeRolloutOutputs;

export const PHASE = "kube-upgrade";

const UNIT_KEY: Record<RolloutComponent, keyof KubeRolloutHost["units"]> = {
  "kube-apiserver": "apiserver",
  "kube-controller-manager": "controllerManager",
  "kube-scheduler": "scheduler",
};

const namesOf = (hosts: { name?: unknown }[] | undefined) => (hosts ?? []).map((h) => h?.name);
const allKnown = (xs: unknown[]) => xs.every((x) => typeof x === "string" && !containsUnknown(x));

/** Why the change from the recorded inputs/outputs to the new ones is refused, or undefined. */
function changeProblem(olds: Partial<Inputs & Outputs>, news: Inputs): string | undefined {
  const running = olds.running || olds.version;
  if (!running || normalizeKubeVersion(running) === normalizeKubeVersion(news.version)) return undefined;
  const skew = versionChangeProblem(running, news.version);
  if (skew) return skew;
  const oldNames = namesOf(olds.hosts);
  if (allKnown(oldNames)) return memberChangeProblem(running, news.version, oldNames as string[], namesOf(news.hosts) as string[]);
  return undefined;
}

/** What kube-upgrade.sh needs to know of one component on one host, restarting it or only checking. */
function upgradeEnv(i: Inputs, h: KubeRolloutHost, component: RolloutComponent): Record<string, string> {
  return {
    PE_COMPONENT: component,
    PE_VERSION: normalizeKubeVersion(i.version),
    PE_UNIT: h.units[UNIT_KEY[component]],
    PE_READYZ_URL: h.readyzUrl,
  };
}

async function step(ctx: Context, i: Inputs, s: RolloutStep): Promise<{ state: string; seconds?: string }> {
  const h = i.hosts.find((x) => x.name === s.host)!;
  const r = await runHostStep(undefined, h.connection, {
    script: "kube-upgrade",
    env: {
      ...upgradeEnv(i, h, s.component),
      PE_START_TIMEOUT: String(i.startTimeoutSeconds ?? 180),
      PE_SETTLE_SECONDS: String(i.settleSeconds ?? 0),
    },
    timeoutMs: ((i.startTimeoutSeconds ?? 180) * 2 + (i.settleSeconds ?? 0) + 120) * 1000,
  });
  const v = normalizeKubeVersion(i.version);
  if (r.outputs.state === "restarted") await ctx.log(PHASE, s.host, `${s.component} ${v} ready (${r.outputs.seconds} s)`);
  else if (r.outputs.state === "current") await ctx.log(PHASE, s.host, `${s.component} already runs ${v}`);
  else await ctx.log(PHASE, s.host, `${s.component}: no unit yet (the member's start writes it)`);
  return { state: r.outputs.state, seconds: r.outputs.seconds };
}

/**
 * Before the first restart: every apiserver that runs is ready through its own address, so taking
 * one out leaves the load balancer the others. A host whose apiserver is not ready refuses the
 * rollout (nothing restarted); one already on the target unit (an interrupted rollout) counts as ready.
 */
async function checkApiservers(i: Inputs, from: string, target: string): Promise<void> {
  // Read-only checks: all hosts at once.
  const checked = await onEvery(i.hosts, (h) =>
    runHostStep(undefined, h.connection, {
      script: "kube-upgrade",
      env: { ...upgradeEnv(i, h, "kube-apiserver"), PE_CHECK_ONLY: "1" },
      timeoutMs: 60_000,
    }),
  );
  const problems = [
    ...checked.problems,
    ...i.hosts.flatMap((h, k) => {
      const out = checked.values[k]?.outputs;
      return out && out.ready !== "yes" ? [`${h.name}: ${out.why || "kube-apiserver is not ready"}`] : [];
    }),
  ];
  if (problems.length)
    throw new Error(
      `Kubernetes ${from} → ${target} refused, nothing was restarted: every apiserver must be ready before the first one restarts ` +
        `(the load balancer needs the others):\n  - ${problems.join("\n  - ")}`,
    );
}

async function rollout(ctx: Context, i: Inputs, from: string | undefined): Promise<Outputs> {
  const target = normalizeKubeVersion(i.version);
  const hosts = i.hosts.map((h) => h.name);
  // On create (from unknown) the same steps run: hosts without units are left to the members' start,
  // hosts already on the declared units restart nothing.
  const plan = versionRolloutPlan(from ?? "", target, hosts);
  const steps = plan.steps.length ? plan.steps : versionRolloutPlan("", target, hosts).steps;
  const started = Date.now();
  if (from) {
    await ctx.log(PHASE, i.controlPlane, `Kubernetes ${from} → ${target}: ${steps.length} steps, one at a time`);
    await checkApiservers(i, from, target);
  }
  const done: string[] = [];
  const ready: Record<string, string> = {};
  let restarted = 0;
  for (const s of steps) {
    try {
      const r = await step(ctx, i, s);
      if (r.state === "restarted") restarted++;
      if (r.state === "restarted" && s.component === "kube-apiserver" && r.seconds) ready[s.host] = r.seconds;
      done.push(`${s.component}@${s.host}`);
    } catch (e) {
      const why =
        e instanceof HostStepError
          ? `${s.component} did not come up on ${target}` // the script's reason says what it put back
          : `${s.component} could not be rolled (nothing was changed on ${s.host})`;
      throw new Error(
        `Kubernetes ${from ?? "?"} → ${target} stopped at ${s.host}: ${why}: ${(e as Error).message}\n` +
          `Done so far: ${done.join(", ") || "nothing"}. The other hosts keep running; fix the cause and run pulumi up again: the rollout resumes.`,
      );
    }
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const line = from
    ? `Kubernetes ${from} → ${target} on ${hosts.length} host(s): ${restarted} restart(s) in ${seconds} s (apiservers, then controller-managers, then schedulers)`
    : "";
  if (from) await ctx.log(PHASE, i.controlPlane, line);
  return { running: target, lastRollout: line, apiserverReadySeconds: ready };
}

export const kubeRolloutResource: ResourceHandler = {
  async check(news, olds) {
    if (!olds || !Object.keys(olds).length || containsUnknown(news.version)) return { inputs: news };
    const problem = changeProblem(reveal<Partial<Inputs & Outputs>>(olds), reveal<Inputs>(news));
    return problem ? { inputs: news, failures: [{ property: "version", reason: problem }] } : { inputs: news };
  },
  async diff(olds, news, ctx) {
    const o = reveal<Partial<Inputs & Outputs>>(olds);
    const n = reveal<Inputs>(news);
    const running = o.running || o.version;
    // Only a version change is the rollout's: any other change of the units is the members' (their
    // start step restarts what changed, one host at a time).
    const unknown = containsUnknown(news.version);
    const changes = unknown || !running || normalizeKubeVersion(running) !== normalizeKubeVersion(n.version);
    if (ctx && changes && running && !unknown) {
      const names = namesOf(n.hosts);
      const lines = versionRolloutPreviewLines(running, n.version, allKnown(names) ? (names as string[]) : ["(hosts)"], {
        settleSeconds: n.settleSeconds,
        refusal: changeProblem(o, n),
      });
      if (lines.length) await ctx.warn(PHASE, n.controlPlane, lines.join("\n"));
    }
    return { changes, replaces: [] };
  },
  async create(ctx, wire) {
    const i = reveal<Inputs>(wire);
    const out = await rollout(ctx, i, undefined);
    return { id: `${i.controlPlane}-version`, outs: { ...wire, ...out } };
  },
  async update(ctx, _id, olds, news) {
    const o = reveal<Partial<Inputs & Outputs>>(olds);
    const n = reveal<Inputs>(news);
    const problem = changeProblem(o, n);
    if (problem) throw new Error(`${problem}; nothing was restarted`);
    const out = await rollout(ctx, n, normalizeKubeVersion(o.running || o.version || n.version));
    return { outs: { ...news, ...out } };
  },
  async delete() {
    // Nothing on the hosts belongs to the rollout alone.
  },
};
