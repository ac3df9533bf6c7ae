// Runs the package's host scripts over SSH, on connections shared through sshPool. Plain
// TypeScript, no Pulumi types. Resources do not call this directly: hostStep.ts is the one runner.
//
// Why not @pulumi/command here: its traps are listed in the README (setenv refused by sshd, stdout
// stored in state, `triggers` replacing and so running `delete`), and its plugin cannot be built
// from the Go module proxy on our machines. This module keeps the rules in one place:
//   - the host key is always checked against a pinned key;
//   - parameters travel as environment assignments, each value single-quoted for the shell;
//   - secrets travel only on stdin, never on the command line or in output.
import { createReadStream, createWriteStream } from "node:fs";
import { Client, ConnectConfig } from "ssh2";
import { shellQuote } from "../../planning/common/shell";
import { HostUnreachableError, SshPool } from "./sshPool";

export { shellQuote };

export interface SshConnection {
  host: string;
  port?: number;
  user: string;
  privateKey: string;
  /** The host's public key as in known_hosts: "ssh-ed25519 AAAA...". */
  hostKey: string;
}

export interface ScriptRun {
  /** The script's text (one of the package's host scripts). */
  script: string;
  /** A name for logs and $0. */
  name: string;
  /** Parameters, exported to the script as environment variables. */
  env?: Record<string, string>;
  /** Sent on stdin; the only way secrets reach a host. */
  stdin?: string;
  /** A local file streamed to stdin instead (a snapshot can be larger than memory should hold). */
  stdinFile?: string;
  timeoutMs?: number;
  /** Called with each line the script writes to stderr (its progress log). */
  onProgress?: (line: string) => void;
}

export interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
}

export { HostUnreachableError };

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

/** The remote command line: `env K='v' ... bash -c '<script>' name`. User values are only ever quoted data. */
export function commandLine(run: Pick<ScriptRun, "script" | "name" | "env">): string {
  const assignments = Object.entries(run.env ?? {}).map(([k, v]) => {
    if (!ENV_NAME.test(k)) throw new Error(`invalid parameter name ${JSON.stringify(k)}`);
    if (typeof v !== "string") throw new Error(`parameter ${k} must be a string`);
    return `${k}=${shellQuote(v)}`;
  });
  return ["env", ...assignments, "bash", "-c", shellQuote(run.script), shellQuote(run.name)].join(" ");
}

export function parseHostKey(hostKey: string): Buffer {
  const parts = hostKey.trim().split(/\s+/);
  const b64 = parts.length >= 2 ? parts[1] : parts[0];
  if (!b64 || !/^[A-Za-z0-9+/=]+$/.test(b64))
    throw new Error(`hostKey must look like "ssh-ed25519 AAAA...", got ${JSON.stringify(hostKey)}`);
  return Buffer.from(b64, "base64");
}

function connect(conn: SshConnection, timeoutMs: number): Promise<Client> {
  const pinned = parseHostKey(conn.hostKey);
  return new Promise((resolve, reject) => {
    const client = new Client();
    let mismatch = false;
    const cfg: ConnectConfig = {
      host: conn.host,
      port: conn.port ?? 22,
      username: conn.user,
      privateKey: conn.privateKey,
      readyTimeout: timeoutMs,
      // A pooled connection to a host that died is noticed within ~15 s, not at the next TCP timeout.
      keepaliveInterval: 5_000,
      keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => {
        mismatch = !key.equals(pinned);
        return !mismatch;
      },
    };
    client.once("ready", () => resolve(client));
    client.once("error", (err: Error & { level?: string }) => {
      client.end();
      if (mismatch) {
        reject(
          new Error(
            `host key of ${conn.host} does not match the pinned hostKey: refusing to connect (a different machine, or a reinstalled one: check and update hostKey)`,
          ),
        );
      } else if (err.level === "client-authentication") {
        reject(new Error(`ssh ${conn.user}@${conn.host}: the private key was not accepted`));
      } else {
        reject(new HostUnreachableError(`ssh ${conn.user}@${conn.host}:${conn.port ?? 22}: ${err.message}`));
      }
    });
    client.connect(cfg);
  });
}

/** The provider process's connections: one per host (and credentials), shared by every step. */
export const sshPool = new SshPool<SshConnection>(connect);
process.once("exit", () => sshPool.closeAll());

const lostConnection = (conn: SshConnection, what: string) =>
  new HostUnreachableError(`ssh ${conn.user}@${conn.host}:${conn.port ?? 22}: the connection was lost during ${what}`);

/** Runs a script on a host: one exec channel on the host's pooled connection. */
export async function runScript(conn: SshConnection, run: ScriptRun): Promise<ScriptResult> {
  const timeoutMs = run.timeoutMs ?? 10 * 60_000;
  const { channel: stream, lost } = await sshPool.exec(conn, commandLine(run), Math.min(timeoutMs, 20_000));
  return new Promise<ScriptResult>((resolve, reject) => {
    let done = false;
    const finish = (f: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      f();
    };
    const timer = setTimeout(() => {
      stream.close(); // this channel only: the connection stays for other steps
      finish(() => reject(new Error(`${run.name} on ${conn.host} did not finish within ${Math.round(timeoutMs / 1000)} s`)));
    }, timeoutMs);
    let stdout = "";
    let stderr = "";
    let pending = "";
    stream.on("data", (d: Buffer) => (stdout += d.toString()));
    stream.stderr.on("data", (d: Buffer) => {
      const text = d.toString();
      stderr += text;
      if (!run.onProgress) return;
      pending += text;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const l of lines) if (l.trim()) run.onProgress(l);
    });
    stream.on("close", (code: number | null | undefined) => {
      if (pending.trim() && run.onProgress) run.onProgress(pending);
      if (typeof code !== "number" && lost()) return finish(() => reject(lostConnection(conn, run.name)));
      finish(() => resolve({ code: code ?? -1, stdout, stderr }));
    });
    if (run.stdinFile) {
      const file = createReadStream(run.stdinFile);
      file.on("error", (e) => {
        stream.close();
        finish(() => reject(new Error(`reading ${run.stdinFile}: ${e.message}`)));
      });
      file.pipe(stream);
    } else stream.end(run.stdin ?? "");
  });
}

/** Copies a file from a host to a local path (streamed: a snapshot can be large), on the pooled connection. */
export async function downloadFile(conn: SshConnection, remotePath: string, localPath: string, timeoutMs = 3_600_000): Promise<void> {
  const { channel: stream, lost } = await sshPool.exec(conn, `cat -- ${shellQuote(remotePath)}`, 20_000);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.close();
      reject(new Error(`copying ${remotePath} from ${conn.host} did not finish within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    let stderr = "";
    const out = createWriteStream(localPath, { mode: 0o600 });
    stream.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    stream.pipe(out);
    // Done when both happened, in whichever order: the remote exit status and the local file closed.
    const exited = new Promise<number | null>((r) => {
      stream.on("exit", (code: number | null) => r(code));
      stream.on("close", () => r(null)); // no exit status (killed, or the connection lost): a failure
    });
    const written = new Promise<void>((r, e) => {
      out.on("close", () => r());
      out.on("error", e);
    });
    Promise.all([exited, written]).then(
      ([code]) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else if (code === null && lost()) reject(lostConnection(conn, `copying ${remotePath}`));
        else reject(new Error(stderr.trim() || `cat exited ${code}`));
      },
      (e: Error) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/** Lines `::output key=value` that a host script prints on stdout become its outputs. */
export function parseOutputs(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const m = /^::output ([A-Za-z][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}
