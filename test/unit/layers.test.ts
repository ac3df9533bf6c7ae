// The layer boundaries (eslint.config.mjs) reject imports that go the wrong way, and every layer has
// the same domain folders.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const repo = path.resolve(__dirname, "..", "..");
const eslint = new ESLint({ cwd: repo });

async function importErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(repo, file) });
  return result.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

describe("layer boundaries", () => {
  it.each([
    ["planning/etcd/x.ts", `import { runScript } from "../../provider/common/ssh";`, /planning\/ is pure/],
    ["planning/etcd/x.ts", `import { EtcdCluster } from "../../components/etcd/etcdCluster";`, /planning\/ is pure/],
    ["planning/etcd/x.ts", `import * as pulumi from "@pulumi/pulumi";`, /planning\/ is pure/],
    ["planning/common/x.ts", `import { readFileSync } from "node:fs";`, /planning\/ is pure/],
    ["components/etcd/x.ts", `import { hostScript } from "../../provider/common/hostScripts";`, /imports planning\/ only/],
    ["components/pki/x.ts", `import { Client } from "ssh2";`, /imports planning\/ only/],
    ["provider/etcd/x.ts", `import { EtcdCA } from "../../components/pki/etcdCA";`, /components\/ only in provider\/construct.ts/],
  ])("%s: %s is rejected", async (file, code, message) => {
    const errors = await importErrors(file, `${code}\nexport const x = 1;\n`);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(message);
  });

  it.each([
    ["planning/etcd/x.ts", `import { isIpAddress } from "../common/addresses";`],
    ["components/etcd/x.ts", `import { renderConfig } from "../../planning/etcd/etcdConfig";`],
    ["provider/etcd/x.ts", `import { judgeHealth } from "../../planning/etcd/health";`],
    ["provider/construct.ts", `import { EtcdCA } from "../components";`],
  ])("%s: %s is allowed", async (file, code) => {
    expect(await importErrors(file, `${code}\nexport const x = 1;\n`)).toEqual([]);
  });
});

describe("layout", () => {
  const domains = (layer: string) =>
    readdirSync(path.join(repo, layer), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();

  it("components, planning, provider and hosts have the same domain folders", () => {
    const expected = ["common", "etcd", "kube", "pki"];
    for (const layer of ["components", "planning", "provider", "hosts"]) expect(domains(layer), layer).toEqual(expected);
  });

  it("no source file sits in a layer's root except the entry points", () => {
    const roots: Record<string, string[]> = {
      components: ["index.ts"],
      planning: [],
      provider: ["construct.ts", "main.ts", "provider.ts"],
    };
    for (const [layer, allowed] of Object.entries(roots)) {
      const files = readdirSync(path.join(repo, layer)).filter((f) => f.endsWith(".ts"));
      expect(files.sort(), layer).toEqual(allowed);
    }
    expect(existsSync(path.join(repo, "hosts", "lib")), "hosts/lib moved into hosts/<domain>/lib").toBe(false);
  });
});

describe("README architecture tree", () => {
  const readme = readFileSync(path.join(repo, "README.md"), "utf8");
  const block = readme.slice(readme.indexOf("## Architecture")).split("```")[1] ?? "";
  const listed = block
    .split("\n")
    .map((l) => l.split(/\s+/)[0])
    .filter((w) => w.endsWith("/"))
    .map((w) => w.replace(/\/$/, ""));

  it("lists folders that exist", () => {
    for (const dir of listed) expect(existsSync(path.join(repo, dir)), dir).toBe(true);
  });

  it("lists every top-level source folder and every layer's domain folder", () => {
    const top = readdirSync(path.join(repo), { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith(".") && !["node_modules", "dist"].includes(d.name))
      .map((d) => d.name);
    const domains = ["components", "planning", "provider", "hosts"].flatMap((layer) =>
      readdirSync(path.join(repo, layer), { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => `${layer}/${d.name}`),
    );
    for (const dir of [...top, ...domains]) expect(listed, dir).toContain(dir);
  });
});
