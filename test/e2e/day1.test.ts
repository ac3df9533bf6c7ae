// Issue 3 (Day 1) end to end: EtcdCluster from `pulumi up` on bed hosts, checked from outside.
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { Etcd3 } from "etcd3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueCertificate } from "../../provider/pki/certificates";
import {
  adminTls,
  bedTarballSha256,
  clusterOutputs,
  ClusterOutputs,
  leaderCount,
  membersConfig,
  releaseBinarySha256,
  sshSessions,
  withClient,
} from "./cluster";
import { Bed, bedDown, bedLeftovers, bedUp, onHost, repo, Stack } from "./harness";

const V36 = "3.6.16";
const V35 = "3.5.35";
const PRIVATE_KEY = /BEGIN [A-Z ]*PRIVATE KEY/;
let bed: Bed;

beforeAll(async () => {
  bed = await bedUp(4);
});

afterAll(async () => {
  await bedDown();
});

const tarball = (v: string) => `etcd-v${v}-linux-amd64.tar.gz`;

async function clusterStack(name: string, members: string, version: string, extra: Record<string, string> = {}): Promise<Stack> {
  const stack = await Stack.create("cluster-ts", name);
  await stack.setConfig("sshKey", readFileSync(bed.key, "utf8"), true);
  await stack.setConfig("members", members);
  await stack.setConfig("clusterName", name);
  await stack.setConfig("version", version);
  // The bed's tarballs are built from source, so they carry their own checksums (given as `sha256`).
  await stack.setConfig("sha256", bedTarballSha256(bed, version));
  await stack.setConfig("downloadUrl", `${bed.mirror}/etcd/etcd-v{version}-linux-{arch}.tar.gz`);
  for (const [k, v] of Object.entries(extra)) await stack.setConfig(k, v);
  return stack;
}

async function expectWorkingCluster(out: ClusterOutputs, names: string[]) {
  const key = `day1/${Date.now()}`;
  await withClient(out.clientEndpoints, adminTls(out), async (c) => {
    await c.put(key).value("from the test");
    expect(await c.get(key).string()).toBe("from the test");
    const { members } = await c.cluster.memberList({});
    expect(members.map((m) => m.name).sort()).toEqual([...names].sort());
    for (const m of members) {
      const declared = out.memberList.find((d) => d.name === m.name)!;
      expect(m.peerURLs).toEqual(declared.peerUrls);
      expect(m.clientURLs).toEqual(declared.clientUrls);
      expect(m.isLearner).toBe(false);
    }
  });
  expect(await leaderCount(out)).toBe(1);
}

async function refused(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("the request was accepted");
}

