// E2E harness: the bed (scripts/bed.sh) and real `pulumi` runs with a local file backend and a
// passphrase secrets provider. Each Stack works on a copy of a program in its own directory, so a
// test never edits the repository, and cleans up after itself.
import { execFileSync, spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from "node:fs";
import * as path from "node:path";

export const repo = path.resolve(__dirname, "..", "..");
const workRoot = path.join(repo, "test", ".work");

export interface BedHost {
  name: string;
  ip: string;
  ip6: string;
  hostKey: string;
  nspawnPid: number;
}

export interface Bed {
  dir: string;
  key: string;
  knownHosts: string;
  mirror: string;
  s3: string;
  etcdDist: string;
  hosts: BedHost[];
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command without blocking the event loop (the test runner's worker must keep answering
 * while a bed boots or `pulumi up` runs). Bounded by timeoutMs: then the child is killed.
 */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: string; timeoutMs?: number; passStderr?: boolean } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ["pipe", "pipe", opts.passStderr ? "inherit" : "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 600_000);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr });
    });
    // A command that exits without reading its stdin (a quick git) must not fail the run with EPIPE.
    child.stdin!.on("error", () => undefined);
    child.stdin!.end(opts.stdin ?? "");
  });
}

async function bedScript(args: string[], timeoutMs = 300_000): Promise<string> {
  const r = await run("bash", [path.join(repo, "scripts", "bed.sh"), ...args], { timeoutMs, passStderr: true });
  if (r.code !== 0) throw new Error(`bed.sh ${args.join(" ")} failed (exit ${r.code}): ${r.stdout.slice(-2000)}`);
  return r.stdout;
}

export async function bedUp(n: number): Promise<Bed> {
  await bedScript(["up", String(n)]);
  return JSON.parse(await bedScript(["status"])) as Bed;
}

export async function bedDown(): Promise<void> {
  await bedScript(["down"]);
}

/** Runs a command on bed host i (1-based) as root; throws on a non-zero exit. */
export function onHost(i: number, command: string): Promise<string> {
  return bedScript(["ssh", String(i), command], 120_000);
}

/** Host i (1-based) dies: its processes are killed and its link goes down. */
export async function killHost(i: number): Promise<void> {
  await bedScript(["kill", String(i)]);
}

/** Where the toolchain put pulumi and the language hosts (scripts/test.sh exports it). */
export function toolchainBin(): string {
  const bin = process.env.PULUMI_ETCD_BIN;
  if (!bin) throw new Error("PULUMI_ETCD_BIN is not set: run the tests through `npm test` (scripts/test.sh)");
  return bin;
}

export class Stack {
  readonly dir: string;
  private readonly root: string;
  private readonly env: NodeJS.ProcessEnv;
  /** The build of the package the program uses (its bin/ and dist/): this checkout unless told otherwise. */
  private packageRoot = repo;

  /**
   * Copies the program into its own directory and creates its stack. packageRoot: another build of
   * the package for the program to use (the upgrade test's previous release); default this checkout.
   */
  static async create(program: string, name = "e2e", opts: { packageRoot?: string } = {}): Promise<Stack> {
    const stack = new Stack(program, name);
    if (opts.packageRoot) stack.usePackage(opts.packageRoot);
    await stack.pulumi(["stack", "init", name]);
    return stack;
  }

