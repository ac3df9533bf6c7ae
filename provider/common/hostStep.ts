// The one way a resource runs a host script: every handler goes through runHostStep, so every step
// shares one SSH path (the pooled connection of its host, see sshPool.ts), one progress format and
// one error policy.
//
// Progress: each line the script logs is shown in `pulumi up` as `[<script>] <host>: <line>` (the
// provider's one line format, engineLog.ts phaseLine; the script's name is the phase); the script's
// own `[<hostname> <script>]` prefix is replaced by it. The end of a step adds `done (<seconds> s)`.
//
// Errors: `<script> failed on <host> (exit <code>): <why>`, where <why> is the script's `ERROR:`
// lines when it printed any, else the last TAIL_LINES lines of its stderr; with `diagnose` (e.g.
// the etcd unit's journal for a service start), that read-only step's output is appended. A host
// that cannot be reached raises HostUnreachableError (callers may skip a delete with a warning).
import { hostScript } from "./hostScripts";
import type { Context } from "./handler";
import { HostUnreachableError, parseOutputs, runScript, SshConnection } from "./ssh";

export { HostUnreachableError };

export const TAIL_LINES = 15;

export interface HostStep {
  /** A host script's name (hosts/<domain>/<name>.sh); also the phase shown before its progress. */
  script: string;
  /** Parameters, exported to the script as environment variables (quoted data, never code). */
  env?: Record<string, string>;
  /** Sent on stdin: the only way secrets reach a host. */
  stdin?: string;
  /** A local file streamed to stdin instead. */
  stdinFile?: string;
  timeoutMs?: number;
  /** A read-only step run on the same host when this one fails; its stdout is added to the error. */
  diagnose?: { script: string; env?: Record<string, string>; title: string };
}

export interface StepResult {
  /** The script's `::output key=value` lines. */
  outputs: Record<string, string>;
  stdout: string;
}

/** Where progress goes (a handler's Context); omit for a quiet step. */
export type Progress = Pick<Context, "log">;

export class HostStepError extends Error {
  constructor(
    message: string,
    readonly script: string,
    readonly host: string,
    readonly code: number,
  ) {
    super(message);
  }
}

/** The script's line without its own `[<hostname> <script>] ` prefix. */
export function stripPrefix(script: string, line: string): string {
  const prefix = /^\[\S+ ([a-z][a-z0-9-]*)\] /.exec(line);
  return prefix && prefix[1] === script ? line.slice(prefix[0].length) : line;
}

/** Why a step failed, from its stderr: its `ERROR:` lines, else the tail of its stderr. */
export function failureReason(script: string, stderr: string): string {
  const lines = stderr
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => stripPrefix(script, l));
  const errors = lines.flatMap((l) => {
    const m = /(?:^|\s)ERROR: (.*)$/.exec(l);
    return m ? [m[1]] : [];
  });
  if (errors.length) return errors.join("; ");
  return lines.length ? `\n${lines.slice(-TAIL_LINES).join("\n")}` : "(no output)";
}

/** Runs one host script on one host; throws HostStepError when it exits non-zero. */
export async function runHostStep(progress: Progress | undefined, conn: SshConnection, step: HostStep): Promise<StepResult> {
  const started = Date.now();
  // Lines are sent one after the other, so `pulumi up` shows them in the order the script wrote them.
  let shown = Promise.resolve();
  const log = (line: string) => {
    if (progress) shown = shown.then(() => progress.log(step.script, conn.host, stripPrefix(step.script, line))).catch(() => undefined);
  };
  const r = await runScript(conn, {
    script: hostScript(step.script).text,
    name: step.script,
    env: step.env,
    stdin: step.stdin,
    stdinFile: step.stdinFile,
    timeoutMs: step.timeoutMs,
    onProgress: progress ? log : undefined,
  });
  await shown;
  if (r.code !== 0) {
    let message = `${step.script} failed on ${conn.host} (exit ${r.code}): ${failureReason(step.script, r.stderr)}`;
    if (step.diagnose) message += `\n${step.diagnose.title} on ${conn.host}:\n${await diagnose(conn, step.diagnose)}`;
    throw new HostStepError(message, step.script, conn.host, r.code);
  }
  log(`done (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  await shown;
  return { outputs: parseOutputs(r.stdout), stdout: r.stdout };
}

/** A read-only step's output, or why it is not available (never throws: it only adds to an error). */
export async function diagnose(conn: SshConnection, d: { script: string; env?: Record<string, string> }): Promise<string> {
  try {
    const r = await runHostStep(undefined, conn, { script: d.script, env: d.env, timeoutMs: 30_000 });
    return r.stdout.trim();
  } catch (e) {
    return `(not available: ${(e as Error).message})`;
  }
}
