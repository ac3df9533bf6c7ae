// Wiring only (mocks): the phases of a control plane used alone. One KubeControlPlaneMember on a
// host with certificates the user gives as plain PEM strings (no KubePki): the files it sends carry
// exactly those certificates at kubeadm's paths, keys only as secrets, the apiserver serving
// certificate issued from the user's CA. And construct builds KubePki, KubeControlPlaneMember and
// KubeLoadBalancer from inputs as a YAML program sends them, with every output the schema declares.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { publicKeyPem } from "../../planning/pki/publicKey";
import { construct } from "../../provider/construct";
import { issueCertificate } from "../../provider/pki/certificates";

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const wireSecret = (value: unknown) => ({ [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270", value });
/** A mock's view of an input: its value, and whether it arrived as a secret. */
const unwrap = (v: unknown): { secret: boolean; value: unknown } =>
  typeof v === "object" && v !== null && SECRET_SIG in v
    ? { secret: true, value: (v as unknown as { value: unknown }).value }
    : { secret: false, value: v };

const created: { type: string; name: string; inputs: Record<string, unknown> }[] = [];
let mockPem: { certPem: string; privateKeyPem: string };

beforeAll(async () => {
  mockPem = await issueCertificate({ commonName: "mock", isCa: true, keyAlgorithm: "ECDSA-P256", validityHours: 24 });
  pulumi.runtime.setMocks(
    {
      newResource: (a) => {
        created.push({ type: a.type, name: a.name, inputs: a.inputs });
        const state: Record<string, unknown> = { ...a.inputs };
        if (a.type === "etcd:tls:Certificate")
          Object.assign(state, {
            certPem: mockPem.certPem,
            privateKeyPem: wireSecret(mockPem.privateKeyPem),
            notAfter: "2030-01-01T00:00:00.000Z",
            notBefore: "2026-01-01T00:00:00.000Z",
          });
        if (a.type === "etcd:host:HostScript") state.outputs = { digest: "d", apiserverReadySeconds: "3.1" };
        return { id: `${a.name}-id`, state };
      },
      call: (a) => a.inputs,
    },
    "project",
    "stack",
    false,
  );
});

const value = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));
const isSecret = (o: pulumi.Output<unknown>) => (o as unknown as { isSecret: Promise<boolean> }).isSecret;
const settled = () => new Promise((r) => setTimeout(r, 200)); // let the mocks see every registration
const conn = (host: string) => ({ host, user: "root", privateKey: "SSHKEY", hostKey: "ssh-ed25519 AAAA" });
const kubeSha256 = {
  "kube-apiserver": "a".repeat(64),
  "kube-controller-manager": "b".repeat(64),
  "kube-scheduler": "c".repeat(64),
  kubectl: "d".repeat(64),
};
const settings = {
  clusterName: "kubernetes",
  dnsDomain: "cluster.local",
  serviceCidr: "10.96.0.0/12",
  etcdServers: ["https://10.0.0.1:2379"],
  encryptionAtRest: true,
  audit: false,
  apiserverPort: 6443,
  shutdownDelaySeconds: 5,
};

/** Certificates as a user brings them (files, another tool): plain PEM strings, each one different. */
async function userPems() {
  const issue = (cn: string, alg: "ECDSA-P256" | "RSA-2048" = "ECDSA-P256") =>
    issueCertificate({ commonName: cn, isCa: true, keyAlgorithm: alg, validityHours: 24 });
  const names = [
    "ca",
    "front-proxy-ca",
    "apiserver-kubelet-client",
    "front-proxy-client",
    "admin",
    "cm",
    "sched",
    "etcd-ca",
    "etcd-client",
  ];
  const pems = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await issue(n)] as const)));
  const sa = await issue("sa", "RSA-2048");
  return { pems, saKey: sa.privateKeyPem };
}

/** The files a member's `files` step sends: path under /etc/kubernetes → content (from its stdin bundle). */
function sentFiles(step: { inputs: Record<string, unknown> }): { secret: boolean; files: Record<string, string> } {
  const create = unwrap(step.inputs.create);
  const stdin = unwrap((create.value as { stdin: unknown }).stdin);
  const bundle = stdin.value as string;
  const files: Record<string, string> = {};
  for (const part of bundle.split("#pe-file ").slice(1)) {
    const nl = part.indexOf("\n");
    files[part.slice(0, nl)] = part.slice(nl + 1);
  }
  return { secret: create.secret || stdin.secret, files };
}

