// The SSH connection pool without a host: fake clients stand in for ssh2's.
import { EventEmitter } from "node:events";
import type { ClientChannel } from "ssh2";
import { afterEach, describe, expect, it, vi } from "vitest";
import { HostUnreachableError, PoolClient, poolKey, PoolTarget, SshPool } from "../../provider/common/sshPool";

// Placeholder key text (never parsed: the pool only hashes it), built so no key-shaped text is committed.
const fakeKey = (body: string) => `-----BEGIN OPENSSH ${"PRIVATE"} KEY-----\n${body}\n`;
import { failureReason, stripPrefix } from "../../provider/common/hostStep";
import { phaseLine } from "../../provider/common/engineLog";

class FakeChannel extends EventEmitter {
  close() {
    this.emit("close", 0);
  }
}

class FakeClient extends EventEmitter implements PoolClient {
  channels: FakeChannel[] = [];
  ended = false;
  /** What exec does: answer (default), fail, or never answer (a dead peer). */
  mode: "ok" | "fail" | "silent" = "ok";
  exec(_command: string, cb: (err: Error | undefined, channel: ClientChannel) => void) {
    if (this.mode === "silent") return;
    if (this.mode === "fail") return cb(new Error("No response from server"), undefined as unknown as ClientChannel);
    const ch = new FakeChannel();
    this.channels.push(ch);
    cb(undefined, ch as unknown as ClientChannel);
  }
  end() {
    if (this.ended) return;
    this.ended = true;
    for (const ch of this.channels) ch.emit("close");
    this.emit("close");
  }
}

const target = (over: Partial<PoolTarget> = {}): PoolTarget => ({
  host: "10.0.0.1",
  user: "root",
  privateKey: fakeKey("key-a"),
  hostKey: "ssh-ed25519 AAAAhost",
  ...over,
});

function pool(opts: ConstructorParameters<typeof SshPool>[1] = {}, connector?: (t: PoolTarget) => Promise<FakeClient>) {
  const clients: FakeClient[] = [];
  const p = new SshPool<PoolTarget>(
    connector ??
      (async () => {
        const c = new FakeClient();
        clients.push(c);
        return c;
      }),
    opts,
  );
  return { p, clients };
}

const pools: SshPool<PoolTarget>[] = [];
afterEach(() => {
  for (const p of pools.splice(0)) p.closeAll();
  vi.useRealTimers();
});

describe("poolKey", () => {
  it("tells connections apart by host, port, user, host key and private key, without holding the key", () => {
    const base = poolKey(target());
    expect(poolKey(target())).toBe(base);
    expect(poolKey(target({ port: 22 }))).toBe(base);
    expect(poolKey(target({ hostKey: "ssh-ed25519 AAAAhost comment" }))).toBe(base);
    for (const other of [
      target({ host: "10.0.0.2" }),
      target({ port: 2222 }),
      target({ user: "admin" }),
      target({ hostKey: "ssh-ed25519 AAAAother" }),
      target({ privateKey: fakeKey("key-b") }),
    ])
      expect(poolKey(other)).not.toBe(base);
    expect(base).not.toContain("key-a");
  });
});

