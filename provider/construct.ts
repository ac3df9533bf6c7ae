// Components built inside the provider process, for programs in other languages (YAML, Python, Go)
// that use this package through its schema. TypeScript programs construct the same classes
// in their own process. A component's outputs are the properties its schema entry declares.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import type * as provider from "@pulumi/pulumi/provider";
import { packageRoot } from "./common/hostScripts";

type Component = new (name: string, inputs: never, opts: pulumi.ComponentResourceOptions) => pulumi.ComponentResource;

// The components (and with them all of @pulumi/pulumi, about a second of loading) are loaded on the
// first construct only: a TypeScript program builds them in its own process and never calls it.
let loaded: Promise<Record<string, Component>> | undefined;
function components(): Promise<Record<string, Component>> {
  loaded ??= import("../components").then(({ EtcdCA, EtcdCluster, EtcdSnapshot, SnapshotSchedule, TrustedCaFile }) => ({
    "etcd:index:EtcdCA": EtcdCA as unknown as Component,
    "etcd:index:EtcdCluster": EtcdCluster as unknown as Component,
    "etcd:index:TrustedCaFile": TrustedCaFile as unknown as Component,
    "etcd:index:SnapshotSchedule": SnapshotSchedule as unknown as Component,
    "etcd:index:EtcdSnapshot": EtcdSnapshot as unknown as Component,
  }));
  return loaded;
}

/** The package schema, read once; the provider serves it as is. */
export const schemaText = readFileSync(path.join(packageRoot(), "schema.json"), "utf8");
const schema = JSON.parse(schemaText) as {
  resources: Record<string, { properties?: Record<string, unknown> }>;
};

export async function construct(
  name: string,
  type: string,
  inputs: pulumi.Inputs,
  options: pulumi.ComponentResourceOptions,
): Promise<provider.ConstructResult> {
  const Ctor = (await components())[type];
  if (!Ctor) throw new Error(`unknown component type ${type}`);
  const c = new Ctor(name, inputs as never, options) as pulumi.ComponentResource & Record<string, unknown>;
  const outputs = Object.keys(schema.resources[type]?.properties ?? {});
  return { urn: c.urn, state: Object.fromEntries(outputs.map((k) => [k, c[k]])) };
}
