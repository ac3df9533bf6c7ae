// Issue 11 end to end: KubeControlPlane from `pulumi up` on bed hosts (real binaries from the bed's
// dl.k8s.io-shaped mirror, haproxy from Debian packages), checked from outside with kubectl through
// the load balancer and etcd3 over mTLS.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueCertificate } from "../../provider/pki/certificates";
import { sshSessions, withClient } from "./cluster";
import { Bed, bedDown, bedUp, onHost, repo, Stack } from "./harness";
import {
  adminCredentials,
  anonymousGet,
  httpsGet,
  kubeOutputs,
  kubeTsStack,
  KubeOutputs,
  kubectl,
  KUBE_VERSION,
  nodeCsrPem,
  reader,
  tokenKubeconfig,
  validClusterInfoSignature,
  yamlKubeConfig,
} from "./kube";

const ETCD = "3.6.16";
// js-yaml comes with @pulumi/pulumi: the ConfigMaps' YAML as kubeadm reads it.
const yaml = createRequire(__filename)("js-yaml") as { load(text: string): unknown };
let bed: Bed;

beforeAll(async () => {
  bed = await bedUp(7);
}, 300_000);

afterAll(async () => {
  await bedDown();
});

const hostsConfig = (indexes: number[], names: string[]) =>
  JSON.stringify(indexes.map((i, k) => ({ name: names[k], ip: bed.hosts[i].ip, hostKey: bed.hosts[i].hostKey })));

const kubeStack = (name: string, config: Record<string, string>) => kubeTsStack(bed, name, ETCD, config);

/** The checks both topologies must pass, through the endpoint with the admin kubeconfig. */
async function expectWorkingControlPlane(out: KubeOutputs, tag: string) {
  const kc = out.adminKubeconfig;
  const ns = `e2e-${tag}`;
  await kubectl(kc, ["create", "namespace", ns]);
  const configMaps = Array.from({ length: 100 }, (_, i) => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: `cm-${i}`, namespace: ns },
    data: { i: String(i) },
  }));
  await kubectl(kc, ["apply", "-f", "-"], { stdin: JSON.stringify({ apiVersion: "v1", kind: "List", items: configMaps }) });
  await kubectl(kc, ["-n", ns, "create", "secret", "generic", "s1", "--from-literal=password=hunter2-plaintext"]);
  const listed = JSON.parse((await kubectl(kc, ["-n", ns, "get", "configmaps", "-o", "json"])).stdout) as {
    items: { metadata: { name: string } }[];
  };
  expect(listed.items.filter((c) => c.metadata.name.startsWith("cm-")).length).toBe(100);

  // Encrypted at rest: the Secret as etcd stores it.
  const raw = await withClient(
    out.etcdEndpoints,
    { caCertPem: out.etcdCaCertPem, certPem: out.etcdAdminCertPem, keyPem: out.etcdAdminKeyPem },
    (c) => c.get(`/registry/secrets/${ns}/s1`).buffer(),
  );
  expect(raw, "the Secret is in etcd").not.toBeNull();
  expect(raw!.subarray(0, 8).toString()).toBe("k8s:enc:");
  expect(raw!.includes(Buffer.from("hunter2-plaintext"))).toBe(false);
  const cm = await withClient(
    out.etcdEndpoints,
    { caCertPem: out.etcdCaCertPem, certPem: out.etcdAdminCertPem, keyPem: out.etcdAdminKeyPem },
    (c) => c.get(`/registry/configmaps/${ns}/cm-7`).buffer(),
  );
  expect(cm!.subarray(0, 8).toString()).not.toBe("k8s:enc:"); // only Secrets are encrypted

  const readyz = (await kubectl(kc, ["get", "--raw", "/readyz?verbose"])).stdout;
  expect(readyz).toMatch(/readyz check passed/);
  expect(readyz).not.toMatch(/\[-\]/);
  for (const lease of ["kube-controller-manager", "kube-scheduler"]) {
    const holder = (await kubectl(kc, ["-n", "kube-system", "get", "lease", lease, "-o", "jsonpath={.spec.holderIdentity}"])).stdout;
    expect(holder, `${lease} lease`).not.toBe("");
  }
  expect(out.leaders.controllerManager).not.toBe("");
  expect(out.leaders.scheduler).not.toBe("");
}

