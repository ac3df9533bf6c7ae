// What each custom resource of the provider implements. Inputs and outputs are the engine's wire
// values (secrets wrapped, unknowns as the UNKNOWN sentinel during preview).
import type * as provider from "@pulumi/pulumi/provider";
import type { HandlerPhase } from "./engineLog";

export interface Context {
  urn: string;
  /** Progress shown in `pulumi up` output under this resource, as `[phase] subject: message` (engineLog.ts). */
  log(phase: HandlerPhase | string, subject: string, message: string): Promise<void>;
  warn(phase: HandlerPhase | string, subject: string, message: string): Promise<void>;
}

export interface ResourceHandler {
  /** olds is empty on create; ctx lets check tell what an update will do (shown by preview). */
  check(news: Record<string, unknown>, olds?: Record<string, unknown>, ctx?: Context): Promise<provider.CheckResult>;
  /** ctx: for what only the recorded outputs can tell (preview shows its warnings). */
  diff(olds: Record<string, unknown>, news: Record<string, unknown>, ctx?: Context): Promise<provider.DiffResult>;
  create(ctx: Context, inputs: Record<string, unknown>): Promise<provider.CreateResult>;
  update(ctx: Context, id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<provider.UpdateResult>;
  delete(ctx: Context, id: string, props: Record<string, unknown>): Promise<void>;
  read?(ctx: Context, id: string, props: Record<string, unknown>): Promise<provider.ReadResult>;
}

/** Names of the top-level properties whose values differ. */
export function changedKeys(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  same: (a: unknown, b: unknown) => boolean,
): string[] {
  const keys = new Set([...Object.keys(olds), ...Object.keys(news)]);
  return [...keys].filter((k) => !same(olds[k], news[k]));
}
