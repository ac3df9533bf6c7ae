// Issue 11, "each phase usable alone", from YAML through construct (one `pulumi up`, 3 bed hosts):
// a KubePki whose certificates come out as outputs (keys secret, no plaintext key in the state),
// which a user also distributes their own way; one KubeControlPlaneMember on a host, given those
// certificates as values, on an external 1-member EtcdCluster; a KubeLoadBalancer alone in front
// of it. Checked from outside: /readyz at the member's own URL and through the load balancer,
// kubectl as admin, a Secret encrypted at rest; destroy leaves nothing.
import { createPublicKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderKubeconfig } from "../../planning/kube/kubeconfig";
import { withClient } from "./cluster";
import { Bed, bedDown, bedLeftovers, bedUp, onHost, repo, run, Stack } from "./harness";
import { anonymousGet, kubectl, yamlKubeConfig } from "./kube";

const ETCD = "3.6.16";
const PRIVATE_KEY = /BEGIN [A-Z ]*PRIVATE KEY/;
let bed: Bed;
let stack: Stack;
let up: { stdout: string; stderr: string };
let upSeconds = 0;

interface PhaseOutputs {
  caCertPem: string;
  caKeyPem: string;
  caNotAfter: string;
  notBefore: string;
  adminCertPem: string;
  adminKeyPem: string;
  frontProxyCaCertPem: string;
  frontProxyClientCertPem: string;
  saPublicKeyPem: string;
  saKeyPem: string;
  etcdClientCertPem: string;
  memberUrl: string;
  advertiseAddress: string;
  apiserverCertNotAfter: string;
  lastStart: Record<string, string>;
  lbUrl: string;
  etcdEndpoints: string[];
  etcdCaCertPem: string;
  etcdAdminCertPem: string;
  etcdAdminKeyPem: string;
}
let out: PhaseOutputs;

beforeAll(async () => {
  bed = await bedUp(3);
  stack = await Stack.create("kube-phases-yaml", "phases");
  const config = yamlKubeConfig(bed, ETCD, true);
  for (const [k, v] of Object.entries(config)) await stack.setConfig(k, v);
  await stack.setConfig("sshKey", readFileSync(bed.key, "utf8"), true);
  await stack.pulumi(["package", "add", `${repo}/bin/pulumi-resource-etcd`]);
  const started = Date.now();
  up = await stack.pulumi(["up", "--yes", "--skip-preview"], { timeoutMs: 900_000 });
  upSeconds = (Date.now() - started) / 1000;
  console.log(`[phases] pulumi up: ${upSeconds.toFixed(1)} s`);
  out = (await stack.outputs()) as unknown as PhaseOutputs;
}, 1_000_000);

afterAll(async () => {
  await stack?.cleanup();
  await bedDown();
}, 600_000);

/** Writes a file on bed host i (1-based) from stdin, 0600: how a user might copy certificates by hand. */
async function writeOnHost(i: number, file: string, content: string): Promise<void> {
  const r = await run(
    "bash",
    [path.join(repo, "scripts", "bed.sh"), "ssh", String(i), `umask 077 && mkdir -p "$(dirname ${file})" && cat > ${file}`],
    {
      stdin: content,
      timeoutMs: 60_000,
    },
  );
  if (r.code !== 0) throw new Error(`writing ${file} on host ${i} failed: ${r.stderr}`);
}

const adminKubeconfig = (server: string) =>
  renderKubeconfig({
    clusterName: "phases",
    server,
    caCertPem: out.caCertPem,
    user: "kubernetes-admin",
    clientCertPem: out.adminCertPem,
    clientKeyPem: out.adminKeyPem,
  });

