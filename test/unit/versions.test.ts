import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const repo = path.resolve(__dirname, "..", "..");
const env = Object.fromEntries(
  readFileSync(path.join(repo, "toolchain", "versions.env"), "utf8")
    .split("\n")
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => l.split("=", 2) as [string, string])
    .map(([k, v]) => [k, v.replace(/^"(.*)"$/, "$1")]),
);
const pkg = JSON.parse(readFileSync(path.join(repo, "package.json"), "utf8"));
const schema = JSON.parse(readFileSync(path.join(repo, "schema.json"), "utf8"));
const words = (s: string | undefined) => (s ?? "").split(/\s+/).filter(Boolean);
const etcdVersions = words(env.ETCD_VERSIONS);
const serverOnly = words(env.ETCD_SERVER_ONLY_VERSIONS);
const minor = (v: string) => v.split(".").slice(0, 2).join(".");

describe("pinned versions", () => {
  it("pins @pulumi/pulumi to the engine version the toolchain builds", () => {
    expect(pkg.dependencies["@pulumi/pulumi"]).toBe(env.PULUMI_VERSION);
  });
  it("gives the schema the package's version", () => {
    expect(schema.version).toBe(pkg.version);
  });
});

describe("etcd versions the toolchain builds", () => {
  it("lists release versions, each once", () => {
    for (const v of etcdVersions) expect(v).toMatch(/^3\.\d+\.\d+$/);
    expect(new Set(etcdVersions).size).toBe(etcdVersions.length);
  });
  it("builds every server-only version's etcdctl/etcdutl source: a fully built version of the same minor", () => {
    for (const v of serverOnly) {
      expect(etcdVersions).toContain(v);
      expect(etcdVersions.filter((w) => !serverOnly.includes(w) && minor(w) === minor(v))).not.toEqual([]);
    }
  });
  it("puts a fully built version on PATH", () => {
    expect(etcdVersions).toContain(env.ETCD_PATH_VERSION);
    expect(serverOnly).not.toContain(env.ETCD_PATH_VERSION);
  });
  it("builds every etcd version the E2E tests and programs name", () => {
    const dir = path.join(repo, "test", "e2e");
    const named = new Set<string>();
    const scan = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) scan(p);
        else if (/\.(ts|yaml)$/.test(e.name)) {
          const text = readFileSync(p, "utf8");
          for (const m of text.matchAll(/const (?:V\d+|ETCD) = "(3\.\d+\.\d+)"/g)) named.add(m[1]);
          for (const m of text.matchAll(/^\s*version: (3\.\d+\.\d+)$/gm)) named.add(m[1]);
        }
      }
    };
    scan(dir);
    expect(named.size).toBeGreaterThan(0);
    for (const v of named) expect(etcdVersions).toContain(v);
  });
});
