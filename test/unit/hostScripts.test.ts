// The host scripts' headers are their contract: every PE_* variable a script reads is documented in
// its header, and every one documented is read. The rule, for a script as the host receives it:
//   - a header is the comment block between the shebang and the first line of code; a variable is
//     documented by a line "#   PE_NAME  what it means" (two or more spaces after the '#'); lines
//     under a "# Defines ..." heading are constants the file sets itself, every other documented
//     variable is a parameter (environment, stdin or a settings file);
//   - a variable is read when its name appears in a line of code (comment lines and embedded
//     scripts do not count: an embedded script is checked as a script of its own);
//   - a library documents what it reads and defines; a script documents all it reads, its
//     libraries' parameters included (its caller must pass them), but not its libraries' constants.
// Also: every script has `set -euo pipefail`, a `# rerun-revision: N` line, the header's sections,
// and documents each literal `::output` key it prints.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hostScript, hostScriptFiles, hostScriptRevision, packageRoot } from "../../provider/common/hostScripts";

const VAR = /\bPE_[A-Z0-9_]+\b/g;

interface Doc {
  params: Set<string>;
  defines: Set<string>;
  outputs: Set<string>;
  sections: string[];
  lines: string[];
}

/** The header: the comment lines after the shebang, up to the first line of code. */
export function parseHeader(text: string): Doc {
  const lines: string[] = [];
  for (const line of text.split("\n").slice(1)) {
    if (!line.startsWith("#") || /^# (include|embed): /.test(line)) break;
    lines.push(line);
  }
  const doc: Doc = { params: new Set(), defines: new Set(), outputs: new Set(), sections: [], lines };
  let section = "";
  for (const line of lines) {
    const heading = /^# (\S[^:]*):/.exec(line);
    if (heading) {
      section = heading[1];
      doc.sections.push(section);
    }
    const variable = /^# {2,}(PE_[A-Z0-9_]+)\s/.exec(line);
    if (variable) (section.startsWith("Defines") ? doc.defines : doc.params).add(variable[1]);
    for (const m of line.matchAll(/::output ([A-Za-z0-9]+)=/g)) doc.outputs.add(m[1]);
  }
  return doc;
}

/** The lines of code: no comment lines, no embedded scripts. */
export function codeOf(text: string): string {
  return text
    .replace(/^# --- embedded ([a-z0-9-]+) ---\n[\s\S]*?^# --- end \1 ---$/gm, "")
    .split("\n")
    .filter((l) => !/^\s*#/.test(l))
    .join("\n");
}

const names = (s: string) => new Set([...s.matchAll(VAR)].map((m) => m[0]));
const minus = (a: Set<string>, b: Set<string>) => [...a].filter((x) => !b.has(x)).sort();
const assigned = (code: string, v: string) => new RegExp(`(^|[\\s(;])${v}=`, "m").test(code);

function libraryFiles(): Map<string, string> {
  const hosts = path.join(packageRoot(), "hosts");
  const libs = new Map<string, string>();
  for (const domain of readdirSync(hosts)) {
    let files: string[] = [];
    try {
      files = readdirSync(path.join(hosts, domain, "lib")).filter((f) => f.endsWith(".sh"));
    } catch {
      continue;
    }
    for (const f of files) libs.set(`${domain}/lib/${f}`, path.join(hosts, domain, "lib", f));
  }
  return libs;
}

/** What is wrong with a library's header: undocumented reads, documented names never read. */
export function libraryProblems(text: string): string[] {
  const doc = parseHeader(text);
  const code = codeOf(text);
  const read = names(code);
  const documented = new Set([...doc.params, ...doc.defines]);
  return [
    ...minus(read, documented).map((v) => `reads ${v}, which its header does not document`),
    ...minus(documented, read).map((v) => `documents ${v}, which it does not read`),
    ...[...doc.defines].filter((v) => !assigned(code, v)).map((v) => `defines ${v} but never sets it`),
  ];
}

/** What is wrong with a script's header, given its raw text, its expanded text and its libraries' raw texts. */
export function scriptProblems(raw: string, expanded: string, libs: string[]): string[] {
  const doc = parseHeader(raw);
  const problems: string[] = [];
  const libDocs = libs.map(parseHeader);
  const libDefines = new Set(libDocs.flatMap((d) => [...d.defines]));
  const libParams = new Set(libDocs.flatMap((d) => [...d.params]));
  const code = codeOf(expanded);
  const read = names(code);
  const documented = new Set([...doc.params, ...doc.defines]);
  problems.push(
    ...minus(
      minus(read, libDefines).reduce((s, v) => s.add(v), new Set<string>()),
      documented,
    ).map((v) => `reads ${v}, which its header does not document`),
  );
  problems.push(...minus(documented, read).map((v) => `documents ${v}, which it does not read`));
  problems.push(...[...doc.params].filter((v) => libDefines.has(v)).map((v) => `documents ${v} as a parameter, but a library defines it`));
  problems.push(...minus(libParams, documented).map((v) => `does not document ${v}, a parameter of a library it includes`));
  problems.push(...[...doc.defines].filter((v) => !assigned(codeOf(raw), v)).map((v) => `defines ${v} but never sets it`));
  problems.push(
    ...[...doc.params].filter((v) => new RegExp(`^${v}=`, "m").test(code)).map((v) => `documents ${v} as a parameter, but sets it`),
  );
  if (!/^set -euo pipefail$/m.test(raw)) problems.push("has no `set -euo pipefail`");
  if (!doc.lines.some((l) => /^# rerun-revision: [1-9][0-9]*$/.test(l))) problems.push("has no `# rerun-revision: N` line in its header");
  for (const s of ["Parameters", "Stdin", "Outputs", "Idempotence"])
    if (!doc.sections.some((x) => x.startsWith(s))) problems.push(`its header has no "${s}" section`);
  for (const m of code.matchAll(/(?:^|\s)output ([A-Za-z0-9]+) |::output ([A-Za-z0-9]+)=/gm)) {
    const key = m[1] ?? m[2];
    if (!doc.outputs.has(key)) problems.push(`prints ::output ${key}, which its header does not document`);
  }
  return problems;
}

const libraries = libraryFiles();
const scripts = hostScriptFiles();

describe("host script headers document exactly the PE_* variables each reads", () => {
  it("finds the scripts and libraries", () => {
    expect(scripts.size).toBeGreaterThanOrEqual(17);
    expect([...libraries.keys()].sort()).toEqual([
      "common/lib/common.sh",
      "common/lib/s3.sh",
      "etcd/lib/cluster-lock.sh",
      "etcd/lib/defrag.sh",
      "etcd/lib/etcd-host.sh",
      "etcd/lib/snapshot.sh",
      "kube/lib/kube-host.sh",
    ]);
  });

  for (const [rel, file] of libraryFiles()) {
    it(`library ${rel}`, () => {
      expect(libraryProblems(readFileSync(file, "utf8"))).toEqual([]);
    });
  }

  const RAISED_REVISIONS: Record<string, number> = { "etcd-snapshot-schedule": 2 };
  for (const [name, file] of hostScriptFiles()) {
    it(`script ${name}`, () => {
      const raw = readFileSync(file, "utf8");
      const libs = [...raw.matchAll(/^# include: (\S+)$/gm)].map((m) => readFileSync(libraries.get(m[1])!, "utf8"));
      expect(scriptProblems(raw, hostScript(name).text, libs)).toEqual([]);
      // The revision the provider records is the header's: 1, except where a change had to reach
      // existing hosts (etcd-snapshot-schedule 2: the runner that takes the cluster lock).
      expect(hostScriptRevision(name)).toBe(RAISED_REVISIONS[name] ?? 1);
    });
  }

  it("fails when a header misses a parameter, or documents one that is not read", () => {
    const file = scripts.get("install-file")!;
    const raw = readFileSync(file, "utf8");
    const lib = readFileSync(libraries.get("common/lib/common.sh")!, "utf8");
    const expanded = hostScript("install-file").text;
    const missing = raw.replace(/^# {2,}PE_DIR_MODE .*\n/m, "");
    expect(scriptProblems(missing, expanded, [lib])).toEqual(["reads PE_DIR_MODE, which its header does not document"]);
    const extra = raw.replace(/^(# Stdin)/m, "#   PE_UNUSED  not read anywhere\n$1");
    expect(scriptProblems(extra, expanded, [lib])).toEqual(["documents PE_UNUSED, which it does not read"]);
    const noRevision = raw.replace(/^# rerun-revision: 1\n/m, "");
    expect(scriptProblems(noRevision, expanded, [lib])).toEqual(["has no `# rerun-revision: N` line in its header"]);
    // A library parameter the including script does not document (s3.sh's keys, for example).
    const s3 = readFileSync(libraries.get("common/lib/s3.sh")!, "utf8");
    const stage = scripts.get("etcd-restore-stage")!;
    const stageRaw = readFileSync(stage, "utf8").replace(/^# {2,}PE_S3_MAX_TIME .*\n/m, "");
    expect(scriptProblems(stageRaw, hostScript("etcd-restore-stage").text, [lib, s3])).toContain(
      "reads PE_S3_MAX_TIME, which its header does not document",
    );
  });

  it("no host script, library or bench script does arithmetic in awk on df's or other large numbers", () => {
    // mawk (Debian's default awk) prints numbers beyond 2^31 as 7.27124e+10, which bash cannot read.
    const root = packageRoot();
    const files = [
      ...[...scripts.values()],
      ...[...libraries.values()],
      ...readdirSync(path.join(root, "bench"))
        .filter((f) => f.endsWith(".sh"))
        .map((f) => path.join(root, "bench", f)),
    ];
    const offenders = files.flatMap((f) =>
      readFileSync(f, "utf8")
        .split("\n")
        .filter((l) => /\bdf\b.*\|\s*awk/.test(l) && /print[^}]*(\$[0-9]+\s*[-+*/]|int\()/.test(l))
        .map((l) => `${path.relative(root, f)}: ${l.trim()}`),
    );
    expect(offenders).toEqual([]);
  });
});

describe("free disk space under mawk (Debian's default awk)", () => {
  // A PATH whose awk is mawk and whose df reports ~68 GiB free (71008204 KiB: 7.27e10 bytes).
  const dir = mkdtempSync(path.join(tmpdir(), "pe-mawk-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const mawk = spawnSync("bash", ["-c", "command -v mawk"], { encoding: "utf8" }).stdout.trim();
  const lib = path.join(packageRoot(), "hosts", "common", "lib", "common.sh");

  function run(snippet: string) {
    const r = spawnSync("bash", ["-c", `set -euo pipefail; source "$1"; ${snippet}`, "test", lib], {
      encoding: "utf8",
      env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it("uses mawk as awk (install it with apt-get install -y mawk)", () => {
    expect(mawk, "mawk is not installed: apt-get install -y mawk").not.toBe("");
    symlinkSync(mawk, path.join(dir, "awk"));
    writeFileSync(
      path.join(dir, "df"),
      "#!/bin/sh\necho 'Filesystem     1024-blocks     Used Available Capacity Mounted on'\necho '/dev/vda         103081248 32073044  71008204      32% /'\n",
      { mode: 0o755 },
    );
    // What the old expression printed there: bash arithmetic cannot read it.
    expect(run(`df -Pk /var/lib | awk 'NR==2 {print $4 * 1024}'`).stdout.trim()).toBe("7.27124e+10");
  });

  it("free_kib prints df's integer", () => {
    expect(run(`free_kib /var/lib`)).toEqual({ code: 0, stdout: "71008204\n", stderr: "" });
  });

  it("require_free_kib passes quietly when there is room", () => {
    expect(run(`require_free_kib /var/lib 1000 "the restored data"; echo ok`)).toEqual({ code: 0, stdout: "ok\n", stderr: "" });
  });

  it("require_free_kib refuses with one sentence when there is not", () => {
    const r = run(`require_free_kib /var/lib $((80 * 1024 * 1024)) "the restored data"; echo continued`);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).not.toMatch(/syntax error/);
    expect(r.stderr).toMatch(/ERROR: not enough disk for the restored data: 69343 MiB free, ~81921 MiB needed\. Nothing was changed\.\n$/);
  });

  it("the restore stage uses it", () => {
    expect(hostScript("etcd-restore-stage").text).toMatch(/^require_free_kib "\$stage" /m);
  });
});

describe("error_reason: the line of a tool's error output a person can act on", () => {
  const lib = path.join(packageRoot(), "hosts", "common", "lib", "common.sh");
  const dir = mkdtempSync(path.join(tmpdir(), "pe-reason-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const reason = (log: string) => {
    writeFileSync(path.join(dir, "log"), log);
    const r = spawnSync("bash", ["-c", 'set -euo pipefail; source "$1"; error_reason "$2"', "test", lib, path.join(dir, "log")], {
      encoding: "utf8",
    });
    return r.stdout + r.stderr;
  };

  it("a Go panic gives its message, never the goroutine trace", () => {
    const panic = [
      '{"level":"info","ts":"2026-12-02T18:00:00Z","caller":"snapshot/v3_snapshot.go:260","msg":"restoring snapshot"}',
      "panic: assertion failed: Page expected to be: 1186, but self identifies as 0 [recovered]",
      "\tpanic: assertion failed: Page expected to be: 1186, but self identifies as 0",
      "",
      "goroutine 1 [running]:",
      "go.etcd.io/bbolt.(*DB).page(...)",
      "\tgo.etcd.io/bbolt@v1.4.3/db.go:1246 +0x1ef",
      "",
    ].join("\n");
    expect(reason(panic)).toBe("panic: assertion failed: Page expected to be: 1186, but self identifies as 0\n");
  });

  it("a cobra Error: line, a logged error, or the last line that is not a stack frame", () => {
    expect(reason('Error: open "/x": no such file\n')).toBe("open '/x': no such file\n");
    expect(reason('{"level":"fatal","msg":"failed to restore","error":"no space left on device"}\n')).toBe(
      "failed to restore: no space left on device\n",
    );
    expect(reason("snapshot is bad\n\tgo.etcd.io/x.go:12 +0x1\n")).toBe("snapshot is bad\n");
    expect(reason("")).toBe("no message\n");
  });
});

describe("a data dir's identity across restores (etcd/lib/etcd-host.sh)", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "pe-identity-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const libs = ["common/lib/common.sh", "etcd/lib/etcd-host.sh"].map((l) => path.join(packageRoot(), "hosts", l));
  const data = path.join(dir, "data");

  function run(snippet: string) {
    const r = spawnSync(
      "bash",
      [
        "-c",
        `set -euo pipefail; source "$1"; source "$2"; PE_IDENTITY="$3/identity"; install_content() { cat >"$PE_IDENTITY"; }; ${snippet}`,
        "test",
        ...libs,
        dir,
      ],
      { encoding: "utf8" },
    );
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it("keeps the tokens a member's data dir had before, and accepts them; no other", () => {
    writeFileSync(path.join(dir, "marker"), "");
    spawnSync("mkdir", ["-p", path.join(data, "member")]);
    expect(run(`write_identity m1 birth "${data}"; write_identity m1 birth "${data}"; cat "$PE_IDENTITY"`).stdout).toBe(
      `name=m1\ntoken=birth\ndata_dir=${data}\n`,
    );
    run(`write_identity m1 restore1 "${data}"; write_identity m1 restore2 "${data}"`);
    expect(run(`cat "$PE_IDENTITY"`).stdout).toBe(`name=m1\ntoken=restore2\ndata_dir=${data}\nearlier_tokens=birth restore1\n`);
    for (const token of ["birth", "restore1", "restore2"]) expect(run(`check_data_dir "${data}" m1 ${token}`).code, token).toBe(0);
    const other = run(`check_data_dir "${data}" m1 elsewhere`);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/belongs to member 'm1' of another cluster or incarnation \(token restore2\)/);
    expect(run(`check_data_dir "${data}" m2 birth`).code).toBe(1);
  });

  it("starts a new lineage for another member or data dir", () => {
    expect(run(`write_identity m2 fresh "${data}"; cat "$PE_IDENTITY"`).stdout).toBe(`name=m2\ntoken=fresh\ndata_dir=${data}\n`);
  });
});