describe("KubeControlPlaneMember alone, with certificates the user gives", () => {
  it("writes the user's certificates at kubeadm's paths (keys as secrets) and issues the serving certificate from the user's CA", async () => {
    const { KubeControlPlaneMember } = await import("../../components");
    const { pems, saKey } = await userPems();
    const pair = (n: string) => ({ certPem: pems[n].certPem, privateKeyPem: pems[n].privateKeyPem });
    const m = new KubeControlPlaneMember("solo", {
      connection: conn("10.0.0.5"),
      version: "1.37.2",
      sha256: kubeSha256,
      pki: {
        ca: pair("ca"),
        apiserverKubeletClient: pair("apiserver-kubelet-client"),
        frontProxyCa: pair("front-proxy-ca"),
        frontProxyClient: pair("front-proxy-client"),
        serviceAccount: { privateKeyPem: saKey }, // sa.pub derived
        admin: pair("admin"),
        controllerManager: pair("cm"),
        scheduler: pair("sched"),
        certValidityHours: 48,
      },
      etcd: { caCertPem: pems["etcd-ca"].certPem, client: pair("etcd-client") },
      settings,
      endpoint: "https://10.0.0.5:6443",
      encryptionKey: Buffer.alloc(32, 2).toString("base64"),
    });
    expect(await value(m.url)).toBe("https://10.0.0.5:6443");
    await value(m.lastStart);
    await settled();

    const serving = created.find((r) => r.name === "solo-apiserver")!;
    expect(serving.type).toBe("etcd:tls:Certificate");
    expect(serving.inputs.signerCertPem).toBe(pems.ca.certPem);
    expect(unwrap(serving.inputs.signerPrivateKeyPem)).toEqual({ secret: true, value: pems.ca.privateKeyPem });
    expect(serving.inputs.validityHours).toBe(48);
    expect(serving.inputs.ipAddresses).toContain("10.0.0.5");

    const { secret, files } = sentFiles(created.find((r) => r.name === "solo-files")!);
    expect(secret, "the bundle with the keys goes as a secret").toBe(true);
    const expected: Record<string, string> = {
      "pki/ca.crt": pems.ca.certPem,
      "pki/ca.key": pems.ca.privateKeyPem,
      "pki/apiserver-kubelet-client.crt": pems["apiserver-kubelet-client"].certPem,
      "pki/apiserver-kubelet-client.key": pems["apiserver-kubelet-client"].privateKeyPem,
      "pki/front-proxy-ca.crt": pems["front-proxy-ca"].certPem,
      "pki/front-proxy-client.key": pems["front-proxy-client"].privateKeyPem,
      "pki/sa.key": saKey,
      "pki/sa.pub": publicKeyPem(saKey),
      "pki/etcd/ca.crt": pems["etcd-ca"].certPem,
      "pki/apiserver-etcd-client.crt": pems["etcd-client"].certPem,
      "pki/apiserver-etcd-client.key": pems["etcd-client"].privateKeyPem,
      "pki/apiserver.crt": mockPem.certPem, // what the Certificate resource issued
    };
    for (const [path, text] of Object.entries(expected)) expect(files[path]?.trim(), path).toBe(text.trim());
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    expect(files["admin.conf"]).toContain(b64(pems.admin.certPem));
    expect(files["controller-manager.conf"]).toContain(b64(pems.cm.certPem));
    expect(files["scheduler.conf"]).toContain(b64(pems.sched.privateKeyPem));
  });

  it("a KubePki is a KubeMemberPki: given as is, its etcd client certificate is the default", async () => {
    const { KubeControlPlaneMember, KubePki } = await import("../../components");
    const { pems } = await userPems();
    const pki = new KubePki("p", { etcdCa: { certPem: pems["etcd-ca"].certPem, privateKeyPem: pems["etcd-ca"].privateKeyPem } });
    new KubeControlPlaneMember("withpki", {
      connection: conn("10.0.0.6"),
      version: "1.37.2",
      sha256: kubeSha256,
      pki,
      etcd: { caCertPem: pems["etcd-ca"].certPem },
      settings: { ...settings, encryptionAtRest: false },
      endpoint: "https://10.0.0.6:6443",
    });
    await settled();
    const etcdClient = created.find((r) => r.name === "p-apiserver-etcd-client")!;
    expect(etcdClient.inputs.signerCertPem).toBe(pems["etcd-ca"].certPem);
    const { files } = sentFiles(created.find((r) => r.name === "withpki-files")!);
    expect(files["pki/apiserver-etcd-client.crt"].trim()).toBe(mockPem.certPem.trim());
    expect(files["pki/sa.pub"].trim()).toBe(publicKeyPem(mockPem.privateKeyPem).trim());
  });

  it("refuses, at construct, a member with no etcd client certificate from either place", async () => {
    const { KubeControlPlaneMember } = await import("../../components");
    const { pems } = await userPems();
    const pair = (n: string) => ({ certPem: pems[n].certPem, privateKeyPem: pems[n].privateKeyPem });
    expect(
      () =>
        new KubeControlPlaneMember("noclient", {
          connection: conn("10.0.0.7"),
          version: "1.37.2",
          sha256: kubeSha256,
          pki: {
            ca: pair("ca"),
            apiserverKubeletClient: pair("ca"),
            frontProxyCa: pair("ca"),
            frontProxyClient: pair("ca"),
            serviceAccount: { privateKeyPem: pems.ca.privateKeyPem },
            admin: pair("ca"),
            controllerManager: pair("ca"),
            scheduler: pair("ca"),
          },
          etcd: { caCertPem: pems["etcd-ca"].certPem },
          settings,
          endpoint: "https://10.0.0.7:6443",
        }),
    ).toThrow(/KubeControlPlaneMember noclient: give etcd.client, or a KubePki with an etcdCa/);
  });

  it("KubeLoadBalancer refuses an empty host list with a message", async () => {
    const { KubeLoadBalancer } = await import("../../components");
    expect(() => new KubeLoadBalancer("nolb", { hosts: [], backends: [], caCertPem: "CA" })).toThrow(
      /KubeLoadBalancer nolb: give at least one host/,
    );
  });
});

