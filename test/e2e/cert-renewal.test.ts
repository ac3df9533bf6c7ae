// Issue 14 (certificate lifecycle, leaves) end to end: certificates issued with a 2-day validity;
// an `up` whose renewBefore window (3 days) reaches their end of validity renews every leaf (each
// member's server and peer certificate, the admin, healthcheck and apiserver-etcd-client
// certificates) while a writer keeps writing 300 puts/s; every member presents the new serial
// numbers on its client and peer port, and etcd is not restarted (it reads the files again for new
// TLS connections). Certificates outside the window never change.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminTls, bedTarballSha256, clusterOutputs, ClusterOutputs, leaderCount, membersConfig, sshSessions, withClient } from "./cluster";
import { Bed, bedDown, bedUp, onHost, Stack } from "./harness";
import { Writer } from "./writer";

const V36 = "3.6.16";
const LEAVES = 9; // 3 members × (server, peer) + admin, healthcheck, apiserver-etcd-client
let bed: Bed;

interface CertStatus {
  name: string;
  serialNumber: string;
  notAfter: string;
}
type Outputs = ClusterOutputs & { certificates: CertStatus[] };

beforeAll(async () => {
  bed = await bedUp(3);
});
afterAll(() => bedDown());

const normalSerial = (s: string) =>
  s
    .replace(/^serial=/i, "")
    .replace(/^0+/, "")
    .toUpperCase();

/** The serial number of the certificate a member presents on ip:port (openssl s_client, with a client certificate of the cluster). */
function presentedSerial(ip: string, port: number, certFile: string, keyFile: string): string {
  const chain = execFileSync(
    "bash",
    [
      "-c",
      `openssl s_client -connect ${ip}:${port} -cert ${certFile} -key ${keyFile} </dev/null 2>/dev/null | openssl x509 -noout -serial`,
    ],
    { encoding: "utf8", timeout: 20_000 },
  );
  return normalSerial(chain.trim());
}

async function etcdPid(host: number): Promise<string> {
  return (await onHost(host, "pgrep -x etcd || echo none")).trim();
}

