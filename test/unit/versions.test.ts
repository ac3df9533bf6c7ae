import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const repo = path.resolve(__dirname, "..", "..");
const env = Object.fromEntries(
  readFileSync(path.join(repo, "toolchain", "versions.env"), "utf8")
    .split("\n")
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => l.split("=", 2) as [string, string]),
);
const pkg = JSON.parse(readFileSync(path.join(repo, "package.json"), "utf8"));
const schema = JSON.parse(readFileSync(path.join(repo, "schema.json"), "utf8"));

describe("pinned versions", () => {
  it("pins @pulumi/pulumi to the engine version the toolchain builds", () => {
    expect(pkg.dependencies["@pulumi/pulumi"]).toBe(env.PULUMI_VERSION);
  });
  it("gives the schema the package's version", () => {
    expect(schema.version).toBe(pkg.version);
  });
});
