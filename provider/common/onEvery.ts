// Runs one step on every host (or member) at once and collects what each did: the steps that
// succeeded give values, the others a line naming the host and why.

/** The values of the steps that succeeded (undefined for the others), and why the others failed. */
export async function onEvery<T, N extends { name: string }>(items: N[], step: (item: N, k: number) => Promise<T>) {
  const results = await Promise.allSettled(items.map(step));
  return {
    values: results.map((r) => (r.status === "fulfilled" ? r.value : undefined)),
    problems: results.flatMap((r, k) => (r.status === "rejected" ? [`${items[k].name}: ${(r.reason as Error).message}`] : [])),
  };
}
