// The package's host scripts (hosts/*.sh), looked up by name. A user never supplies script text:
// only a name from this directory and parameters, which reach the script as quoted variables.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";

export function packageRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    if (existsSync(path.join(dir, "package.json")) && existsSync(path.join(dir, "hosts"))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error(`cannot find the package's hosts/ directory above ${__dirname}`);
}

const NAME = /^[a-z][a-z0-9-]*$/;

export function hostScript(name: string): { text: string; sha256: string } {
  if (!NAME.test(name)) throw new Error(`invalid host script name ${JSON.stringify(name)}`);
  const file = path.join(packageRoot(), "hosts", `${name}.sh`);
  if (!existsSync(file)) throw new Error(`unknown host script ${JSON.stringify(name)} (no ${file})`);
  const text = expandIncludes(readFileSync(file, "utf8"));
  return { text, sha256: createHash("sha256").update(text).digest("hex") };
}

/** `# include: lib/x.sh` lines pull in a shared library (one level), so the host gets one self-contained script. */
function expandIncludes(text: string): string {
  return text.replace(/^# include: (lib\/[a-z][a-z0-9-]*\.sh)$/gm, (_line, rel: string) => {
    const lib = path.join(packageRoot(), "hosts", rel);
    if (!existsSync(lib)) throw new Error(`host script include ${rel} not found`);
    return `# --- ${rel} ---\n${readFileSync(lib, "utf8").replace(/^#!.*\n/, "")}# --- end ${rel} ---`;
  });
}
