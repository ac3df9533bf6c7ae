// Construct-time validation needs the inputs that are already known. These helpers tell plain
// values from outputs of other resources (known only later).
import * as pulumi from "@pulumi/pulumi";

/** The value if it is plain (deeply, no Output or Promise inside), else undefined. */
export function known<T>(v: pulumi.Input<T> | undefined): T | undefined {
  return isPlain(v) ? (v as T) : undefined;
}

function isPlain(v: unknown): boolean {
  if (pulumi.Output.isInstance(v) || v instanceof Promise) return false;
  if (Array.isArray(v)) return v.every(isPlain);
  if (typeof v === "object" && v !== null) return Object.values(v).every(isPlain);
  return true;
}

/** Like `known`, for each element of an array (so one output address does not hide the others). */
export function knownEach<T>(v: pulumi.Input<pulumi.Input<T>[]> | undefined): (T | undefined)[] | undefined {
  if (v === undefined || !Array.isArray(v)) return undefined;
  return v.map((x) => known<T>(x));
}