/** kube-system/NAME's data as kubeadm join reads it: with the bootstrap token, through the endpoint. */
async function asJoiningNode(out: KubeOutputs, configMap: string): Promise<Record<string, string>> {
  const r = await kubectl(tokenKubeconfig(out, out.joinToken), ["-n", "kube-system", "get", "configmap", configMap, "-o", "json"]);
  return (JSON.parse(r.stdout) as { data: Record<string, string> }).data;
}

interface AuditEvent {
  stage: string;
  requestURI: string;
  verb: string;
  user: { username: string; groups?: string[] };
  objectRef?: { resource?: string; name?: string };
  responseStatus?: { code?: number };
  [k: string]: unknown;
}

describe("external etcd (3 hosts), 2 control-plane hosts, a dedicated haproxy host", () => {
  let stack: Stack;
  let out: KubeOutputs;
  let upOutput = "";

  beforeAll(async () => {
    stack = await kubeStack("external", {
      etcdHosts: hostsConfig([0, 1, 2], ["e1", "e2", "e3"]),
      cpHosts: hostsConfig([3, 4], ["cp1", "cp2"]),
      lbHosts: hostsConfig([5], ["lb1"]),
      audit: "true",
      joinTokenTtlHours: "24",
    });
    upOutput = (await stack.pulumi(["up", "--yes", "--skip-preview"], { timeoutMs: 1_500_000 })).stdout;
    out = await kubeOutputs(stack);
  }, 1_600_000);

  // The hosts are used again by the next suites: nothing of this one may stay, whatever failed.
  afterAll(async () => {
    await stack?.pulumi(["destroy", "--yes", "--skip-preview"], { allowFailure: true, timeoutMs: 900_000 });
  }, 1_000_000);

  it("serves the API through the load balancer: objects, encrypted Secrets, /readyz, both leases", async () => {
    expect(out.endpoint).toBe(`https://${bed.hosts[5].ip}:6443`);
    await expectWorkingControlPlane(out, "external");
    expect(Object.keys(out.certificatesNotAfter).sort()).toEqual(
      [
        "admin",
        "apiserver-etcd-client",
        "apiserver-kubelet-client",
        "apiserver/cp1",
        "apiserver/cp2",
        "ca",
        "controller-manager",
        "front-proxy-ca",
        "front-proxy-client",
        "scheduler",
      ].sort(),
    );
    // Progress is visible, with the host steps' prefixes.
    expect(upOutput).toMatch(/kube-apiserver ready after/);
  });

  it("writes an audit log on the apiserver hosts: the admin's namespace creation is in it, health probes are not", async () => {
    // The first test created namespace e2e-external through the load balancer: one of the two apiservers logged it.
    // The last line may be one the apiserver is still writing: leave it out.
    const events = (await Promise.all([4, 5].map((h) => onHost(h, "sed '$d' /var/log/kubernetes/audit.log"))))
      .join("\n")
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as AuditEvent);
    const created = events.filter(
      (e) => e.verb === "create" && e.objectRef?.resource === "namespaces" && e.objectRef?.name === "e2e-external",
    );
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({
      kind: "Event",
      apiVersion: "audit.k8s.io/v1",
      level: "Metadata",
      stage: "ResponseComplete",
      requestURI: expect.stringMatching(/^\/api\/v1\/namespaces(\?|$)/),
      user: { username: "kubernetes-admin" },
      responseStatus: { code: 201 },
    });
    expect(created[0].user.groups).toContain("system:masters");
    expect(created[0]).not.toHaveProperty("requestObject"); // metadata only, never bodies (Secrets)
    // haproxy has checked /readyz on each apiserver every second since it started, and the health gate
    // polled it: the default policy logs none of these probes, and no RequestReceived stage.
    console.log(`[audit] ${events.length} events on cp1 and cp2`);
    expect(events.filter((e) => /^\/(readyz|livez|healthz|version)/.test(e.requestURI))).toEqual([]);
    expect(events.filter((e) => e.stage === "RequestReceived")).toEqual([]);
  });

  it("lays out kubeadm's files with keys 0600 and runs the components as units", async () => {
    const listing = await onHost(
      4,
      "stat -c '%a %n' /etc/kubernetes/pki/ca.key /etc/kubernetes/pki/apiserver.crt /etc/kubernetes/admin.conf /etc/kubernetes/encryption-config.yaml /etc/kubernetes/pki/sa.pub /etc/kubernetes/pki/etcd/ca.crt",
    );
    expect(listing).toMatch(/^600 \/etc\/kubernetes\/pki\/ca\.key$/m);
    expect(listing).toMatch(/^644 \/etc\/kubernetes\/pki\/apiserver\.crt$/m);
    expect(listing).toMatch(/^600 \/etc\/kubernetes\/admin\.conf$/m);
    expect(listing).toMatch(/^600 \/etc\/kubernetes\/encryption-config\.yaml$/m);
    expect(await onHost(4, "systemctl is-active kube-apiserver kube-controller-manager kube-scheduler")).toBe("active\nactive\nactive\n");
    expect(await onHost(6, "systemctl is-active haproxy")).toBe("active\n");
  });

  it("a kubelet's CSR made with the bootstrap token is approved and issued; cluster-info is signed for the token", async () => {
    expect(out.joinToken).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    expect(out.caCertHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    const asKubelet = tokenKubeconfig(out, out.joinToken);
    const csr = {
      apiVersion: "certificates.k8s.io/v1",
      kind: "CertificateSigningRequest",
      metadata: { name: "e2e-node-csr" },
      spec: {
        request: Buffer.from(await nodeCsrPem("e2e-node")).toString("base64"),
        signerName: "kubernetes.io/kube-apiserver-client-kubelet",
        usages: ["digital signature", "client auth"],
      },
    };
    await kubectl(asKubelet, ["create", "-f", "-"], { stdin: JSON.stringify(csr) });
    let cert = "";
    for (let i = 0; i < 60 && !cert; i++) {
      cert = (await kubectl(out.adminKubeconfig, ["get", "csr", "e2e-node-csr", "-o", "jsonpath={.status.certificate}"])).stdout;
      if (!cert) await new Promise((r) => setTimeout(r, 500));
    }
    expect(cert, "the CSR was issued").not.toBe("");
    const conditions = (await kubectl(out.adminKubeconfig, ["get", "csr", "e2e-node-csr", "-o", "jsonpath={.status.conditions[*].type}"]))
      .stdout;
    expect(conditions).toMatch(/Approved/);

    // Token discovery: cluster-info is readable anonymously (no credentials at all) and carries a valid signature.
    const info = JSON.parse(await anonymousGet(`${out.endpoint}/api/v1/namespaces/kube-public/configmaps/cluster-info`, out.caCertPem)) as {
      data: Record<string, string>;
    };
    const id = out.joinToken.split(".")[0];
    expect(info.data[`jws-kubeconfig-${id}`]).toBeTruthy();
    expect(validClusterInfoSignature(info.data.kubeconfig, info.data[`jws-kubeconfig-${id}`], out.joinToken)).toBe(true);
    expect(validClusterInfoSignature(info.data.kubeconfig, info.data[`jws-kubeconfig-${id}`], `${id}.0000000000000000`)).toBe(false);
    expect(info.data.kubeconfig).toContain(`server: ${out.endpoint}`);
  });

  it("kubeadm join's reads with the bootstrap token: kubeadm-config and kubelet-config hold the cluster's values; without a token, forbidden", async () => {
    const cc = yaml.load((await asJoiningNode(out, "kubeadm-config")).ClusterConfiguration) as {
      etcd: { external: { certFile: string } };
    };
    expect(cc).toEqual({
      apiServer: {},
      apiVersion: "kubeadm.k8s.io/v1beta4",
      certificatesDir: "/etc/kubernetes/pki",
      clusterName: "kubernetes",
      controlPlaneEndpoint: `${bed.hosts[5].ip}:6443`,
      controllerManager: {},
      dns: { disabled: true },
      encryptionAlgorithm: "ECDSA-P256",
      etcd: {
        external: {
          caFile: "/etc/kubernetes/pki/etcd/ca.crt",
          certFile: "/etc/kubernetes/pki/apiserver-etcd-client.crt",
          endpoints: out.etcdEndpoints,
          keyFile: "/etc/kubernetes/pki/apiserver-etcd-client.key",
        },
      },
      kind: "ClusterConfiguration",
      kubernetesVersion: `v${KUBE_VERSION}`,
      networking: { dnsDomain: "cluster.local", serviceSubnet: "10.96.0.0/12" },
      proxy: { disabled: true },
      scheduler: {},
    });
    expect(out.etcdEndpoints).toEqual([0, 1, 2].map((i) => `https://${bed.hosts[i].ip}:2379`));
    // The etcd client files it names are the ones the apiservers use.
    expect(await onHost(4, "grep -o -- '--etcd-certfile=[^ ]*' /etc/systemd/system/kube-apiserver.service")).toBe(
      `--etcd-certfile=${cc.etcd.external.certFile}\n`,
    );
    expect(yaml.load((await asJoiningNode(out, "kubelet-config")).kubelet)).toEqual({
      apiVersion: "kubelet.config.k8s.io/v1beta1",
      authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: "/etc/kubernetes/pki/ca.crt" } },
      authorization: { mode: "Webhook" },
      cgroupDriver: "systemd",
      clusterDNS: ["10.96.0.10"],
      clusterDomain: "cluster.local",
      healthzBindAddress: "127.0.0.1",
      healthzPort: 10248,
      kind: "KubeletConfiguration",
      rotateCertificates: true,
      staticPodPath: "/etc/kubernetes/manifests",
    });

    const url = (name: string) => `${out.endpoint}/api/v1/namespaces/kube-system/configmaps/${name}`;
    const id = out.joinToken.split(".")[0];
    for (const name of ["kubeadm-config", "kubelet-config"]) {
      // No credentials: the anonymous user, who may read cluster-info in kube-public and nothing here.
      const anonymous = await httpsGet(url(name), out.caCertPem);
      expect(anonymous.status, `${name} anonymously`).toBe(403);
      expect(anonymous.body).toContain('User \\"system:anonymous\\" cannot get resource \\"configmaps\\"');
      // A token id with the wrong secret is no token at all.
      expect((await httpsGet(url(name), out.caCertPem, `${id}.0000000000000000`)).status, `${name} with a wrong secret`).toBe(401);
    }
    // The token reads these two and nothing else of kube-system.
    expect((await httpsGet(url("kube-root-ca.crt"), out.caCertPem, out.joinToken)).status).toBe(403);
    expect((await httpsGet(`${out.endpoint}/api/v1/namespaces/kube-system/configmaps`, out.caCertPem, out.joinToken)).status).toBe(403);
  });

  it("the join token expires 24 h after it was minted (joinTokenTtlHours): the Secret's expiration is the output", async () => {
    const id = out.joinToken.split(".")[0];
    const data = (
      await kubectl(out.adminKubeconfig, [
        "-n",
        "kube-system",
        "get",
        "secret",
        `bootstrap-token-${id}`,
        "-o",
        "jsonpath={.data.expiration}",
      ])
    ).stdout;
    const expiration = Buffer.from(data, "base64").toString();
    expect(expiration).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(expiration).toBe(out.joinTokenExpiresAt);
    const left = Date.parse(expiration) - Date.now();
    expect(left).toBeLessThanOrEqual(24 * 3_600_000);
    expect(left).toBeGreaterThan(23 * 3_600_000); // minted by this suite's first `up`, minutes ago
  });

  it("a new join token (joinTokenRotation) revokes the old one: its Secret is deleted and it no longer authenticates", async () => {
    const old = { token: out.joinToken, expiresAt: out.joinTokenExpiresAt };
    const url = `${out.endpoint}/api/v1/namespaces/kube-system/configmaps/kubeadm-config`;
    expect((await httpsGet(url, out.caCertPem, old.token)).status).toBe(200);
    await stack.setConfig("joinTokenRotation", "1");
    const up = (await stack.pulumi(["up", "--yes", "--skip-preview"], { timeoutMs: 600_000 })).stdout;
    out = await kubeOutputs(stack);
    expect(up).toMatch(new RegExp(`earlier join token revoked: secret "bootstrap-token-${old.token.split(".")[0]}" deleted`));
    expect(out.joinToken).not.toBe(old.token);
    expect((await httpsGet(url, out.caCertPem, out.joinToken)).status).toBe(200);
    const tokens = (
      await kubectl(out.adminKubeconfig, [
        "-n",
        "kube-system",
        "get",
        "secrets",
        "--field-selector",
        "type=bootstrap.kubernetes.io/token",
        "-o",
        "jsonpath={.items[*].metadata.name}",
      ])
    ).stdout;
    expect(tokens).toBe(`bootstrap-token-${out.joinToken.split(".")[0]}`);
    // Each apiserver caches a successful token authentication for 10 s (kube-apiserver's
    // TokenSuccessCacheTTL), and the load balancer spreads requests over both: within 20 s, the old
    // token must be refused 6 times in a row.
    const revokedAfter = Date.now();
    let refused = 0;
    while (refused < 6 && Date.now() - revokedAfter < 20_000) {
      refused = (await httpsGet(url, out.caCertPem, old.token)).status === 401 ? refused + 1 : 0;
      await new Promise((r) => setTimeout(r, 250));
    }
    console.log(`[rotation] the old token refused ${refused} times in a row ${Date.now() - revokedAfter} ms after the up`);
    expect(refused, "consecutive 401s for the old token").toBe(6);
    // The new token has its own 24 hours, from its own minting; cluster-info is signed for it.
    expect(Date.parse(out.joinTokenExpiresAt)).toBeGreaterThan(Date.parse(old.expiresAt));
    const info = JSON.parse(await anonymousGet(`${out.endpoint}/api/v1/namespaces/kube-public/configmaps/cluster-info`, out.caCertPem)) as {
      data: Record<string, string>;
    };
    const id = out.joinToken.split(".")[0];
    expect(validClusterInfoSignature(info.data.kubeconfig, info.data[`jws-kubeconfig-${id}`], out.joinToken)).toBe(true);
  }, 600_000);

  it("a stopped apiserver leaves the rotation within one health-check interval, then no request fails", async () => {
    const r = reader(`${out.endpoint}/api/v1/namespaces/default`, adminCredentials(out));
    await new Promise((res) => setTimeout(res, 2000));
    const stoppedAt = Date.now();
    await onHost(4, "systemctl stop kube-apiserver");
    await new Promise((res) => setTimeout(res, 8000));
    await r.stop();
    const late = r.failures.filter((f) => f.at > stoppedAt + 2500);
    console.log(
      `[failover] ${r.ok} ok, ${r.failures.length} failed (${r.failures.map((f) => `${f.at - stoppedAt} ms: ${f.error}`).join("; ")})`,
    );
    expect(late, "failures after one health-check interval").toEqual([]);
    expect(r.ok).toBeGreaterThan(50);
    await onHost(4, "systemctl start kube-apiserver");
    // Back in rotation (the next check passes) before the next test.
    await onHost(4, "for i in $(seq 1 100); do curl -fsk https://127.0.0.1:6443/readyz >/dev/null 2>&1 && break; sleep 0.3; done");
  }, 120_000);

  it("a config change rolls the apiservers one at a time with no failed read", async () => {
    const pids = async (h: number) => (await onHost(h, "systemctl show -p MainPID --value kube-apiserver")).trim();
    const before = [await pids(4), await pids(5)];
    await new Promise((res) => setTimeout(res, 3000));
    const r = reader(`${out.endpoint}/api/v1/namespaces/default`, adminCredentials(out));
    await stack.setConfig("extraArgs", JSON.stringify({ apiserver: { "event-ttl": "2h0m0s" } }));
    const up = (await stack.pulumi(["up", "--yes", "--skip-preview"], { timeoutMs: 900_000 })).stdout;
    await r.stop();
    console.log(`[rolling] ${r.ok} ok, ${r.failures.length} failed ${JSON.stringify(r.failures.slice(0, 5))}`);
    expect(r.failures).toEqual([]);
    const after = [await pids(4), await pids(5)];
    expect(after[0]).not.toBe(before[0]);
    expect(after[1]).not.toBe(before[1]);
    expect(await onHost(5, "grep -c -- '--event-ttl=2h0m0s' /etc/systemd/system/kube-apiserver.service")).toBe("1\n");
    // One at a time: cp2's apiserver began to stop only after cp1's was ready again (restart-to-ready
    // is the apiserverReadySeconds output; the hosts share one clock).
    expect(up).toMatch(/kube-apiserver ready after/);
    const stopping = async (h: number) =>
      Number(
        (
          await onHost(
            h,
            "journalctl -u kube-apiserver -o short-unix --no-pager | grep 'Stopping kube-apiserver' | tail -n1 | cut -d' ' -f1",
          )
        ).trim(),
      );
    const ready = (await kubeOutputs(stack)).apiserverReadySeconds;
    const cp1ReadyAt = (await stopping(4)) + Number(ready.cp1);
    const cp2Stopping = await stopping(5);
    console.log(
      `[rolling] cp1 stopping → ready ${ready.cp1} s, cp2 stopping ${(cp2Stopping - cp1ReadyAt).toFixed(2)} s after cp1 was ready`,
    );
    expect(cp2Stopping).toBeGreaterThan(cp1ReadyAt);
  }, 1_000_000);

  it("adding a third control-plane host, then removing it, keeps every read working and restarts no other apiserver", async () => {
    const pids = async (h: number) => (await onHost(h, "systemctl show -p MainPID --value kube-apiserver")).trim();
    const before = [await pids(4), await pids(5)];
    let r = reader(`${out.endpoint}/api/v1/namespaces/default`, adminCredentials(out));
    await stack.setConfig("cpHosts", hostsConfig([3, 4, 6], ["cp1", "cp2", "cp3"]));
    await stack.pulumi(["up", "--yes", "--skip-preview"], { timeoutMs: 900_000 });
    await r.stop();
    console.log(`[add] ${r.ok} ok, ${r.failures.length} failed ${JSON.stringify(r.failures.slice(0, 5))}`);
    expect(r.failures).toEqual([]);
    expect(await onHost(7, "systemctl is-active kube-apiserver")).toBe("active\n");
    expect(await onHost(6, "grep -c '^  server ' /etc/haproxy/haproxy.cfg")).toBe("3\n");
    expect([await pids(4), await pids(5)]).toEqual(before);
    // Through the LB, the new apiserver answers too (it serves the same cluster).
    expect((await kubectl(out.adminKubeconfig, ["get", "--raw", "/readyz"])).stdout).toBe("ok");

    r = reader(`${out.endpoint}/api/v1/namespaces/default`, adminCredentials(out));
    await stack.setConfig("cpHosts", hostsConfig([3, 4], ["cp1", "cp2"]));
    await stack.pulumi(["up", "--yes", "--skip-preview"], { timeoutMs: 900_000 });
    await r.stop();
    console.log(`[remove] ${r.ok} ok, ${r.failures.length} failed ${JSON.stringify(r.failures.slice(0, 5))}`);
    expect(r.failures).toEqual([]);
    expect(await onHost(6, "grep -c '^  server ' /etc/haproxy/haproxy.cfg")).toBe("2\n");
    expect(await onHost(7, "ls /etc/systemd/system | grep -c '^kube-' || true")).toBe("0\n");
    expect([await pids(4), await pids(5)]).toEqual(before);
  }, 1_000_000);

  it("a second `up` changes nothing and opens no SSH session", async () => {
    const before = await Promise.all([1, 2, 3, 4, 5, 6, 7].map(sshSessions));
    const r = await stack.pulumi(["up", "--yes", "--skip-preview"]);
    expect(r.stdout).not.toMatch(/[~+-] .*(update|create|delete|replace)/);
    const after = await Promise.all([1, 2, 3, 4, 5, 6, 7].map(sshSessions));
    // Each count includes the session of the check itself.
    expect(after.map((a, i) => a - before[i])).toEqual([1, 1, 1, 1, 1, 1, 1]);
    // The token's expiration was fixed when it was minted: the `up`s since then left it alone.
    expect((await kubeOutputs(stack)).joinTokenExpiresAt).toBe(out.joinTokenExpiresAt);
  }, 300_000);

  it("destroy removes units, config and PKI, and haproxy from the LB host", async () => {
    await stack.pulumi(["destroy", "--yes", "--skip-preview"], { timeoutMs: 900_000 });
    for (const h of [4, 5]) {
      expect(await onHost(h, "ls /etc/systemd/system | grep -c '^kube-' || true")).toBe("0\n");
      expect(await onHost(h, "ls -A /etc/kubernetes 2>/dev/null | wc -l")).toBe("0\n");
      expect(await onHost(h, "ls /opt/kubernetes 2>/dev/null | wc -l")).toBe("0\n");
    }
    expect(await onHost(6, "systemctl is-active haproxy || true")).not.toBe("active\n");
    expect(await onHost(6, "command -v haproxy || echo none")).toBe("none\n");
    expect(await onHost(6, "ls -d /etc/haproxy 2>/dev/null || echo gone")).toBe("gone\n");
  }, 1_000_000);
});

