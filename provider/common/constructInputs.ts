// A component's inputs as the SDK hands them to construct, made into the shapes the component walks.
// pulumi-yaml resolves a variable that holds a list (`members: ${members}`) as ONE value: when any
// element holds a secret, the whole list arrives as one secret Output, and the component cannot
// map over it. So every list or object the schema declares, and that arrived as an Output, is
// awaited and rebuilt. The elements' own secrecy is gone on the wire (pulumi-yaml merged it), so
// it comes back from the schema: a property declared secret is secret again, the others are plain,
// exactly as when the list is written inline. Resources the value depended on become the
// component's dependencies.
import * as pulumi from "@pulumi/pulumi";

export interface SchemaProp {
  type?: string;
  $ref?: string;
  items?: SchemaProp;
  secret?: boolean;
}
export type SchemaTypes = Record<string, { properties?: Record<string, SchemaProp> }>;

/** What an Output holds (the SDK's own fields, not in its public types). */
interface OutputState {
  promise(withUnknowns?: boolean): Promise<unknown>;
  isKnown: Promise<boolean>;
  allResources?(): Promise<Set<pulumi.Resource>>;
}

export interface SettledInputs {
  inputs: Record<string, unknown>;
  /** Resources the awaited values depended on. */
  dependsOn: pulumi.Resource[];
}

function objectType(p: SchemaProp, types: SchemaTypes): Record<string, SchemaProp> | undefined {
  return p.$ref ? types[p.$ref.replace(/^#\/types\//, "")]?.properties : undefined;
}

/** Rebuilds lists and objects that arrived as Outputs; `at` names the input in errors. */
export async function settleInputs(
  component: string,
  inputs: Record<string, unknown>,
  props: Record<string, SchemaProp>,
  types: SchemaTypes,
): Promise<SettledInputs> {
  const deps = new Set<pulumi.Resource>();

  // A value inside an awaited Output: plain data; secret where the schema says so.
  const fromPlain = (v: unknown, p: SchemaProp | undefined): unknown => {
    if (v === undefined || v === null || !p) return v;
    if (p.secret) return pulumi.secret(v);
    if (p.type === "array" && Array.isArray(v)) return v.map((x) => fromPlain(x, p.items));
    const fields = objectType(p, types);
    if (fields && typeof v === "object") {
      return Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, fromPlain(x, fields[k])]));
    }
    return v;
  };

  const settle = async (v: unknown, p: SchemaProp | undefined, at: string): Promise<unknown> => {
    if (!p) return v;
    const fields = objectType(p, types);
    const structured = p.type === "array" || fields !== undefined;
    if (structured && pulumi.Output.isInstance(v)) {
      const o = v as unknown as OutputState;
      if (!(await o.isKnown)) {
        // Only a list must be known to build the component (one set of resources per element).
        if (p.type !== "array") return v;
        throw new Error(
          `${component}: ${at} is not known yet (it depends on outputs of resources not created yet), ` +
            `so its elements cannot be told apart: write the list inline in the resource's properties, ` +
            `so each value is resolved on its own`,
        );
      }
      for (const r of (await o.allResources?.()) ?? []) deps.add(r);
      return fromPlain(await o.promise(), p);
    }
    if (p.type === "array" && Array.isArray(v)) return Promise.all(v.map((x, i) => settle(x, p.items, `${at}[${i}]`)));
    if (fields && typeof v === "object" && v !== null && !pulumi.Output.isInstance(v)) {
      const entries = await Promise.all(Object.entries(v).map(async ([k, x]) => [k, await settle(x, fields[k], `${at}.${k}`)]));
      return Object.fromEntries(entries);
    }
    return v;
  };

  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(inputs)) out[k] = await settle(v, props[k], k);
  return { inputs: out, dependsOn: [...deps] };
}
