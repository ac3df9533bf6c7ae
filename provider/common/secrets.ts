// The engine's wire form for secret and unknown values, as seen by a provider that accepts secrets.
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** What the engine sends for a value not known yet (during preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function isSecret(v: unknown): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

export function secret<T>(value: T): unknown {
  return { [SIG_KEY]: SECRET_SIG, value };
}

/** Removes secret wrappers, deeply; the result must never be returned to the engine as is. */
export function reveal<T = unknown>(v: unknown): T {
  if (isSecret(v)) return reveal(v.value);
  if (Array.isArray(v)) return v.map((x) => reveal(x)) as T;
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)])) as T;
  }
  return v as T;
}

export function containsUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (isSecret(v)) return containsUnknown(v.value);
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (typeof v === "object" && v !== null) return Object.values(v).some(containsUnknown);
  return false;
}

/** Deep equality of two wire values, secrets compared by their content. */
export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(reveal(a))) === JSON.stringify(canonical(reveal(b)));
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}