describe("3-member cluster, etcd 3.6", () => {
  let stack: Stack;
  let out: ClusterOutputs;
  const output: string[] = [];
  const names = ["alpha", "bravo", "charlie"];

  beforeAll(async () => {
    stack = await clusterStack("three", membersConfig(bed, [0, 1, 2], names), V36);
  });
  afterAll(() => stack?.cleanup());

  it("pulumi up bootstraps a healthy cluster: put/get over mTLS, member list as declared, one leader; one SSH connection per host", async () => {
    const before = await Promise.all([1, 2, 3].map(sshSessions));
    const up = await stack.up();
    output.push(up.stdout, up.stderr);
    // Every step on a host (preflight, install, PKI, service) is a channel on one shared connection:
    // one session per host from the provider, plus the one that counts.
    const after = await Promise.all([1, 2, 3].map(sshSessions));
    expect(after).toEqual(before.map((n) => n + 2));
    expect(up.stdout).toMatch(/\[etcd-install\] 10\.77\.0\.\d+: done \(/);
    expect(up.stdout).toMatch(/\[health\] three: healthy: 3 voter\(s\), leader (alpha|bravo|charlie)/);
    out = await clusterOutputs(stack);
    expect(out.clientEndpoints).toEqual(bed.hosts.slice(0, 3).map((h) => `https://${h.ip}:2379`));
    await expectWorkingCluster(out, names);
  });

  it("refuses a plaintext client, a TLS client without a certificate, and a certificate from another CA", async () => {
    const endpoint = out.clientEndpoints[0];
    const plain = new Etcd3({
      hosts: endpoint.replace("https:", "http:"),
      dialTimeout: 3000,
      defaultCallOptions: { deadline: Date.now() + 5000 },
    });
    expect(
      await refused(() =>
        plain
          .get("x")
          .string()
          .finally(() => plain.close()),
      ),
    ).toBeTruthy();
    const anonymous = new Etcd3({
      hosts: endpoint,
      credentials: { rootCertificate: Buffer.from(out.caCertPem) },
      defaultCallOptions: { deadline: Date.now() + 5000 },
    });
    expect(
      await refused(() =>
        anonymous
          .get("x")
          .string()
          .finally(() => anonymous.close()),
      ),
    ).toBeTruthy();
    const otherCa = await issueCertificate({ commonName: "other CA", isCa: true, keyAlgorithm: "ECDSA-P256", validityHours: 24 });
    const stranger = await issueCertificate({
      commonName: "etcd-admin",
      isCa: false,
      keyAlgorithm: "ECDSA-P256",
      usages: ["client"],
      validityHours: 24,
      signer: { certPem: otherCa.certPem, privateKeyPem: otherCa.privateKeyPem },
    });
    const msg = await refused(() =>
      withClient([endpoint], { caCertPem: out.caCertPem, certPem: stranger.certPem, keyPem: stranger.privateKeyPem }, (c) =>
        c.get("x").string(),
      ),
    );
    expect(msg).not.toMatch(/deadline/i); // refused in the handshake, not timed out
  });

  it("on each host: etcd runs as etcd, keys are 0600 etcd:etcd, the unit is enabled, the binary is the release's, metrics on 127.0.0.1 only", async () => {
    const releaseSha = releaseBinarySha256(path.join(bed.etcdDist, tarball(V36)), V36);
    expect(out.etcdSha256).toEqual([releaseSha, releaseSha, releaseSha]);
    for (let i = 1; i <= 3; i++) {
      expect((await onHost(i, "ps -o user= -C etcd")).trim()).toBe("etcd");
      expect((await onHost(i, "stat -c '%a %U:%G' /etc/etcd/pki/server.key /etc/etcd/pki/peer.key")).trim().split("\n")).toEqual([
        "600 etcd:etcd",
        "600 etcd:etcd",
      ]);
      expect((await onHost(i, "systemctl is-enabled etcd")).trim()).toBe("enabled");
      expect((await onHost(i, "sha256sum $(readlink -f /usr/local/bin/etcd) | cut -d' ' -f1")).trim()).toBe(releaseSha);
      const listeners = (await onHost(i, "ss -Hltn | awk '{print $4}'")).split("\n");
      expect(listeners).toContain("127.0.0.1:2381");
      expect(listeners.filter((l) => l.endsWith(":2381"))).toEqual(["127.0.0.1:2381"]);
      expect(await onHost(i, "grep -E '^(initial-cluster-token|tls-min-version|strict-reconfig-check):' /etc/etcd/etcd.conf.yml")).toMatch(
        /three-[0-9a-f]{16}[\s\S]*TLS1.2|TLS1.2/,
      );
      expect(await onHost(i, "grep -c 'client-cert-auth: true' /etc/etcd/etcd.conf.yml")).toBe("2\n");
    }
  });

  it("a second pulumi up changes nothing and runs no remote command; preview lists no change", async () => {
    const before = await Promise.all([1, 2, 3].map(sshSessions));
    const up = await stack.up();
    output.push(up.stdout, up.stderr);
    // 30 resources of the cluster and its stack, and the cluster's version Rollout.
    expect(up.stdout).toMatch(/31 unchanged/);
    expect(up.stdout).not.toMatch(/created|updated|deleted|replaced/);
    const after = await Promise.all([1, 2, 3].map(sshSessions));
    // Each count includes the session that counted: exactly one more, nothing from pulumi.
    expect(after).toEqual(before.map((n) => n + 1));
    const plan = await stack.preview();
    expect(new Set((plan.steps ?? []).map((s) => s.op))).toEqual(new Set(["same"]));
    expect(Object.keys(plan.changeSummary ?? {})).toEqual(["same"]);
  });

  it("no private key PEM in the state file or in the pulumi up output", async () => {
    const state = await stack.exportState();
    expect(state).not.toMatch(PRIVATE_KEY);
    expect(state).toContain("ciphertext");
    for (const text of output) expect(text).not.toMatch(PRIVATE_KEY);
  });

  it("pulumi destroy stops every member, archives each data dir and removes units and files", async () => {
    const down = await stack.destroy();
    expect(down.stdout).toMatch(/archived data dir to \/var\/lib\/etcd\.archived-/);
    for (let i = 1; i <= 3; i++) {
      expect((await onHost(i, "pgrep -x etcd || echo none")).trim()).toBe("none");
      expect((await onHost(i, "ls -d /var/lib/etcd.archived-*/member | wc -l")).trim()).toBe("1");
      expect(
        (
          await onHost(i, "ls /etc/systemd/system/etcd.service /etc/etcd /opt/etcd /usr/local/bin/etcd 2>&1 | grep -c 'No such file'")
        ).trim(),
      ).toBe("4");
    }
  });
});

describe("tampered tarball", () => {
  let stack: Stack;
  afterAll(async () => {
    await stack?.cleanup();
    rmSync(path.join(path.dirname(bed.etcdDist), "tampered"), { recursive: true, force: true });
  });

  it("pulumi up fails with a checksum message and installs nothing", async () => {
    const tampered = path.join(path.dirname(bed.etcdDist), "tampered");
    mkdirSync(tampered, { recursive: true });
    copyFileSync(path.join(bed.etcdDist, tarball(V36)), path.join(tampered, tarball(V36)));
    appendFileSync(path.join(tampered, tarball(V36)), "tampered");
    stack = await clusterStack("tampered", membersConfig(bed, [3], ["delta"]), V36, {
      downloadUrl: `${bed.mirror}/tampered/etcd-v{version}-linux-{arch}.tar.gz`,
    });
    const up = await stack.pulumi(["up", "--yes", "--skip-preview", "--suppress-progress"], { allowFailure: true });
    expect(up.code).not.toBe(0);
    expect(up.stdout).toMatch(/checksum mismatch for etcd 3\.6\.16 \(amd64\): expected sha256 [0-9a-f]{64}, got [0-9a-f]{64}/);
    expect(up.stdout).not.toMatch(/etcd-service/);
    const left = await onHost(
      4,
      "ls /opt/etcd /usr/local/bin/etcd /etc/etcd /var/lib/etcd 2>&1 | grep -c 'No such file'; getent passwd etcd || echo no-user",
    );
    expect(left.trim().split("\n")).toEqual(["4", "no-user"]);
    rmSync(tampered, { recursive: true, force: true });
  });
});

describe("1-member cluster, etcd 3.5, IPv6 addresses", () => {
  let stack: Stack;
  afterAll(() => stack?.cleanup());

  it("pulumi up bootstraps it from a tarball already on the host (air-gapped), reachable at a bracketed IPv6 URL", async () => {
    // The tarball is put on the host beforehand; the up must not download anything.
    await onHost(4, `curl -fsS -o /root/${tarball(V35)} ${bed.mirror}/etcd/${tarball(V35)}`);
    stack = await clusterStack(
      "solo",
      membersConfig(bed, [3], ["echo"], (h) => [h.ip6]),
      V35,
      {
        purgeDataOnDestroy: "true",
        tarballPath: "/root/etcd-v{version}-linux-{arch}.tar.gz",
        downloadUrl: "http://192.0.2.1/unreachable/etcd-v{version}-linux-{arch}.tar.gz",
      },
    );
    const up = await stack.up();
    expect(up.stdout).toMatch(/using tarball \/root\/etcd-v3\.5\.35-linux-amd64\.tar\.gz from this host/);
    expect(up.stdout).not.toMatch(/downloading/);
    const out = await clusterOutputs(stack);
    expect(out.clientEndpoints).toEqual([`https://[${bed.hosts[3].ip6}]:2379`]);
    expect(out.memberList[0].peerUrls).toEqual([`https://[${bed.hosts[3].ip6}]:2380`]);
    await expectWorkingCluster(out, ["echo"]);
    expect((await onHost(4, "/usr/local/bin/etcd --version | head -1")).trim()).toBe(`etcd Version: ${V35}`);
  });

  it("with purgeDataOnDestroy, destroy deletes the data dir instead of archiving it", async () => {
    const down = await stack.destroy();
    expect(down.stdout).toMatch(/purged data dir \/var\/lib\/etcd/);
    expect((await onHost(4, "ls -d /var/lib/etcd* 2>/dev/null | wc -l")).trim()).toBe("0");
  });
});

describe("EtcdCluster from a YAML program, through the package schema", () => {
  let stack: Stack;
  afterAll(() => stack?.cleanup());

  it("pulumi up from YAML bootstraps a working member with the tuning given", async () => {
    stack = await Stack.create("cluster-yaml", "yaml");
    await stack.setConfig("sshKey", readFileSync(bed.key, "utf8"), true);
    await stack.setConfig("host", bed.hosts[3].ip);
    await stack.setConfig("hostKey", bed.hosts[3].hostKey);
    await stack.setConfig("sha256", bedTarballSha256(bed, V36));
    await stack.setConfig("downloadUrl", `${bed.mirror}/etcd/etcd-v{version}-linux-{arch}.tar.gz`);
    await stack.pulumi(["package", "add", `${repo}/bin/pulumi-resource-etcd`]);
    await stack.up();
    const out = await clusterOutputs(stack);
    await expectWorkingCluster(out, ["yaml-1"]);
    expect(await onHost(4, "grep -E '^(snapshot-count|auto-compaction-mode|auto-compaction-retention):' /etc/etcd/etcd.conf.yml")).toBe(
      "snapshot-count: 5000\nauto-compaction-mode: 'periodic'\nauto-compaction-retention: '1h'\n",
    );
  });

  it("scaling 1 → 3 from YAML adds two learners one after another, and leaves the first member running", async () => {
    const pid = (await onHost(4, "pgrep -x etcd")).trim();
    for (const [k, i] of [
      ["host2", 0],
      ["host3", 1],
    ] as const) {
      await stack.setConfig(k, bed.hosts[i].ip);
      await stack.setConfig(`${k}Key`, bed.hosts[i].hostKey);
    }
    const manifest = path.join(stack.dir, "Pulumi.yaml");
    const more = [2, 3]
      .map(
        (n) =>
          `        - name: yaml-${n}\n          connection: { host: "\${host${n}}", user: root, privateKey: "\${sshKey}", hostKey: "\${host${n}Key}" }\n`,
      )
      .join("");
    writeFileSync(manifest, readFileSync(manifest, "utf8").replace(/( {6}members:\n(?:.*\n){2})/, `$1${more}`));
    const up = await stack.up();
    expect(up.stdout).toMatch(
      /\[member-add\] yaml-[23]: adding as a learner[\s\S]*\[member-promote\] yaml-[23]: promoted to voter[\s\S]*\[member-add\] yaml-[23]: adding as a learner/,
    );
    const out = await clusterOutputs(stack);
    await expectWorkingCluster(out, ["yaml-1", "yaml-2", "yaml-3"]);
    expect((await onHost(4, "pgrep -x etcd")).trim()).toBe(pid);
    await stack.destroy();
    expect((await onHost(4, "pgrep -x etcd || echo none")).trim()).toBe("none");
  });
});

describe("EtcdMember alone, with certificates the user supplies", () => {
  let stack: Stack;
  afterAll(() => stack?.cleanup());

  it("runs a member on the user's PKI: its server certificate is the one given, and the user's client certificate works", async () => {
    const host = bed.hosts[3];
    const ca = await issueCertificate({ commonName: "user CA", isCa: true, keyAlgorithm: "RSA-2048", validityHours: 48 });
    const signer = { certPem: ca.certPem, privateKeyPem: ca.privateKeyPem };
    const leaf = (cn: string, usages: ("server" | "client")[]) =>
      issueCertificate({
        commonName: cn,
        isCa: false,
        keyAlgorithm: "RSA-2048",
        validityHours: 48,
        usages,
        ipAddresses: [host.ip, "127.0.0.1"],
        signer,
      });
    const [server, peer, client] = await Promise.all([
      leaf("lone", ["server", "client"]),
      leaf("lone", ["server", "client"]),
      leaf("user", ["client"]),
    ]);
    stack = await Stack.create("member-ts", "member");
    await stack.setConfig("sshKey", readFileSync(bed.key, "utf8"), true);
    await stack.setConfig("host", host.ip);
    await stack.setConfig("hostKey", host.hostKey);
    await stack.setConfig("version", V36);
    await stack.setConfig("sha256", bedTarballSha256(bed, V36));
    await stack.setConfig("downloadUrl", `${bed.mirror}/etcd/etcd-v{version}-linux-{arch}.tar.gz`);
    const certificates = {
      caCertPem: ca.certPem,
      serverCertPem: server.certPem,
      serverKeyPem: server.privateKeyPem,
      peerCertPem: peer.certPem,
      peerKeyPem: peer.privateKeyPem,
    };
    await stack.setConfig("certificates", JSON.stringify(certificates), true);
    const up = await stack.up();
    expect(up.stdout).not.toMatch(PRIVATE_KEY);
    expect((await onHost(4, "cat /etc/etcd/pki/server.crt")).trim()).toBe(server.certPem.trim());
    const tls = { caCertPem: ca.certPem, certPem: client.certPem, keyPem: client.privateKeyPem };
    await withClient([`https://${host.ip}:2379`], tls, async (c) => {
      await c.put("alone").value("yes");
      expect(await c.get("alone").string()).toBe("yes");
    });
    expect(await stack.exportState()).not.toMatch(PRIVATE_KEY);
    await stack.destroy();
  });
});

describe("teardown", () => {
  it("leaves nothing of the bed behind", async () => {
    await bedDown();
    expect(bedLeftovers()).toEqual([]);
  });
});