describe("SshPool", () => {
  it("runs every step on one host over one connection, concurrent ones as separate channels", async () => {
    const { p, clients } = pool();
    pools.push(p);
    const leases = await Promise.all([1, 2, 3].map(() => p.exec(target(), "true", 1000)));
    expect(clients).toHaveLength(1);
    expect(clients[0].channels).toHaveLength(3);
    for (const l of leases) l.channel.close();
    await p.exec(target(), "true", 1000).then((l) => l.channel.close());
    await p.exec(target({ host: "10.0.0.2" }), "true", 1000).then((l) => l.channel.close());
    expect(clients).toHaveLength(2);
    expect(p.opened).toBe(2);
  });

  it("queues channels beyond the limit until one closes", async () => {
    const { p, clients } = pool({ maxChannels: 2 });
    pools.push(p);
    const [a] = await Promise.all([p.exec(target(), "a", 1000), p.exec(target(), "b", 1000)]);
    let third = false;
    const pending = p.exec(target(), "c", 1000).then((l) => ((third = true), l));
    await new Promise((r) => setTimeout(r, 10));
    expect(third).toBe(false);
    a.channel.close();
    await pending;
    expect(third).toBe(true);
    expect(clients[0].channels).toHaveLength(3);
  });

  it("drops a connection that closed and connects again on the next use", async () => {
    const { p, clients } = pool();
    pools.push(p);
    const l = await p.exec(target(), "true", 1000);
    clients[0].end(); // sshd restarted, the network broke, ...
    expect(l.lost()).toBe(true);
    expect(p.size()).toBe(0);
    await p.exec(target(), "true", 1000);
    expect(clients).toHaveLength(2);
  });

  it("reconnects once when a reused connection died unnoticed; a dead host fails with HostUnreachableError", async () => {
    let reachable = true;
    const clients: FakeClient[] = [];
    const { p } = pool({ openTimeoutMs: 50 }, async (t) => {
      if (!reachable) throw new HostUnreachableError(`ssh root@${t.host}:22: connect EHOSTUNREACH`);
      const c = new FakeClient();
      clients.push(c);
      return c;
    });
    pools.push(p);
    (await p.exec(target(), "true", 1000)).channel.close();
    clients[0].mode = "silent"; // the host died: no answer, no close
    reachable = false;
    await expect(p.exec(target(), "true", 1000)).rejects.toThrow(HostUnreachableError);
    expect(clients[0].ended).toBe(true);
    // Back up: the next use connects anew.
    reachable = true;
    await p.exec(target(), "true", 1000);
    expect(clients).toHaveLength(2);
  });

  it("a reused connection that fails to open a channel is replaced by one fresh attempt", async () => {
    const { p, clients } = pool();
    pools.push(p);
    (await p.exec(target(), "true", 1000)).channel.close();
    clients[0].mode = "fail";
    const l = await p.exec(target(), "true", 1000);
    expect(clients).toHaveLength(2);
    expect(l.lost()).toBe(false);
  });

  it("shares one connect between concurrent first uses, and forgets a failed connect", async () => {
    let calls = 0;
    const { p } = pool({}, async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 10));
      if (calls === 1) throw new HostUnreachableError("refused");
      return new FakeClient();
    });
    pools.push(p);
    const first = await Promise.allSettled([p.exec(target(), "a", 1000), p.exec(target(), "b", 1000)]);
    expect(first.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(calls).toBe(1);
    await p.exec(target(), "c", 1000);
    expect(calls).toBe(2);
  });

  it("closes a connection after it was idle, with a timer that keeps no process alive", async () => {
    vi.useFakeTimers();
    const { p, clients } = pool({ idleMs: 30_000 });
    pools.push(p);
    const l = await p.exec(target(), "true", 1000);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(clients[0].ended).toBe(false); // busy: never idle
    l.channel.close();
    await vi.advanceTimersByTimeAsync(29_000);
    (await p.exec(target(), "true", 1000)).channel.close(); // used again: the idle clock restarts
    await vi.advanceTimersByTimeAsync(29_000);
    expect(clients[0].ended).toBe(false);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(clients[0].ended).toBe(true);
    expect(p.size()).toBe(0);
  });

  it("closeAll ends every connection", async () => {
    const { p, clients } = pool();
    await p.exec(target(), "true", 1000);
    await p.exec(target({ host: "10.0.0.2" }), "true", 1000);
    p.closeAll();
    expect(clients.map((c) => c.ended)).toEqual([true, true]);
  });
});

describe("host step progress and errors", () => {
  it("prefixes progress with the step and the host, replacing the script's own prefix", () => {
    const line = (l: string) => phaseLine("etcd-install", "10.0.0.1", stripPrefix("etcd-install", l));
    expect(line("[h1 etcd-install] downloading x")).toBe("[etcd-install] 10.0.0.1: downloading x");
    expect(line("curl: (7) failed")).toBe("[etcd-install] 10.0.0.1: curl: (7) failed");
  });

  it("names the script's ERROR lines, else a fixed-length stderr tail", () => {
    expect(failureReason("s", "[h s] working\n[h s] ERROR: checksum mismatch\n")).toBe("checksum mismatch");
    const noisy = Array.from({ length: 40 }, (_, i) => `line ${i}`).join("\n");
    const tail = failureReason("s", noisy);
    expect(tail.trim().split("\n")).toHaveLength(15);
    expect(tail).toMatch(/line 39$/);
    expect(failureReason("s", "")).toBe("(no output)");
  });
});
