// SSH connections shared inside one provider process: a deployment opens one connection per host,
// and every step on that host (concurrent ones too) runs as its own exec channel on it.
//   - Keyed by host, port, user, the pinned host key and a hash of the private key: a connection is
//     only reused for a request that would have been allowed to open it.
//   - At most MAX_CHANNELS channels at once per connection (sshd allows MaxSessions=10 by
//     default); further steps wait their turn.
//   - A connection that closed or broke is dropped; the next use connects again. A channel that
//     cannot be opened on a reused connection (a dead peer) drops it and connects once more, so a
//     host that died fails fast with HostUnreachableError instead of hanging.
//   - Idle connections are closed after IDLE_MS (unref'd timers: they keep no process alive), and
//     all of them when the process exits.
// Plain TypeScript, no Pulumi types; the connector is injected so the logic is testable without a host.
import { createHash } from "node:crypto";
import type { ClientChannel } from "ssh2";

export class HostUnreachableError extends Error {}

/** What the pool needs of an SSH client (ssh2's Client has it). */
export interface PoolClient {
  exec(command: string, callback: (err: Error | undefined, channel: ClientChannel) => void): unknown;
  end(): unknown;
  on(event: "close", listener: () => void): unknown;
  on(event: "error", listener: (err: Error) => void): unknown;
}

/** Where and as whom: the fields that make two connections interchangeable. */
export interface PoolTarget {
  host: string;
  port?: number;
  user: string;
  privateKey: string;
  hostKey: string;
}

export type Connector<T extends PoolTarget> = (target: T, readyTimeoutMs: number) => Promise<PoolClient>;

export interface PoolOptions {
  idleMs?: number;
  maxChannels?: number;
  /** How long opening a channel on a live connection may take before the connection counts as dead. */
  openTimeoutMs?: number;
}

export const IDLE_MS = 30_000;
export const MAX_CHANNELS = 8;

/** An open exec channel; lost() tells whether its connection went away while it ran. */
export interface Lease {
  channel: ClientChannel;
  lost(): boolean;
}

interface Entry {
  key: string;
  client?: PoolClient;
  connecting?: Promise<PoolClient>;
  busy: number;
  queue: (() => void)[];
  idle?: NodeJS.Timeout;
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** The pool key: never the private key itself, only its hash. */
export function poolKey(t: PoolTarget): string {
  const hostKeyBlob = t.hostKey.trim().split(/\s+/)[1] ?? t.hostKey.trim();
  return [t.user, t.host, t.port ?? 22, sha256(hostKeyBlob), sha256(t.privateKey)].join("|");
}

export class SshPool<T extends PoolTarget> {
  private readonly entries = new Map<string, Entry>();
  /** Clients whose connection closed (a channel that ends without an exit status then lost it). */
  private readonly gone = new WeakSet<PoolClient>();
  private readonly idleMs: number;
  private readonly maxChannels: number;
  private readonly openTimeoutMs: number;
  /** Connections opened so far (for tests and the provider's debug log). */
  opened = 0;

  constructor(
    private readonly connector: Connector<T>,
    opts: PoolOptions = {},
  ) {
    this.idleMs = opts.idleMs ?? IDLE_MS;
    this.maxChannels = opts.maxChannels ?? MAX_CHANNELS;
    this.openTimeoutMs = opts.openTimeoutMs ?? 15_000;
  }

  /** Live (or connecting) connections. */
  size(): number {
    return [...this.entries.values()].filter((e) => e.client || e.connecting).length;
  }

  /** Opens an exec channel for command on target's connection, connecting first when there is none. */
  async exec(target: T, command: string, readyTimeoutMs: number): Promise<Lease> {
    const e = this.entry(poolKey(target));
    await this.slot(e);
    try {
      for (let attempt = 0; ; attempt++) {
        const { client, fresh } = await this.client(e, target, readyTimeoutMs);
        try {
          return await this.open(e, client, command);
        } catch (err) {
          if (!(err instanceof ChannelOpenError && err.connectionGone)) throw this.describe(target, err as Error);
          // The connection is gone: drop it. A reused one may just have died unnoticed: one fresh
          // attempt tells a dead host (connect fails: HostUnreachableError) from a live one.
          this.drop(e, client);
          if (fresh || attempt > 0) throw this.describe(target, err);
        }
      }
    } catch (err) {
      this.release(e);
      throw err;
    }
  }

