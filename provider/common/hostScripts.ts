// The package's host scripts (hosts/<domain>/<name>.sh), looked up by name. A user never supplies
// script text: only a name from this directory and parameters, which reach the script as quoted
// variables. Two directives make each script self-contained as it is sent:
//   # include: <domain>/lib/<name>.sh   the library's text in place (one level);
//   # embed: <name> as <VAR>            another host script, expanded, as the value of VAR (a file
//                                       the script installs on the host, e.g. the snapshot runner).
import { existsSync, readdirSync, readFileSync } from "node:fs";
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
const DOMAIN = /^[a-z][a-z0-9-]*$/;

/** Every host script by name: hosts/<domain>/<name>.sh (libraries under <domain>/lib are not scripts). */
export function hostScriptFiles(): Map<string, string> {
  const hosts = path.join(packageRoot(), "hosts");
  const files = new Map<string, string>();
  for (const domain of readdirSync(hosts).filter((d) => DOMAIN.test(d))) {
    const dir = path.join(hosts, domain);
    for (const f of readdirSync(dir).filter((x) => x.endsWith(".sh"))) {
      const name = f.slice(0, -3);
      if (files.has(name)) throw new Error(`host script ${name} exists twice: ${files.get(name)} and ${path.join(dir, f)}`);
      files.set(name, path.join(dir, f));
    }
  }
  return files;
}

let index: Map<string, string> | undefined;

/** The script as the host receives it: includes and embeds expanded. */
export function hostScript(name: string): { text: string } {
  if (!NAME.test(name)) throw new Error(`invalid host script name ${JSON.stringify(name)}`);
  index ??= hostScriptFiles();
  const file = index.get(name);
  if (!file) throw new Error(`unknown host script ${JSON.stringify(name)}`);
  return { text: expand(readFileSync(file, "utf8")) };
}

/**
 * The script's rerun revision, from its header line `# rerun-revision: N` (1 when absent). A host
 * that ran the script is made to run it again by a new package version only when N rose: raise it
 * for a change that must reach existing hosts (and that is safe to run there: scripts are
 * idempotent and restart nothing when nothing changed), never for comments or refactors.
 */
export function hostScriptRevision(name: string): number {
  if (!NAME.test(name)) throw new Error(`invalid host script name ${JSON.stringify(name)}`);
  index ??= hostScriptFiles();
  const file = index.get(name);
  if (!file) throw new Error(`unknown host script ${JSON.stringify(name)}`);
  const m = /^# rerun-revision: ([1-9][0-9]*)$/m.exec(readFileSync(file, "utf8"));
  return m ? Number(m[1]) : 1;
}

function expand(text: string): string {
  return text
    .replace(/^# include: ([a-z][a-z0-9-]*\/lib\/[a-z][a-z0-9-]*\.sh)$/gm, (_line, rel: string) => {
      const lib = path.join(packageRoot(), "hosts", rel);
      if (!existsSync(lib)) throw new Error(`host script include ${rel} not found`);
      return `# --- ${rel} ---\n${readFileSync(lib, "utf8").replace(/^#!.*\n/, "")}# --- end ${rel} ---`;
    })
    .replace(/^# embed: ([a-z][a-z0-9-]*) as ([A-Z_][A-Z0-9_]*)$/gm, (_line, name: string, variable: string) => {
      const body = hostScript(name).text;
      if (body.includes("\nPE_EMBED_END\n")) throw new Error(`host script ${name} cannot be embedded (it holds the delimiter)`);
      return `# --- embedded ${name} ---\n${variable}=$(cat <<'PE_EMBED_END'\n${body.replace(/\n$/, "")}\nPE_EMBED_END\n)\n# --- end ${name} ---`;
    });
}
