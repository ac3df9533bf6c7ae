// The cluster lock: its pure rules (planning/etcd/lock.ts), and the provider's lock
// (provider/etcd/lock.ts) against a real etcd on loopback with TLS (skipped when the etcd binary of
// the toolchain cache is missing): waiting for and naming another holder, a dead holder's lease
// expiring, keepalive beyond the TTL, re-entrancy, the timeout, and etcdctl's transaction as the
// snapshot runner writes it.
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_LOCK_TIMEOUT_SECONDS,
  describeHolder,
  encodeHolder,
  lockKey,
  lockTimeoutMs,
  nextWaitStep,
  parseHolder,
  stackOfUrn,
  staleAfterRestore,
  timeoutMessage,
  waitingMessage,
} from "../../planning/etcd/lock";
import { etcdClient } from "../../provider/etcd/client";
import { clearRestoredLock, holdsClusterLock, LockTimeoutError, withClusterLock } from "../../provider/etcd/lock";
import { issueCertificate } from "../../provider/pki/certificates";
import type { ClientTls } from "../../planning/etcd/liveCluster";
import type { Context } from "../../provider/common/handler";

describe("lock rules", () => {
  const holder = {
    host: "ci-2",
    pid: 4711,
    operation: "member-add m4",
    since: "2026-12-03T12:00:00.000Z",
    stack: "prod",
    project: "infra",
    tool: "pulumi-etcd provider",
  };

  it("the key is in the package's keyspace of the cluster", () => {
    expect(lockKey("main")).toBe("/pulumi-etcd/main/lock");
  });

  it("the value round-trips; a value that is not ours is kept as text", () => {
    expect(parseHolder(encodeHolder(holder))).toEqual(holder);
    expect(parseHolder("held by bob")).toEqual({ raw: "held by bob" });
    expect(parseHolder('{"host":"h1","pid":"12","operation":"scheduled snapshot","since":"x"}')).toEqual({
      host: "h1",
      pid: 12,
      operation: "scheduled snapshot",
      since: "x",
    });
  });

  it("names the holder, its stack and for how long it holds the lock", () => {
    const now = Date.parse(holder.since) + 42_000;
    expect(describeHolder(holder, now)).toBe(
      "host ci-2 pid 4711 (stack prod of project infra), member-add m4, since 2026-12-03T12:00:00.000Z (for 42 s)",
    );
    const timer = { host: "h1", pid: 9, operation: "scheduled snapshot", since: holder.since, tool: "etcd-snapshot timer" };
    expect(describeHolder(timer, now + 300_000)).toBe(
      "host h1 pid 9 (etcd-snapshot timer), scheduled snapshot, since 2026-12-03T12:00:00.000Z (for 6 min)",
    );
    expect(describeHolder({ raw: "x" }, now)).toBe('an unknown holder (value "x")');
  });

  it("stack and project come from the resource's URN", () => {
    expect(stackOfUrn("urn:pulumi:dev::cluster-ts::etcd:cluster:Member::m1")).toEqual({ stack: "dev", project: "cluster-ts" });
    expect(stackOfUrn("")).toEqual({});
  });

  it("waits, says so at first and then now and then, and gives up at the timeout", () => {
    const base = { startedMs: 0, timeoutMs: 10_000, logEveryMs: 3000 };
    expect(nextWaitStep({ ...base, nowMs: 100 })).toEqual({ action: "retry", log: true });
    expect(nextWaitStep({ ...base, nowMs: 2000, lastLogMs: 100 })).toEqual({ action: "retry", log: false });
    expect(nextWaitStep({ ...base, nowMs: 3200, lastLogMs: 100 })).toEqual({ action: "retry", log: true });
    expect(nextWaitStep({ ...base, nowMs: 10_000, lastLogMs: 9000 })).toEqual({ action: "fail" });
    expect(nextWaitStep({ ...base, timeoutMs: 0, nowMs: 0 })).toEqual({ action: "fail" });
  });

  it("the timeout defaults to 10 minutes; 0 means do not wait", () => {
    expect(DEFAULT_LOCK_TIMEOUT_SECONDS).toBe(600);
    expect(lockTimeoutMs(undefined)).toBe(600_000);
    expect(lockTimeoutMs(-1)).toBe(600_000);
    expect(lockTimeoutMs(0)).toBe(0);
    expect(lockTimeoutMs(90)).toBe(90_000);
  });

  it("the messages name the cluster, the operation and the holder", () => {
    expect(waitingMessage("main", "member-add m5", "HOLDER", 0, 600_000, true)).toBe(
      "member-add m5: cluster main is locked by HOLDER; waiting for it (up to 10 min)",
    );
    expect(waitingMessage("main", "member-add m5", "HOLDER", 60_000, 600_000, false)).toBe(
      "member-add m5: still waiting for the lock of cluster main, held by HOLDER (9 min left)",
    );
    const t = timeoutMessage("main", "member-add m5", "HOLDER", 600_000, "/pulumi-etcd/main/lock");
    expect(t).toMatch(
      /^member-add m5 on cluster main did not start: the cluster is locked by HOLDER; gave up after 10 min\. Nothing was changed\./,
    );
    expect(t).toContain("etcdctl del /pulumi-etcd/main/lock");
    expect(t).toContain("lockTimeoutSeconds");
  });

  it("after a restore, a lock from before it is a leftover of the snapshot", () => {
    const started = Date.parse("2026-12-03T12:00:00Z");
    expect(staleAfterRestore({ ...holder, since: "2026-12-01T06:00:00Z" }, started)).toBe(true);
    expect(staleAfterRestore({ ...holder, since: "2026-12-03T12:00:05Z" }, started)).toBe(false);
    expect(staleAfterRestore({ raw: "?" }, started)).toBe(true);
  });
});