describe("construct: the phases from another language", () => {
  it("builds KubePki, then a KubeControlPlaneMember from its outputs, then a KubeLoadBalancer in front; each returns its schema outputs", async () => {
    const etcdCa = await issueCertificate({ commonName: "etcd-ca", isCa: true, keyAlgorithm: "ECDSA-P256", validityHours: 24 });
    const pkiResult = await construct(
      "ypki",
      "etcd:index:KubePki",
      { etcdCa: { certPem: etcdCa.certPem, privateKeyPem: pulumi.secret(etcdCa.privateKeyPem) } },
      {},
    );
    const s = pkiResult.state as Record<string, Record<string, pulumi.Output<string>>>;
    expect(Object.keys(s).sort()).toEqual(
      [
        "admin",
        "apiserverKubeletClient",
        "ca",
        "controllerManager",
        "etcdClient",
        "frontProxyCa",
        "frontProxyClient",
        "notBefore",
        "scheduler",
        "serviceAccount",
      ].sort(),
    );
    expect(await isSecret(s.ca.privateKeyPem)).toBe(true);
    expect(await isSecret(s.serviceAccount.privateKeyPem)).toBe(true);
    expect(await isSecret(s.serviceAccount.publicKeyPem), "a public key is not a secret").toBe(false);

    // As YAML writes it: each certificate and key from the KubePki's outputs, field by field.
    const pair = (p: Record<string, pulumi.Output<string>>) => ({ certPem: p.certPem, privateKeyPem: p.privateKeyPem });
    const member = await construct(
      "ycp",
      "etcd:index:KubeControlPlaneMember",
      {
        connection: conn("10.0.0.8"),
        version: "1.37.2",
        sha256: kubeSha256,
        pki: {
          ca: pair(s.ca),
          apiserverKubeletClient: pair(s.apiserverKubeletClient),
          frontProxyCa: pair(s.frontProxyCa),
          frontProxyClient: pair(s.frontProxyClient),
          serviceAccount: { privateKeyPem: s.serviceAccount.privateKeyPem, publicKeyPem: s.serviceAccount.publicKeyPem },
          admin: pair(s.admin),
          controllerManager: pair(s.controllerManager),
          scheduler: pair(s.scheduler),
          etcdClient: pair(s.etcdClient),
        },
        etcd: { caCertPem: etcdCa.certPem },
        settings: { ...settings, encryptionAtRest: false },
        endpoint: "https://10.0.0.9:6443",
        loadBalancerAddresses: ["10.0.0.9"],
      },
      {},
    );
    const ms = member.state as Record<string, pulumi.Output<unknown>>;
    expect(Object.keys(ms).sort()).toEqual(["advertiseAddress", "apiserverCertNotAfter", "lastStart", "url"]);
    expect(await value(ms.url)).toBe("https://10.0.0.8:6443");

    const lb = await construct(
      "ylb",
      "etcd:index:KubeLoadBalancer",
      {
        hosts: [{ name: "ylb1", connection: conn("10.0.0.9") }],
        backends: [{ name: "ycp", address: ms.advertiseAddress, port: 6443 }],
        caCertPem: s.ca.certPem,
      },
      {},
    );
    expect(await value((lb.state as Record<string, pulumi.Output<string>>).url)).toBe("https://10.0.0.9:6443");
    await settled();
    const serving = created.find((r) => r.name === "ycp-apiserver")!;
    expect(serving.inputs.dnsNames).toContain("ycp");
    expect(serving.inputs.ipAddresses).toEqual(expect.arrayContaining(["10.0.0.8", "10.0.0.9"]));
    const haproxy = created.find((r) => r.name === "ylb-ylb1-haproxy")!;
    const env = (unwrap(haproxy.inputs.create).value as { env: Record<string, string> }).env;
    expect(env.PE_CONFIG).toMatch(/server ycp 10\.0\.0\.8:6443/);
  });
});
