// etcd:host:HostScript: runs one of the package's host scripts over SSH on create/update, and its
// delete script on delete. Unlike a generic command resource:
//   - a change of parameters runs `update` (or `create` again): scripts are idempotent, and nothing
//     is deleted on a mere change; only a new host replaces the resource;
//   - the delete script and its parameters are stored, so delete does exactly what was declared;
//   - stdin (the only channel for secrets) stays a secret; scripts print no secret.
import { hostScriptRevision } from "./hostScripts";
import { HostUnreachableError, runHostStep, StepResult } from "./hostStep";
import { containsUnknown, reveal, sameValue } from "./secrets";
import { changedKeys, Context, ResourceHandler } from "./handler";
import { HostScriptInputs, HostScriptStep } from "../../planning/common/resourceTypes";

type Step = HostScriptStep;

interface Inputs extends HostScriptInputs {
  /** Added by check: the declared rerun revision of each script the steps name (see hostScriptRevision). */
  scriptRevisions?: Record<string, number>;
}

const STEPS = ["create", "update", "delete"] as const;
// A new host (or port) is a different machine: replace. Anything else is an update.
const REPLACE_ON = ["host", "port"];

function run(ctx: Context, inputs: Inputs, step: Step): Promise<StepResult> {
  return runHostStep(ctx, inputs.connection, {
    script: step.script,
    env: step.env,
    stdin: step.stdin,
    timeoutMs: (inputs.timeoutSeconds ?? 600) * 1000,
  });
}

function outputs(wire: Record<string, unknown>, result: StepResult | undefined, previous?: Record<string, unknown>) {
  return { ...wire, outputs: result ? result.outputs : (previous?.outputs ?? {}) };
}

/** The rerun revision a state recorded for a script; state without one (0.1.0) ran revision 1. */
function revisionOf(i: { scriptRevisions?: Record<string, number> }, script: string): number {
  return i.scriptRevisions?.[script] ?? 1;
}

function revisionRose(olds: Record<string, unknown>, news: Record<string, unknown>): boolean {
  const o = reveal<Inputs>(olds);
  const n = reveal<Inputs>(news);
  return Object.keys(n.scriptRevisions ?? {}).some((s) => revisionOf(o, s) < revisionOf(n, s));
}

/** Inputs minus what is not a declaration: the outputs and the script bookkeeping. */
function strip(o: Record<string, unknown>): Record<string, unknown> {
  const c = { ...o };
  for (const k of ["outputs", "scriptHashes", "scriptRevisions"]) delete c[k];
  return c;
}

export const hostScriptResource: ResourceHandler = {
  async check(news) {
    const failures: { property: string; reason: string }[] = [];
    const inputs: Record<string, unknown> = { ...news };
    if (containsUnknown(news.create) || containsUnknown(news.update) || containsUnknown(news.delete)) return { inputs };
    const revisions: Record<string, number> = {};
    for (const phase of STEPS) {
      const step = reveal<Step | undefined>(news[phase]);
      if (!step) continue;
      try {
        revisions[step.script] = hostScriptRevision(step.script);
      } catch (e) {
        failures.push({ property: `${phase}.script`, reason: (e as Error).message });
      }
    }
    if (!news.create) failures.push({ property: "create", reason: "create is required" });
    // A new package version re-runs a script on hosts that ran it only when the script's declared
    // rerun revision rose; other edits of its text (comments, refactors) change nothing on a host.
    delete inputs.scriptHashes; // 0.1.0 stored a hash of each script's text instead
    inputs.scriptRevisions = revisions;
    return { inputs, failures };
  },

  async diff(olds, news) {
    const changed = changedKeys(strip(olds), strip(news), sameValue);
    if (revisionRose(olds, news)) changed.push("scriptRevisions");
    const oldConn = reveal<Record<string, unknown>>(olds.connection ?? {});
    const newConn = reveal<Record<string, unknown>>(news.connection ?? {});
    const replaces = REPLACE_ON.filter((k) => !sameValue(oldConn[k], newConn[k])).map((k) => `connection.${k}`);
    return { changes: changed.length > 0, replaces };
  },

  async create(ctx, wire) {
    const inputs = reveal<Inputs>(wire);
    const result = await run(ctx, inputs, inputs.create);
    return { id: `${inputs.connection.host}/${inputs.create.script}`, outs: outputs(wire, result) };
  },

  async update(ctx, _id, olds, news) {
    const o = reveal<Inputs>(olds);
    const n = reveal<Inputs>(news);
    const step = n.update ?? n.create;
    // Only a change to what the script does re-runs it; new credentials or a new delete step do not.
    const rerun = !sameValue(o.update ?? o.create, step) || revisionOf(o, step.script) < revisionOf(n, step.script);
    const result = rerun ? await run(ctx, n, step) : undefined;
    return { outs: outputs(news, result, olds) };
  },

  async delete(ctx, _id, props) {
    const inputs = reveal<Inputs>(props);
    if (!inputs.delete) return;
    try {
      await run(ctx, inputs, inputs.delete);
    } catch (e) {
      if (e instanceof HostUnreachableError && inputs.unreachableOnDelete === "skip") {
        await ctx.warn(inputs.delete.script, inputs.connection.host, `unreachable; skipped (${e.message})`);
        return;
      }
      throw e;
    }
  },
};