describe("stacked etcd with a local haproxy on 3 control-plane hosts", () => {
  let stack: Stack;
  let out: KubeOutputs;

  beforeAll(async () => {
    stack = await kubeStack("stacked", { cpHosts: hostsConfig([0, 1, 2], ["s1", "s2", "s3"]), localLb: "true" });
    await stack.pulumi(["up", "--yes", "--skip-preview"], { timeoutMs: 1_500_000 });
    out = await kubeOutputs(stack);
  }, 1_600_000);

  afterAll(async () => {
    await stack?.pulumi(["destroy", "--yes", "--skip-preview"], { allowFailure: true, timeoutMs: 900_000 });
  }, 1_000_000);

  it("serves the API: objects, encrypted Secrets, /readyz, both leases; each host reaches it at 127.0.0.1", async () => {
    expect(out.etcdEndpoints).toEqual([0, 1, 2].map((i) => `https://${bed.hosts[i].ip}:2379`));
    await expectWorkingControlPlane(out, "stacked");
    // kubeadm join reads the stacked etcd's endpoints (as external: kubeadm does not run this etcd), and a token that never expires.
    const cc = yaml.load((await asJoiningNode(out, "kubeadm-config")).ClusterConfiguration) as {
      etcd: unknown;
      controlPlaneEndpoint: string;
    };
    expect(cc.etcd).toMatchObject({ external: { endpoints: out.etcdEndpoints } });
    expect(cc.controlPlaneEndpoint).toBe(`${bed.hosts[0].ip}:6443`);
    expect(out.joinTokenExpiresAt).toBe("");
    for (const h of [1, 2, 3]) {
      expect(await onHost(h, "kubectl --kubeconfig /etc/kubernetes/admin.conf get --raw /readyz")).toBe("ok");
      expect(await onHost(h, "grep -c 'server: https://127.0.0.1:6443' /etc/kubernetes/admin.conf")).toBe("1\n");
    }
  });

  it("destroy leaves no unit and archives the etcd data, never wipes it", async () => {
    const archives = (h: number) =>
      onHost(h, "ls -d /var/lib/etcd.archived-*/member/snap 2>/dev/null | wc -l").then((s) => Number(s.trim()));
    const before = await Promise.all([1, 2, 3].map(archives));
    await stack.pulumi(["destroy", "--yes", "--skip-preview"], { timeoutMs: 900_000 });
    for (const h of [1, 2, 3]) {
      expect(await onHost(h, "ls /etc/systemd/system | grep -c '^kube-\\|^etcd' || true")).toBe("0\n");
      expect(await archives(h)).toBe(before[h - 1] + 1);
    }
  }, 1_000_000);
});