describe("leaf certificates renewed inside renewBefore, under a steady writer", () => {
  let stack: Stack;
  let writer: Writer;
  let before: Outputs;
  let after: Outputs;
  let pids: string[];
  let upSeconds = 0;
  let clientDir: string;
  afterAll(async () => {
    rmSync(clientDir, { recursive: true, force: true });
    await stack?.cleanup();
  });

  it("a 3-member cluster with 2-day certificates and renewBefore 1 day", async () => {
    clientDir = mkdtempSync(path.join(tmpdir(), "pe-renew-"));
    stack = await Stack.create("cluster-ts", "renew");
    await stack.setConfig("sshKey", readFileSync(bed.key, "utf8"), true);
    await stack.setConfig("clusterName", "renew");
    await stack.setConfig("version", V36);
    await stack.setConfig("sha256", bedTarballSha256(bed, V36));
    await stack.setConfig("downloadUrl", `${bed.mirror}/etcd/etcd-v{version}-linux-{arch}.tar.gz`);
    await stack.setConfig("members", membersConfig(bed, [0, 1, 2], ["m1", "m2", "m3"]));
    await stack.setConfig("certValidityHours", "48");
    await stack.setConfig("certRenewBeforeHours", "24");
    await stack.up();
    before = (await clusterOutputs(stack)) as Outputs;
    expect(before.certificates.map((c) => c.name).sort()).toEqual(
      [
        "admin",
        "apiserver-etcd-client",
        "ca",
        "healthcheck",
        "m1/peer",
        "m1/server",
        "m2/peer",
        "m2/server",
        "m3/peer",
        "m3/server",
      ].sort(),
    );
    for (const c of before.certificates.filter((c) => c.name !== "ca")) {
      const hours = (Date.parse(c.notAfter) - Date.now()) / 3_600_000;
      expect(hours).toBeGreaterThan(47);
      expect(hours).toBeLessThan(48.1);
    }
    pids = await Promise.all([1, 2, 3].map(etcdPid));
  });

  it("outside the window nothing changes: the preview shows no step and contacts no host", async () => {
    const sessions = await Promise.all([1, 2, 3].map(sshSessions));
    const plan = await stack.preview();
    expect((plan.steps ?? []).filter((s) => s.op !== "same").map((s) => s.urn)).toEqual([]);
    expect(await Promise.all([1, 2, 3].map(sshSessions))).toEqual(sessions.map((n) => n + 1));
  });

  it("with renewBefore 3 days, preview names every leaf it renews and why, and renews nothing else", async () => {
    await stack.setConfig("certRenewBeforeHours", "72");
    const run = await stack.pulumi(["preview", "--diff"]);
    // With --diff the engine prints its warnings on stderr.
    const text = run.stdout + run.stderr;
    const warnings = [
      ...text.matchAll(
        /\[certs\] (renew-[\w-]+): CN=[^,]+, serial [0-9A-F]+: expires \S+, in 4\d\.\d h, within renewBefore \(72 h\): due for renewal; pulumi up issues a new key and certificate/g,
      ),
    ];
    expect(new Set(warnings.map((m) => m[1])).size).toBe(LEAVES);
    expect(text).not.toMatch(/\[certs\] renew-ca:/);
    const plan = await stack.preview();
    const changed = (plan.steps ?? []).filter((s) => s.op !== "same");
    const replaced = changed.filter((s) => s.urn.includes("etcd:tls:Certificate")).map((s) => s.urn.split("::").pop()!);
    // A replacement shows as several steps of one resource (create-replacement, replace, delete-replaced).
    expect(new Set(replaced).size).toBe(LEAVES);
    expect(replaced).not.toContain("renew-ca");
    // Everything else that changes: the members' PKI files (a host script re-run) and the Member
    // resources recording the new admin certificate (no host action); nothing is replaced there.
    const others = changed.filter((s) => !s.urn.includes("etcd:tls:Certificate"));
    for (const s of others) expect(s.op).toBe("update");
    expect(new Set(others.map((s) => s.urn.split("::").pop()!))).toEqual(
      new Set(["renew-m1-pki", "renew-m2-pki", "renew-m3-pki", "renew-m1-member", "renew-m2-member", "renew-m3-member"]),
    );
    console.log(`preview: ${warnings.length} renewal warnings; steps ${JSON.stringify(plan.changeSummary)}`);
  });

  it("the up renews every leaf while 300 puts/s go on; etcd is not restarted", async () => {
    writer = new Writer(before.clientEndpoints, adminTls(before), 300);
    writer.start();
    await new Promise((r) => setTimeout(r, 3000));
    const t0 = Date.now();
    const up = await stack.up();
    upSeconds = (Date.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 3000));
    after = (await clusterOutputs(stack)) as Outputs;
    expect(up.stdout).toMatch(/\[etcd-pki\] .*wrote server\.crt server\.key peer\.crt peer\.key in \/etc\/etcd\/pki/);
    const old = new Map(before.certificates.map((c) => [c.name, c]));
    for (const c of after.certificates) {
      if (c.name === "ca") expect(c.serialNumber).toBe(old.get("ca")!.serialNumber);
      else {
        expect(c.serialNumber, c.name).not.toBe(old.get(c.name)!.serialNumber);
        expect(Date.parse(c.notAfter)).toBeGreaterThan(Date.parse(old.get(c.name)!.notAfter));
      }
    }
    expect(await Promise.all([1, 2, 3].map(etcdPid))).toEqual(pids);
    console.log(`renewal up: ${upSeconds.toFixed(1)} s`);
  });

  it("every member presents its new server and peer certificate (openssl s_client)", async () => {
    const cert = path.join(clientDir, "admin.crt");
    const key = path.join(clientDir, "admin.key");
    writeFileSync(cert, after.adminCertPem);
    writeFileSync(key, after.adminKeyPem, { mode: 0o600 });
    const serial = new Map(after.certificates.map((c) => [c.name, normalSerial(c.serialNumber)]));
    for (const [i, name] of ["m1", "m2", "m3"].entries()) {
      const ip = bed.hosts[i].ip;
      expect(presentedSerial(ip, 2379, cert, key), `${name} client port`).toBe(serial.get(`${name}/server`));
      expect(presentedSerial(ip, 2380, cert, key), `${name} peer port`).toBe(serial.get(`${name}/peer`));
      expect((await onHost(i + 1, "stat -c '%a %U %G' /etc/etcd/pki/server.key /etc/etcd/pki/peer.key")).trim().split("\n")).toEqual([
        "600 etcd etcd",
        "600 etcd etcd",
      ]);
      expect((await onHost(i + 1, "ls -A /etc/etcd/pki")).trim().split("\n").sort()).toEqual(
        ["ca.crt", "peer.crt", "peer.key", "server.crt", "server.key"].sort(),
      );
    }
    expect(await leaderCount(after)).toBe(1);
    // The new admin certificate works on a new connection; so does the old one until it expires (one CA).
    for (const tls of [adminTls(after), adminTls(before)])
      expect(await withClient(after.clientEndpoints, tls, async (c) => (await c.cluster.memberList({})).members.length)).toBe(3);
  });

  it("the writer saw no failed write, and every acknowledged key is there", async () => {
    const report = await writer.stop(after.clientEndpoints);
    console.log(`writer: ${report.acknowledged} acknowledged puts, ${report.retries} retries, ${report.failed} failed`);
    expect(report.failed).toBe(0);
    expect(report.missing).toEqual([]);
    expect(report.acknowledged).toBeGreaterThan(300 * upSeconds * 0.8);
  });

  it("refresh names the certificates inside the window; with the window back at 1 day nothing changes", async () => {
    const refresh = await stack.pulumi(["refresh", "--yes", "--suppress-progress"]);
    // The engine diffs every resource after reading it: the renewal warning is shown there too.
    const due = [...(refresh.stdout + refresh.stderr).matchAll(/\[certs\] (renew-[\w-]+): CN=[^:]*: expires .*due for renewal/g)];
    expect(new Set(due.map((m) => m[1])).size).toBe(LEAVES);
    await stack.setConfig("certRenewBeforeHours", "24");
    const plan = await stack.preview();
    expect((plan.steps ?? []).filter((s) => s.op !== "same").map((s) => s.urn)).toEqual([]);
    const pidsNow = await Promise.all([1, 2, 3].map(etcdPid));
    expect(pidsNow).toEqual(pids);
  });
});
