// The plugin starts on every `pulumi up`, before the engine can check or diff a single resource
// (issue 10): loading the provider loads no more than serving check and diff needs. The components
// (all of @pulumi/pulumi), etcd3 and @peculiar/x509 are loaded by the first operation that uses them.
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

const HEAVY = [
  /@pulumi\/pulumi\/(index|automation\/index)\.js$/, // only via the components (construct)
  /\/etcd3\//,
  /\/@peculiar\/x509\//,
  /\/reflect-metadata\//,
];

describe("plugin start-up", () => {
  it("loading the provider loads neither the components, etcd3 nor @peculiar/x509", async () => {
    await import("../../provider/provider");
    const loaded = Object.keys(createRequire(__filename).cache);
    expect(loaded.some((f) => f.includes("@grpc/grpc-js"))).toBe(true); // the probe sees node_modules
    expect(loaded.filter((f) => HEAVY.some((h) => h.test(f)))).toEqual([]);
  });

  it("the components are loaded by the first construct", async () => {
    const { construct } = await import("../../provider/construct");
    await expect(construct("x", "etcd:index:Nothing", {}, {})).rejects.toThrow(/unknown component type/);
    const loaded = Object.keys(createRequire(__filename).cache);
    expect(loaded.some((f) => /@pulumi\/pulumi\/index\.js$/.test(f))).toBe(true);
  });
});
