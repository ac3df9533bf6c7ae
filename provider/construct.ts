// Components built inside the provider process, for programs in other languages (YAML, Python, Go)
// that use this package through its schema. TypeScript programs construct the same classes
// in their own process. A component's outputs are the properties its schema entry declares, and
// it must have every one of them (schema.json is generated from these classes: `npm run gen`).
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import type * as provider from "@pulumi/pulumi/provider";
import { packageRoot } from "./common/hostScripts";
import type { SchemaProp, SchemaTypes } from "./common/constructInputs";

type Component = new (name: string, inputs: never, opts: pulumi.ComponentResourceOptions) => pulumi.ComponentResource;

// The components (and with them all of @pulumi/pulumi, about a second of loading) are loaded on the
// first construct only: a TypeScript program builds them in its own process and never calls it.
let loaded: Promise<Record<string, Component>> | undefined;
function served(): Promise<Record<string, Component>> {
  loaded ??= import("../components").then((m) => {
    // The components served to other languages; scripts/gen-schema.mjs reads this list.
    const components: Record<string, Component> = {
      "etcd:index:EtcdCA": m.EtcdCA as unknown as Component,
      "etcd:index:EtcdCluster": m.EtcdCluster as unknown as Component,
      "etcd:index:TrustedCaFile": m.TrustedCaFile as unknown as Component,
      "etcd:index:SnapshotSchedule": m.SnapshotSchedule as unknown as Component,
      "etcd:index:EtcdSnapshot": m.EtcdSnapshot as unknown as Component,
      "etcd:index:KubeControlPlane": m.KubeControlPlane as unknown as Component,
      "etcd:index:KubePki": m.KubePki as unknown as Component,
      "etcd:index:KubeControlPlaneMember": m.KubeControlPlaneMember as unknown as Component,
      "etcd:index:KubeLoadBalancer": m.KubeLoadBalancer as unknown as Component,
    };
    return components;
  });
  return loaded;
}

/** The package schema, read once; the provider serves it as is. */
export const schemaText = readFileSync(path.join(packageRoot(), "schema.json"), "utf8");
const schema = JSON.parse(schemaText) as {
  resources: Record<string, { inputProperties?: Record<string, SchemaProp>; properties?: Record<string, unknown>; required?: string[] }>;
  types?: SchemaTypes;
};

/**
 * The component's state for the engine: every output its schema declares. A required output the
 * component lacks is an error, not a silent gap in what other languages get.
 */
export function componentState(type: string, component: object, outputs: string[], required: string[] = outputs): Record<string, unknown> {
  const c = component as Record<string, unknown>;
  const missing = required.filter((k) => c[k] === undefined);
  if (missing.length)
    throw new Error(`${type} lacks the output(s) its schema declares: ${missing.join(", ")} (a bug: run npm run gen and its tests)`);
  return Object.fromEntries(outputs.map((k) => [k, c[k]]));
}

export async function construct(
  name: string,
  type: string,
  inputs: pulumi.Inputs,
  options: pulumi.ComponentResourceOptions,
): Promise<provider.ConstructResult> {
  const Ctor = (await served())[type];
  if (!Ctor) throw new Error(`unknown component type ${type}`);
  const entry = schema.resources[type] ?? {};
  // Loaded with the components (it needs @pulumi/pulumi): lists that arrived as one value become lists.
  const { settleInputs } = await import("./common/constructInputs");
  const settled = await settleInputs(type, inputs, entry.inputProperties ?? {}, schema.types ?? {});
  const dependsOn = [options.dependsOn ?? []].flat() as pulumi.Input<pulumi.Resource>[];
  const opts = settled.dependsOn.length ? { ...options, dependsOn: [...dependsOn, ...settled.dependsOn] } : options;
  const c = new Ctor(name, settled.inputs as never, opts);
  return { urn: c.urn, state: componentState(type, c, Object.keys(entry.properties ?? {}), entry.required ?? []) };
}
