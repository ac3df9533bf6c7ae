// The previous release, built from its commit for the upgrade test: a detached git worktree under
// test/.work (git-ignored), its own dependencies, its own tsc. Removed again afterwards.
import { readFileSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import * as path from "node:path";
import { repo, run } from "./harness";

export interface ReleaseRecord {
  version: string;
  commit: string;
}

/** release/previous.json: the release this checkout must upgrade from without touching a cluster. */
export function previousRelease(): ReleaseRecord {
  return JSON.parse(readFileSync(path.join(repo, "release", "previous.json"), "utf8")) as ReleaseRecord;
}

async function git(args: string[], allowFailure = false): Promise<string> {
  const r = await run("git", ["-C", repo, ...args], { timeoutMs: 120_000 });
  if (r.code !== 0 && !allowFailure) throw new Error(`git ${args.join(" ")} failed (exit ${r.code}): ${r.stderr}`);
  return r.stdout;
}

function log(message: string): void {
  console.log(`[release ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

/** Where the release's worktree goes (one per version; a leftover of a killed run is replaced). */
export function releaseDir(r: ReleaseRecord): string {
  return path.join(repo, "test", ".work", `release-${r.version}`);
}

export async function removeRelease(r: ReleaseRecord): Promise<void> {
  const dir = releaseDir(r);
  await git(["worktree", "remove", "--force", dir], true);
  // Not (or no longer) a registered worktree, e.g. after a killed run: the files, then git's record.
  rmSync(dir, { recursive: true, force: true });
  await git(["worktree", "prune"], true);
}

/**
 * Checks the record (the commit carries that version in its package.json and is an ancestor of
 * this checkout), checks the release out and builds it. Its dependencies: this checkout's
 * node_modules when its package-lock.json is the same file, else its own `npm install`.
 */
export async function buildRelease(r: ReleaseRecord): Promise<string> {
  const started = Date.now();
  const pkg = JSON.parse(await git(["show", `${r.commit}:package.json`])) as { version: string };
  if (pkg.version !== r.version) throw new Error(`release/previous.json: ${r.commit} is version ${pkg.version}, not ${r.version}`);
  const ancestor = await run("git", ["-C", repo, "merge-base", "--is-ancestor", r.commit, "HEAD"]);
  if (ancestor.code !== 0) throw new Error(`release/previous.json: ${r.commit} is not an ancestor of this checkout`);
  const dir = releaseDir(r);
  await removeRelease(r);
  await git(["worktree", "add", "--detach", dir, r.commit]);
  const sameLock = (await git(["show", `${r.commit}:package-lock.json`])) === readFileSync(path.join(repo, "package-lock.json"), "utf8");
  if (sameLock) {
    symlinkSync(realpathSync(path.join(repo, "node_modules")), path.join(dir, "node_modules"));
  } else {
    log(`${r.version}: its package-lock.json differs from this checkout's: npm install`);
    const npm = await run("npm", ["install", "--no-audit", "--no-fund"], { cwd: dir, timeoutMs: 600_000 });
    if (npm.code !== 0) throw new Error(`npm install for ${r.version} failed (exit ${npm.code}):\n${npm.stderr.slice(-3000)}`);
  }
  const tsc = await run("node", [path.join(dir, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], {
    cwd: dir,
    timeoutMs: 600_000,
  });
  if (tsc.code !== 0) throw new Error(`building ${r.version} failed (exit ${tsc.code}):\n${tsc.stdout.slice(-3000)}`);
  log(`${r.version} (${r.commit.slice(0, 7)}) built in ${dir} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return dir;
}
