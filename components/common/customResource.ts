// The client classes of the provider's custom resources, made from their one declaration: the wire
// types in planning/<domain>/resourceTypes.ts. What the types cannot carry at run time (the output
// names, which values are secret) is in resourceSpecs.ts, written by `npm run gen` from the same types.
import * as pulumi from "@pulumi/pulumi";
import { ResourceSpec, resourceSpecs } from "./resourceSpecs";

/** A wire value as a client gives it: every value, at every level, may be a pulumi.Input. */
export type ResourceArgs<T> = [T] extends [string | number | boolean]
  ? pulumi.Input<T>
  : [T] extends [readonly (infer U)[]]
    ? pulumi.Input<ResourceArgs<U>[]>
    : [T] extends [object]
      ? pulumi.Input<InputObject<T>>
      : pulumi.Input<T>;

/** An object of a wire type, each property a ResourceArgs (the object itself plain). */
export type InputObject<T> = { [K in keyof T]: ResourceArgs<NonNullable<T[K]>> };

/** The outputs of a custom resource, as properties of its client object. */
export type ResourceOutputs<O> = { readonly [K in keyof O]-?: pulumi.Output<O[K]> };

export type CustomResourceClass<I, O> = new (
  name: string,
  args: InputObject<I>,
  opts?: pulumi.CustomResourceOptions,
) => pulumi.CustomResource & ResourceOutputs<O>;

/** The value with the secret at `path` ("[]" for every element of an array) wrapped as a secret. */
function secretAt(v: unknown, path: string[]): unknown {
  if (v === undefined || v === null) return v;
  if (path.length === 0) return pulumi.secret(v);
  // A container that is not known yet (an Output or Promise): the whole container is secret.
  if (pulumi.Output.isInstance(v) || v instanceof Promise) return pulumi.secret(v);
  const [head, ...rest] = path;
  if (head === "[]") return Array.isArray(v) ? v.map((x) => secretAt(x, rest)) : v;
  if (typeof v !== "object" || !(head in v)) return v;
  return { ...v, [head]: secretAt((v as Record<string, unknown>)[head], rest) };
}

/** The inputs as sent to the provider: secrets wrapped, and each output named (undefined) so the SDK fills it. */
export function wireInputs(spec: ResourceSpec, args: object): Record<string, unknown> {
  let inputs: unknown = args;
  for (const path of spec.secretInputs) inputs = secretAt(inputs, path);
  return { ...(inputs as Record<string, unknown>), ...Object.fromEntries(spec.outputs.map((k) => [k, undefined])) };
}

/**
 * The client class of the custom resource `token`, typed by its wire inputs I and outputs O (the
 * planning/ interfaces named in this call are what `npm run gen` reads for the schema).
 */
export function customResource<I extends object, O extends object>(token: string): CustomResourceClass<I, O> {
  const spec = resourceSpecs[token];
  if (!spec) throw new Error(`no spec for ${token} in components/common/resourceSpecs.ts: run npm run gen`);
  class Resource extends pulumi.CustomResource {
    constructor(name: string, args: InputObject<I>, opts?: pulumi.CustomResourceOptions) {
      // Top-level secrets stay secret in the state (the handlers return their inputs with their outputs).
      const secretOutputs = spec!.secretOutputs;
      const options = secretOutputs.length
        ? { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...secretOutputs] }
        : opts;
      super(token, name, wireInputs(spec!, args), options);
    }
  }
  return Resource as unknown as CustomResourceClass<I, O>;
}