describe("the phases of a control plane, each used alone, declared from YAML", () => {
  it("KubePki alone: its certificates are outputs that chain to its CAs; keys are secrets, never plaintext in the state or the output", async () => {
    const ca = new X509Certificate(out.caCertPem);
    const admin = new X509Certificate(out.adminCertPem);
    expect(admin.checkIssued(ca) && admin.verify(ca.publicKey)).toBe(true);
    expect(admin.subject).toMatch(/O=system:masters/);
    expect(admin.subject).toMatch(/CN=kubernetes-admin/);
    const frontProxyCa = new X509Certificate(out.frontProxyCaCertPem);
    expect(new X509Certificate(out.frontProxyClientCertPem).verify(frontProxyCa.publicKey)).toBe(true);
    expect(new X509Certificate(out.etcdClientCertPem).verify(new X509Certificate(out.etcdCaCertPem).publicKey)).toBe(true);
    expect(createPublicKey(out.saKeyPem).export({ type: "spki", format: "pem" }).toString().trim()).toBe(out.saPublicKeyPem.trim());
    expect(Date.parse(out.caNotAfter)).toBe(Date.parse(ca.validTo));
    expect(Date.parse(out.notBefore)).toBeLessThanOrEqual(Date.now());

    const shown = JSON.parse((await stack.pulumi(["stack", "output", "--json"])).stdout) as Record<string, unknown>;
    for (const k of ["caKeyPem", "adminKeyPem", "saKeyPem", "etcdAdminKeyPem"]) expect(shown[k], k).toBe("[secret]");
    expect(shown.saPublicKeyPem, "a public key is no secret").toMatch(/BEGIN PUBLIC KEY/);
    expect(JSON.stringify(shown)).not.toMatch(PRIVATE_KEY);
    expect(up.stdout + up.stderr).not.toMatch(PRIVATE_KEY);
    expect(await stack.exportState()).not.toMatch(PRIVATE_KEY);
  });

  it("the user distributes those certificates their own way: copied by hand to another host, they reach the API there", async () => {
    // Host 1 runs only etcd: the package put no Kubernetes certificate on it.
    const dir = "/root/my-kube-certs";
    await writeOnHost(1, `${dir}/ca.crt`, out.caCertPem);
    await writeOnHost(1, `${dir}/admin.crt`, out.adminCertPem);
    await writeOnHost(1, `${dir}/admin.key`, out.adminKeyPem);
    try {
      const body = await onHost(
        1,
        `curl -sS --fail --cacert ${dir}/ca.crt --cert ${dir}/admin.crt --key ${dir}/admin.key ${out.lbUrl}/api/v1/namespaces/kube-system`,
      );
      expect(JSON.parse(body).metadata.name).toBe("kube-system");
    } finally {
      await onHost(1, `rm -rf ${dir}`);
    }
  });

  it("one KubeControlPlaneMember with those certificates, on an external etcd: /readyz at its own URL, kubectl as admin, Secrets encrypted at rest", async () => {
    expect(out.memberUrl).toBe(`https://${bed.hosts[1].ip}:6443`);
    expect(out.advertiseAddress).toBe(bed.hosts[1].ip);
    expect(await anonymousGet(`${out.memberUrl}/readyz`, out.caCertPem)).toBe("ok");
    expect(Number(out.lastStart.apiserverReadySeconds)).toBeGreaterThan(0);
    expect(Date.parse(out.apiserverCertNotAfter)).toBeGreaterThan(Date.now());

    const kc = adminKubeconfig(out.memberUrl);
    const readyz = (await kubectl(kc, ["get", "--raw", "/readyz?verbose"])).stdout;
    expect(readyz).toMatch(/readyz check passed/);
    expect(readyz).not.toMatch(/\[-\]/);
    await kubectl(kc, ["create", "namespace", "phases"]);
    await kubectl(kc, ["-n", "phases", "create", "secret", "generic", "s1", "--from-literal=password=phases-plaintext"]);
    const raw = await withClient(
      out.etcdEndpoints,
      { caCertPem: out.etcdCaCertPem, certPem: out.etcdAdminCertPem, keyPem: out.etcdAdminKeyPem },
      (c) => c.get("/registry/secrets/phases/s1").buffer(),
    );
    expect(raw, "the Secret is in the external etcd").not.toBeNull();
    expect(raw!.subarray(0, 8).toString()).toBe("k8s:enc:");
    expect(raw!.includes(Buffer.from("phases-plaintext"))).toBe(false);
    // The controller-manager and scheduler run and hold their leases.
    for (const lease of ["kube-controller-manager", "kube-scheduler"]) {
      let holder = "";
      for (let i = 0; i < 30 && !holder; i++) {
        holder = (
          await kubectl(kc, ["-n", "kube-system", "get", "lease", lease, "-o", "jsonpath={.spec.holderIdentity}"], { allowFailure: true })
        ).stdout;
        if (!holder) await new Promise((r) => setTimeout(r, 1000));
      }
      expect(holder, `${lease} lease`).not.toBe("");
    }
  });

  it("a KubeLoadBalancer alone in front of it: /readyz and kubectl through the load balancer", async () => {
    expect(out.lbUrl).toBe(`https://${bed.hosts[2].ip}:6443`);
    expect(await anonymousGet(`${out.lbUrl}/readyz`, out.caCertPem)).toBe("ok");
    const namespaces = (await kubectl(adminKubeconfig(out.lbUrl), ["get", "namespaces", "-o", "name"])).stdout;
    expect(namespaces).toMatch(/namespace\/phases/);
    expect(await onHost(3, "systemctl is-active haproxy")).toBe("active\n");
    expect(await onHost(3, "grep -c '^  server pcp1 ' /etc/haproxy/haproxy.cfg")).toBe("1\n");
  });

  it("pulumi destroy leaves no unit, no Kubernetes files and no haproxy", async () => {
    const started = Date.now();
    await stack.destroy();
    console.log(`[phases] pulumi destroy: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    for (const h of [1, 2]) expect(await onHost(h, "ls /etc/systemd/system | grep -c '^kube-\\|^etcd' || true"), `host ${h}`).toBe("0\n");
    expect(await onHost(2, "ls -A /etc/kubernetes 2>/dev/null | wc -l; ls /opt/kubernetes 2>/dev/null | wc -l")).toBe("0\n0\n");
    expect(await onHost(3, "command -v haproxy || echo none")).toBe("none\n");
  }, 600_000);
});

describe("teardown", () => {
  it("leaves no namespace, mount, link, nspawn or server behind", async () => {
    await bedDown();
    expect(bedLeftovers()).toEqual([]);
  });
});
