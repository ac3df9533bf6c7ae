// Issue 10: EtcdCA fully usable from YAML. An existing CA (made here) is adopted through EtcdCA, with
// its key as secret config, and handed to a 1-member EtcdCluster as { certPem, privateKeyPem }. The
// member's server certificate must chain to that CA (an mTLS client that trusts only it connects),
// and the CA's key must stay a secret: shown as [secret] in the stack outputs, absent from the output.
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import * as tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueCertificate } from "../../provider/pki/certificates";
import { bedTarballSha256, withClient } from "./cluster";
import { Bed, bedDown, bedLeftovers, bedUp, repo, Stack } from "./harness";

const V36 = "3.6.16";
let bed: Bed;
let stack: Stack;
let ca: { certPem: string; privateKeyPem: string };

beforeAll(async () => {
  bed = await bedUp(1);
  ca = await issueCertificate({ commonName: "existing etcd CA", isCa: true, keyAlgorithm: "ECDSA-P256", validityHours: 48 });
  stack = await Stack.create("ca-yaml", "ca");
  await stack.setConfig("sshKey", readFileSync(bed.key, "utf8"), true);
  await stack.setConfig("host", bed.hosts[0].ip);
  await stack.setConfig("hostKey", bed.hosts[0].hostKey);
  await stack.setConfig("sha256", bedTarballSha256(bed, V36));
  await stack.setConfig("downloadUrl", `${bed.mirror}/etcd/etcd-v{version}-linux-{arch}.tar.gz`);
  // On stdin: a PEM starts with "-", which pulumi would take for a flag on the command line.
  await stack.pulumi(["config", "set", "caCertPem"], { stdin: ca.certPem });
  await stack.setConfig("caKeyPem", ca.privateKeyPem, true);
  await stack.pulumi(["package", "add", `${repo}/bin/pulumi-resource-etcd`]);
});

afterAll(async () => {
  await stack?.cleanup();
  await bedDown();
});

/** The certificate a TLS server presents (no client certificate needed for the handshake's first flight). */
function serverCertificate(endpoint: string, caPem: string): Promise<X509Certificate> {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: url.hostname, port: Number(url.port), ca: caPem, rejectUnauthorized: true }, () => {
      const raw = socket.getPeerX509Certificate();
      socket.end();
      if (raw) resolve(raw);
      else reject(new Error("no peer certificate"));
    });
    socket.on("error", reject);
  });
}

describe("EtcdCA with an existing CA, handed to an EtcdCluster, from YAML", () => {
  let up: { stdout: string; stderr: string };

  it("pulumi up adopts the CA and builds a healthy cluster whose certificates chain to it", async () => {
    up = await stack.up();
    const out = await stack.outputs();
    // Pulumi config drops the PEM's trailing newline: compare the PEM blocks.
    expect((out.caCertPem as string).trim()).toBe(ca.certPem.trim());
    expect((out.clusterCaCertPem as string).trim()).toBe(ca.certPem.trim());
    expect((out.privateKeyPem as string).trim()).toBe(ca.privateKeyPem.trim());
    expect(Date.parse(out.caNotAfter as string)).toBe(Date.parse(new X509Certificate(ca.certPem).validTo));

    // Only the adopted CA as the trust root: the member's server certificate is signed by it.
    const endpoints = out.clientEndpoints as string[];
    expect(endpoints).toHaveLength(1);
    const server = await serverCertificate(endpoints[0], ca.certPem);
    const root = new X509Certificate(ca.certPem);
    expect(server.checkIssued(root)).toBe(true);
    expect(server.verify(root.publicKey)).toBe(true);
    const admin = new X509Certificate(out.adminCertPem as string);
    expect(admin.checkIssued(root)).toBe(true);

    // mTLS with the admin certificate, trusting only that CA.
    const tlsCreds = { caCertPem: ca.certPem, certPem: out.adminCertPem as string, keyPem: out.adminKeyPem as string };
    await withClient(endpoints, tlsCreds, async (c) => {
      await c.put("ca-yaml").value("adopted");
      expect(await c.get("ca-yaml").string()).toBe("adopted");
    });
  });

  it("the CA's key is a secret output and no private key reaches the output or the state", async () => {
    const shown = JSON.parse((await stack.pulumi(["stack", "output", "--json"])).stdout) as Record<string, unknown>;
    expect(shown.privateKeyPem).toBe("[secret]");
    expect(shown.adminKeyPem).toBe("[secret]");
    expect(JSON.stringify(shown)).not.toMatch(/PRIVATE KEY/);
    expect(up.stdout + up.stderr).not.toMatch(/PRIVATE KEY/);
    expect(await stack.exportState()).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY/);
  });

  it("a second preview plans no change", async () => {
    const plan = await stack.preview();
    expect(Object.keys(plan.changeSummary ?? {})).toEqual(["same"]);
  });

  it("pulumi destroy removes everything", async () => {
    await stack.destroy();
  });
});

describe("teardown", () => {
  it("leaves no namespace, mount, link, nspawn or server behind", async () => {
    await bedDown();
    expect(bedLeftovers()).toEqual([]);
  });
});