  /** Closes every connection (process exit, tests). */
  closeAll(): void {
    for (const e of this.entries.values()) {
      if (e.idle) clearTimeout(e.idle);
      e.client?.end();
      e.client = undefined;
    }
    this.entries.clear();
  }

  private entry(key: string): Entry {
    let e = this.entries.get(key);
    if (!e) {
      e = { key, busy: 0, queue: [] };
      this.entries.set(key, e);
    }
    return e;
  }

  private async slot(e: Entry): Promise<void> {
    if (e.idle) {
      clearTimeout(e.idle);
      e.idle = undefined;
    }
    if (e.busy < this.maxChannels) {
      e.busy++;
      return;
    }
    await new Promise<void>((resolve) => e.queue.push(resolve)); // the slot is handed over in release()
  }

  private release(e: Entry): void {
    const next = e.queue.shift();
    if (next) return next();
    e.busy--;
    if (e.busy > 0) return;
    if (!e.client && !e.connecting) {
      this.entries.delete(e.key);
      return;
    }
    e.idle = setTimeout(() => {
      e.idle = undefined;
      if (e.busy > 0) return;
      const c = e.client;
      e.client = undefined;
      this.entries.delete(e.key);
      c?.end();
    }, this.idleMs);
    e.idle.unref();
  }

  private async client(e: Entry, target: T, readyTimeoutMs: number): Promise<{ client: PoolClient; fresh: boolean }> {
    if (e.client) return { client: e.client, fresh: false };
    if (!e.connecting) {
      e.connecting = this.connector(target, readyTimeoutMs).then(
        (c) => {
          e.connecting = undefined;
          e.client = c;
          this.opened++;
          c.on("error", () => undefined); // surfaces as 'close' and as failed channels
          c.on("close", () => {
            this.gone.add(c);
            if (e.client === c) e.client = undefined;
            if (e.busy === 0 && !e.connecting && this.entries.get(e.key) === e) {
              if (e.idle) clearTimeout(e.idle);
              this.entries.delete(e.key);
            }
          });
          return c;
        },
        (err: Error) => {
          e.connecting = undefined;
          throw err;
        },
      );
    }
    return { client: await e.connecting, fresh: true };
  }

  private drop(e: Entry, client: PoolClient): void {
    if (e.client === client) e.client = undefined;
    client.end();
  }

  private open(e: Entry, client: PoolClient, command: string): Promise<Lease> {
    const lost = () => this.gone.has(client);
    return new Promise<Lease>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(new ChannelOpenError(`no answer to opening a session within ${this.openTimeoutMs / 1000} s`, true));
      }, this.openTimeoutMs);
      timer.unref();
      client.exec(command, (err, channel) => {
        clearTimeout(timer);
        if (settled) {
          // Too late: the connection was given up on; close what arrived.
          if (!err) channel.close();
          return;
        }
        settled = true;
        if (err) return reject(new ChannelOpenError(err.message, lost() || /No response|Not connected|closed/i.test(err.message)));
        channel.once("close", () => this.release(e));
        resolve({ channel, lost });
      });
    });
  }

  private describe(t: T, err: Error): Error {
    const where = `ssh ${t.user}@${t.host}:${t.port ?? 22}`;
    if (err instanceof ChannelOpenError && !err.connectionGone) return new Error(`${where}: cannot open a session: ${err.message}`);
    if (err instanceof HostUnreachableError) return err;
    return new HostUnreachableError(`${where}: ${err.message}`);
  }
}

class ChannelOpenError extends Error {
  constructor(
    message: string,
    readonly connectionGone: boolean,
  ) {
    super(message);
  }
}