  private constructor(
    program: string,
    readonly name: string,
  ) {
    mkdirSync(workRoot, { recursive: true });
    this.root = mkdtempSync(path.join(workRoot, `${program}-`));
    this.dir = path.join(this.root, "program");
    cpSync(path.join(repo, "test", "e2e", "programs", program), this.dir, { recursive: true });
    // Programs name the plugin and the package by paths relative to their place in the repo.
    const manifest = path.join(this.dir, "Pulumi.yaml");
    writeFileSync(manifest, readFileSync(manifest, "utf8").replace(/(\.\.\/)+bin/g, path.join(repo, "bin")));
    const ts = path.join(this.dir, "index.ts");
    try {
      writeFileSync(ts, readFileSync(ts, "utf8").replace(/"(\.\.\/)+dist\//g, `"${repo}/dist/`));
    } catch {
      // not a TypeScript program
    }
    mkdirSync(path.join(this.root, "state"));
    this.env = {
      ...process.env,
      PATH: `${toolchainBin()}:${process.env.PATH}`,
      PULUMI_HOME: path.join(this.root, "home"),
      PULUMI_BACKEND_URL: `file://${path.join(this.root, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: "e2e-passphrase",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      NODE_PATH: path.join(repo, "node_modules"),
      NO_COLOR: "1",
    };
  }

  /**
   * Points the program at another build of the package: the plugin path (and any `pulumi package
   * add` entry) in Pulumi.yaml, the TypeScript imports of dist/, and the program's node_modules
   * (that build's own dependencies; none for this checkout, whose are found above the program).
   */
  usePackage(packageRoot: string): void {
    const from = this.packageRoot;
    for (const file of ["Pulumi.yaml", "index.ts"]) {
      const f = path.join(this.dir, file);
      let text: string;
      try {
        text = readFileSync(f, "utf8");
      } catch {
        continue; // not a TypeScript program
      }
      writeFileSync(f, text.split(`${from}/bin`).join(`${packageRoot}/bin`).split(`"${from}/dist/`).join(`"${packageRoot}/dist/`));
    }
    rmSync(path.join(this.dir, "node_modules"), { force: true });
    if (packageRoot !== repo) symlinkSync(path.join(packageRoot, "node_modules"), path.join(this.dir, "node_modules"));
    this.packageRoot = packageRoot;
  }

  /** Runs pulumi in the program's directory; throws with its output when it fails, unless allowFailure. */
  async pulumi(args: string[], opts: { stdin?: string; allowFailure?: boolean; timeoutMs?: number } = {}): Promise<RunResult> {
    const result = await run(toolchainBin() + "/pulumi", [...args, "--non-interactive"], {
      cwd: this.dir,
      env: this.env,
      stdin: opts.stdin,
      timeoutMs: opts.timeoutMs ?? 600_000,
    });
    if (result.code !== 0 && !opts.allowFailure) {
      throw new Error(
        `pulumi ${args.join(" ")} failed (exit ${result.code}):\n${result.stdout.slice(-6000)}\n${result.stderr.slice(-3000)}`,
      );
    }
    return result;
  }

  /** Starts pulumi without waiting: the test can watch its output and signal it. */
  start(
    args: string[],
    opts: { detached?: boolean } = {},
  ): { child: ReturnType<typeof spawn>; output: () => string; done: Promise<RunResult> } {
    // detached: pulumi leads its own process group, so a test can kill it with its plugins at once.
    const child = spawn(toolchainBin() + "/pulumi", [...args, "--non-interactive"], {
      cwd: this.dir,
      env: this.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: opts.detached,
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 600_000);
    const done = new Promise<RunResult>((resolve) =>
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr });
      }),
    );
    return { child, output: () => stdout + stderr, done };
  }

  async setConfig(key: string, value: string, secret = false): Promise<void> {
    // A secret goes on stdin, never on a command line.
    if (secret) await this.pulumi(["config", "set", "--secret", key], { stdin: value });
    else await this.pulumi(["config", "set", key, value]);
  }

  up(): Promise<RunResult> {
    return this.pulumi(["up", "--yes", "--skip-preview", "--suppress-progress"]);
  }

  /** The engine's JSON preview: steps and change summary. */
  async preview(): Promise<{ steps?: { op: string; urn: string }[]; changeSummary?: Record<string, number> }> {
    return JSON.parse((await this.pulumi(["preview", "--json"])).stdout);
  }

  async outputs(): Promise<Record<string, unknown>> {
    return JSON.parse((await this.pulumi(["stack", "output", "--json", "--show-secrets"])).stdout);
  }

  async exportState(): Promise<string> {
    return (await this.pulumi(["stack", "export"])).stdout;
  }

  destroy(): Promise<RunResult> {
    return this.pulumi(["destroy", "--yes", "--skip-preview", "--suppress-progress"]);
  }

  /** Best effort: destroy what is left (after a failed test), then remove the work directory. */
  async cleanup(): Promise<void> {
    await this.pulumi(["destroy", "--yes", "--skip-preview"], { allowFailure: true, timeoutMs: 300_000 });
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** What a test run may leave behind: nothing of the bed. */
export function bedLeftovers(): string[] {
  const found: string[] = [];
  const netns = execFileSync("ip", ["netns", "list"], { encoding: "utf8" });
  for (const line of netns.split("\n")) if (line.startsWith("pe-h")) found.push(`netns ${line.split(" ")[0]}`);
  const mounts = readFileSync("/proc/mounts", "utf8");
  for (const line of mounts.split("\n")) if (line.includes("pulumi-etcd-bed")) found.push(`mount ${line.split(" ")[1]}`);
  const links = execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8" });
  for (const line of links.split("\n")) if (/ pe-(br0|h\d)/.test(line)) found.push(`link ${line.split(":")[1].trim()}`);
  const ps = execFileSync("ps", ["-eo", "pid,args"], { encoding: "utf8" });
  for (const line of ps.split("\n")) {
    if (/systemd-nspawn .*pe-h\d|s3rver .*10\.77\.0\.1|http\.server --bind 10\.77\.0\.1/.test(line)) found.push(`process ${line.trim()}`);
  }
  return found;
}
