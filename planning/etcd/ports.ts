// The ports a member listens on; etcd's defaults.
/** The ports a member listens on. */
export interface Ports {
  /** Client port (https); default 2379. */
  client: number;
  /** Peer port (https); default 2380. */
  peer: number;
  /** Plain-HTTP metrics and health, bound to 127.0.0.1 only; default 2381. */
  metrics: number;
}

export const DEFAULT_PORTS: Ports = { client: 2379, peer: 2380, metrics: 2381 };

export function withDefaults(p: Partial<Ports> | undefined): Ports {
  return { ...DEFAULT_PORTS, ...Object.fromEntries(Object.entries(p ?? {}).filter(([, v]) => v !== undefined)) };
}

export function portProblems(p: Ports): string[] {
  const problems: string[] = [];
  for (const [k, v] of Object.entries(p)) {
    if (!Number.isInteger(v) || v < 1 || v > 65535)
      problems.push(`ports.${k} must be an integer from 1 to 65535, got ${JSON.stringify(v)}`);
  }
  const seen = new Map<number, string>();
  for (const [k, v] of Object.entries(p)) {
    const other = seen.get(v);
    if (other) problems.push(`ports.${k} and ports.${other} are both ${v}: each listener needs its own port`);
    seen.set(v, k);
  }
  return problems;
}