describe("the same control plane declared from YAML (external etcd by endpoints and CA)", () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.create("kube-yaml", "yaml");
    const config = yamlKubeConfig(bed, ETCD);
    for (const [k, v] of Object.entries(config)) await stack.setConfig(k, v);
    await stack.setConfig("sshKey", readFileSync(bed.key, "utf8"), true);
    await stack.pulumi(["package", "add", `${repo}/bin/pulumi-resource-etcd`]);
    await stack.pulumi(["up", "--yes", "--skip-preview"], { timeoutMs: 1_200_000 });
  }, 1_300_000);

  afterAll(async () => {
    await stack?.pulumi(["destroy", "--yes", "--skip-preview"], { allowFailure: true, timeoutMs: 900_000 });
  }, 1_000_000);

  it("serves the API with encrypted Secrets; the kubeconfig and join token stay secrets", async () => {
    const out = await kubeOutputs(stack);
    await expectWorkingControlPlane(out, "yaml");
    const shown = (await stack.pulumi(["stack", "output", "--json"])).stdout;
    const plain = JSON.parse(shown) as Record<string, unknown>;
    expect(plain.adminKubeconfig).toBe("[secret]");
    expect(plain.joinToken).toBe("[secret]");
  });
});

describe("refused by the preflight, before anything is written to any host", () => {
  it("a host with a kubeadm control plane (static pod manifest) stops the up; no host got anything", async () => {
    const ca = await issueCertificate({ commonName: "other etcd CA", isCa: true, keyAlgorithm: "ECDSA-P256", validityHours: 24 });
    const stack = await kubeStack("preflight", {
      cpHosts: hostsConfig([3, 4], ["cp1", "cp2"]),
      lbHosts: hostsConfig([5], ["lb1"]),
      etcdEndpoints: JSON.stringify([`https://${bed.hosts[0].ip}:2379`]),
    });
    await stack.pulumi(["config", "set", "etcdCaCertPem"], { stdin: ca.certPem });
    await stack.setConfig("etcdCaKeyPem", ca.privateKeyPem, true);
    await onHost(5, "mkdir -p /etc/kubernetes/manifests && echo 'kind: Pod' > /etc/kubernetes/manifests/kube-apiserver.yaml");
    try {
      const r = await stack.pulumi(["up", "--yes", "--skip-preview"], { allowFailure: true });
      expect(r.code).not.toBe(0);
      expect(r.stdout).toMatch(/kube-apiserver\.yaml exists: this host runs a kubeadm control plane/);
      for (const h of [4, 5])
        expect(await onHost(h, "ls /opt/kubernetes 2>/dev/null | wc -l; ls /etc/kubernetes/pki 2>/dev/null | wc -l")).toBe("0\n0\n");
      expect(await onHost(6, "command -v haproxy || echo none")).toBe("none\n");
    } finally {
      await onHost(5, "rm -rf /etc/kubernetes");
      await stack.pulumi(["destroy", "--yes", "--skip-preview"], { allowFailure: true });
    }
  }, 300_000);
});