const ETCD_DIR = "/root/.cache/pulumi-etcd/etcd/3.6.16";
const haveEtcd = existsSync(path.join(ETCD_DIR, "etcd"));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

describe.skipIf(!haveEtcd)("the lock on a real etcd (loopback, TLS)", () => {
  let dir: string;
  let etcd: ChildProcess | undefined;
  let endpoint: string;
  let tls: ClientTls;
  const lines: string[] = [];
  const ctx: Context = {
    urn: "urn:pulumi:dev::lock-test::etcd:cluster:Member::m1",
    log: async (phase, subject, message) => void lines.push(`[${phase}] ${subject}: ${message}`),
    warn: async (phase, subject, message) => void lines.push(`warning [${phase}] ${subject}: ${message}`),
  };
  const cluster = "lt";
  const key = lockKey(cluster);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "pe-lock-"));
    const ca = await issueCertificate({ commonName: "lock test CA", isCa: true, keyAlgorithm: "ECDSA-P256", validityHours: 2 });
    const signer = { certPem: ca.certPem, privateKeyPem: ca.privateKeyPem };
    const server = await issueCertificate({
      commonName: "m1",
      isCa: false,
      keyAlgorithm: "ECDSA-P256",
      validityHours: 2,
      ipAddresses: ["127.0.0.1"],
      usages: ["server", "client"],
      signer,
    });
    const admin = await issueCertificate({
      commonName: "admin",
      isCa: false,
      keyAlgorithm: "ECDSA-P256",
      validityHours: 2,
      usages: ["client"],
      signer,
    });
    for (const [f, text] of Object.entries({
      "ca.crt": ca.certPem,
      "server.crt": server.certPem,
      "server.key": server.privateKeyPem,
      "admin.crt": admin.certPem,
      "admin.key": admin.privateKeyPem,
    }))
      writeFileSync(path.join(dir, f), text, { mode: 0o600 });
    tls = { caCertPem: ca.certPem, certPem: admin.certPem, keyPem: admin.privateKeyPem };
    const [client, peer] = [await freePort(), await freePort()];
    endpoint = `https://127.0.0.1:${client}`;
    etcd = spawn(
      path.join(ETCD_DIR, "etcd"),
      [
        "--name=m1",
        `--data-dir=${path.join(dir, "data")}`,
        `--listen-client-urls=${endpoint}`,
        `--advertise-client-urls=${endpoint}`,
        `--listen-peer-urls=http://127.0.0.1:${peer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
        `--initial-cluster=m1=http://127.0.0.1:${peer}`,
        "--client-cert-auth",
        `--trusted-ca-file=${path.join(dir, "ca.crt")}`,
        `--cert-file=${path.join(dir, "server.crt")}`,
        `--key-file=${path.join(dir, "server.key")}`,
        "--log-level=error",
      ],
      { stdio: "ignore" },
    );
    const c = etcdClient([endpoint], tls, 1000);
    try {
      for (let i = 0; ; i++) {
        try {
          await c.get("/ready");
          break;
        } catch (e) {
          if (i > 100) throw e;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    } finally {
      c.close();
    }
  }, 30_000);

  afterAll(() => {
    etcd?.kill("SIGKILL");
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const req = (operation: string, more: Partial<Parameters<typeof withClusterLock>[1]> = {}) => ({
    clusterName: cluster,
    endpoints: [endpoint],
    tls,
    operation,
    ...more,
  });

  async function value(): Promise<string | null> {
    const c = etcdClient([endpoint], tls);
    try {
      return await c.get(key).string();
    } finally {
      c.close();
    }
  }

  /** Another process's holding, as another client (its own lease). */
  async function otherHolder(ttl: number, operation = "member-remove m2") {
    const c = etcdClient([endpoint], tls);
    const lease = c.lease(ttl);
    const id = await lease.grant();
    const v = encodeHolder({ host: "other-runner", pid: 99, operation, since: new Date().toISOString(), stack: "dev" });
    const r = await c.if(key, "Create", "==", 0).then(c.put(key).value(v).lease(id)).commit();
    expect(r.succeeded).toBe(true);
    return { c, lease };
  }

  it("holds the key while the operation runs (its value names the holder), nested calls share it, and releases it at the end", async () => {
    const seen = await withClusterLock(ctx, req("upgrade to 3.6.16"), async () => {
      const outer = parseHolder((await value())!);
      const inner = await withClusterLock(ctx, req("member-add m4"), async () => parseHolder((await value())!));
      expect(holdsClusterLock(cluster)).toBe(true);
      return { outer, inner };
    });
    expect(seen.outer).toMatchObject({ operation: "upgrade to 3.6.16", pid: process.pid, stack: "dev", project: "lock-test" });
    expect(seen.inner).toEqual(seen.outer); // re-entrant: no second holding, no deadlock
    expect(await value()).toBeNull();
    expect(holdsClusterLock(cluster)).toBe(false);
  });

  it("keeps the lease alive beyond its TTL", async () => {
    await withClusterLock(ctx, req("rolling restart", { ttlSeconds: 1 }), async () => {
      await new Promise((r) => setTimeout(r, 2600));
      expect(await value()).not.toBeNull();
    });
    expect(await value()).toBeNull();
  });

  it("waits for another holder, names it, and runs once it releases", async () => {
    lines.length = 0;
    const other = await otherHolder(30);
    const started = Date.now();
    setTimeout(() => void other.lease.revoke().then(() => other.c.close()), 1000);
    const ran = await withClusterLock(ctx, req("member-add m5"), async () => Date.now() - started);
    expect(ran).toBeGreaterThanOrEqual(900);
    expect(lines[0]).toMatch(
      /^\[lock\] lt: member-add m5: cluster lt is locked by host other-runner pid 99 \(stack dev\), member-remove m2, since .* \(for \d+ s\); waiting for it \(up to 10 min\)$/,
    );
    expect(lines.some((l) => /took the lock after \d+ s/.test(l))).toBe(true);
  });

  it("a holder that dies (no keepalive any more) releases the lock when its lease expires", async () => {
    const other = await otherHolder(2, "scheduled snapshot");
    other.lease.release(); // the process is gone: nobody renews its lease
    other.c.close();
    const started = Date.now();
    await withClusterLock(ctx, req("member-add m5", { timeoutSeconds: 20 }), async () => undefined);
    expect(Date.now() - started).toBeGreaterThan(500);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("gives up after the timeout with a message naming the holder; nothing ran", async () => {
    const other = await otherHolder(30, "upgrade to 3.6.16");
    let ran = false;
    try {
      await expect(
        withClusterLock(ctx, req("member-add m5", { timeoutSeconds: 1 }), async () => {
          ran = true;
        }),
      ).rejects.toThrow(LockTimeoutError);
      await expect(withClusterLock(ctx, req("member-add m5", { timeoutSeconds: 0 }), async () => undefined)).rejects.toThrow(
        /member-add m5 on cluster lt did not start: the cluster is locked by host other-runner pid 99 \(stack dev\), upgrade to 3\.6\.16/,
      );
      expect(ran).toBe(false);
      expect(holdsClusterLock(cluster)).toBe(false);
    } finally {
      await other.lease.revoke();
      other.c.close();
    }
  });

  it("after a restore, a lock from before it (restored with the snapshot) is removed; one taken since stays", async () => {
    const restoreStarted = Date.now();
    const c = etcdClient([endpoint], tls);
    try {
      const old = encodeHolder({ host: "h1", pid: 7, operation: "scheduled snapshot", since: "2026-01-01T00:00:00Z" });
      await c.put(key).value(old);
      expect(await clearRestoredLock([endpoint], tls, cluster, restoreStarted)).toMatch(
        /^host h1 pid 7, scheduled snapshot, since 2026-01-01T00:00:00Z/,
      );
      expect(await value()).toBeNull();
      expect(await clearRestoredLock([endpoint], tls, cluster, restoreStarted)).toBeUndefined();
      const fresh = encodeHolder({ host: "h2", pid: 8, operation: "member-add m4", since: new Date(restoreStarted + 1000).toISOString() });
      await c.put(key).value(fresh);
      expect(await clearRestoredLock([endpoint], tls, cluster, restoreStarted)).toBeUndefined();
      expect(await value()).toBe(fresh);
    } finally {
      await c.delete().key(key);
      c.close();
    }
  });

  it("etcdctl's transaction, as the snapshot runner writes it, fails while the provider holds the lock and succeeds after", async () => {
    const etcdctl = (args: string[], input?: string) =>
      execFileSync(
        path.join(ETCD_DIR, "etcdctl"),
        [`--endpoints=${endpoint}`, `--cacert=${dir}/ca.crt`, `--cert=${dir}/admin.crt`, `--key=${dir}/admin.key`, ...args],
        { input, encoding: "utf8" },
      );
    const txn = (lease: string) => {
      const v = encodeHolder({
        host: "h1",
        pid: 7,
        operation: "scheduled snapshot",
        since: new Date().toISOString(),
        tool: "etcd-snapshot timer",
      });
      return etcdctl(["txn"], `create("${key}") = "0"\n\nput --lease=${lease} ${key} '${v}'\n\nget ${key}\n\n`);
    };
    const lease = /lease ([0-9a-f]+) granted/.exec(etcdctl(["lease", "grant", "30"]))![1];
    await withClusterLock(ctx, req("member-add m4"), async () => {
      const out = txn(lease);
      expect(out.split("\n")[0]).toBe("FAILURE");
      expect(out).toContain('"operation":"member-add m4"');
    });
    const out = txn(lease);
    expect(out.split("\n")[0]).toBe("SUCCESS");
    expect(parseHolder((await value())!)).toMatchObject({ host: "h1", operation: "scheduled snapshot", tool: "etcd-snapshot timer" });
    etcdctl(["lease", "revoke", lease]);
    expect(await value()).toBeNull();
  });
});