describe("refused at preview, before any host is touched", () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    ["a service CIDR holding a host address", { serviceCidr: "10.77.0.0/24" }, /serviceCidr 10\.77\.0\.0\/24 holds the host address/],
    ["duplicate hosts", { cpHosts: "DUP" }, /use the same host/],
    [
      "a flag that overrides a managed setting",
      { extraArgs: JSON.stringify({ apiserver: { "authorization-mode": "AlwaysAllow" } }) },
      /--authorization-mode is managed by the package/,
    ],
    ["two control-plane hosts without a load balancer", { lbHosts: "NONE" }, /2 control-plane hosts need a loadBalancer/],
    ["a version without checksum", { sha256: "{}", version: "1.37.1" }, /pins no checksum for kube-apiserver/],
  ];
  for (const [what, config, message] of cases) {
    it(
      what,
      async () => {
        const base: Record<string, string> = {
          cpHosts: hostsConfig([3, 4], ["cp1", "cp2"]),
          lbHosts: hostsConfig([5], ["lb1"]),
          etcdHosts: hostsConfig([0, 1, 2], ["e1", "e2", "e3"]),
        };
        const merged = { ...base, ...config };
        if (merged.cpHosts === "DUP") merged.cpHosts = hostsConfig([3, 3], ["cp1", "cp2"]);
        const stack = await kubeStack(
          `refused-${what.replace(/\W+/g, "-")}`,
          Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== "NONE")),
        );
        const before = await Promise.all([1, 2, 3, 4, 5, 6, 7].map(sshSessions));
        const r = await stack.pulumi(["preview"], { allowFailure: true });
        expect(r.code).not.toBe(0);
        expect(r.stdout + r.stderr).toMatch(message);
        const after = await Promise.all([1, 2, 3, 4, 5, 6, 7].map(sshSessions));
        expect(after.map((a, i) => a - before[i])).toEqual([1, 1, 1, 1, 1, 1, 1]);
      },
      120_000,
    );
  }
});
