// One source for the public API: schema.json (and the client classes' specs) are what `npm run gen`
// writes from the TypeScript declarations; every component has exactly the outputs its schema
// declares (instantiated under mocks); every schema property is described; construct refuses to
// drop an output; the client classes send the same wire values as before (secrets where they were).
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain ES module without types
import { generate, SCHEMA, SPECS, undescribed } from "../../scripts/gen-schema.mjs";
import { issueCertificate } from "../../provider/pki/certificates";
import { wireInputs } from "../../components/common/customResource";
import { resourceSpecs } from "../../components/common/resourceSpecs";

interface SchemaProp {
  description?: string;
  secret?: boolean;
  $ref?: string;
}
interface Schema {
  types: Record<string, { properties: Record<string, SchemaProp> }>;
  resources: Record<string, { isComponent?: boolean; properties: Record<string, SchemaProp>; required?: string[] }>;
}

const schema = JSON.parse(readFileSync(SCHEMA, "utf8")) as Schema;

// The engine's wire form of a secret: it returns the outputs a resource names in additionalSecretOutputs so.
const wireSecret = (value: unknown) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value });

// The resources' outputs the mocks return (the SDK reads them as the provider's outputs).
const fakeOutputs: Record<string, Record<string, unknown>> = {
  "etcd:host:HostScript": { outputs: { sha256: "0", file: "f", revision: "1", location: "l", etcdSha256: "0", arch: "amd64" } },
  "etcd:tls:Certificate": { certPem: "CERT", privateKeyPem: wireSecret("KEY"), serialNumber: "1", notAfter: "2030-01-01T00:00:00.000Z" },
  "etcd:cluster:Bootstrap": { token: "t", initialCluster: "m1=https://10.0.0.1:2380", initialMembers: ["m1"] },
  "etcd:cluster:HealthGate": { clusterId: "c", leader: "m1" },
  "etcd:cluster:Member": { memberId: "1" },
  "etcd:cluster:Rollout": { running: "3.6.16", lastRollout: "", snapshot: "" },
  "etcd:kube:Rollout": { running: "1.37.2", lastRollout: "", apiserverReadySeconds: {} },
};

const registered = new Map<pulumi.ComponentResource, string[]>();

beforeAll(async () => {
  // Real PEMs: components derive facts from them (a CA hash, a public key).
  const pem = await issueCertificate({ commonName: "mock", isCa: true, keyAlgorithm: "RSA-2048", validityHours: 24 });
  Object.assign(fakeOutputs["etcd:tls:Certificate"], { certPem: pem.certPem, privateKeyPem: wireSecret(pem.privateKeyPem) });
  pulumi.runtime.setMocks(
    {
      newResource: (a) => {
        if (a.type === "etcd:tls:RandomSecret") {
          const value = a.inputs.kind === "aes256" ? Buffer.alloc(32, 7).toString("base64") : "abcdef.0123456789abcdef";
          return { id: `${a.name}-id`, state: { ...a.inputs, value: wireSecret(value), publicId: "abcdef" } };
        }
        return { id: `${a.name}-id`, state: { ...a.inputs, ...(fakeOutputs[a.type] ?? {}) } };
      },
      call: (a) => a.inputs,
    },
    "project",
    "stack",
    false,
  );
  // What each component registers as its outputs.
  const original = pulumi.ComponentResource.prototype["registerOutputs"];
  pulumi.ComponentResource.prototype["registerOutputs"] = function (this: pulumi.ComponentResource, outputs?: pulumi.Inputs) {
    // The first call is the component's own; the SDK calls it again, without outputs, after initialize.
    if (!registered.has(this)) registered.set(this, Object.keys(outputs ?? {}));
    return original.call(this, outputs);
  };
});

/** The component's public outputs: its fields that are Outputs or objects of Outputs (what construct can return). */
function publicOutputs(c: object): string[] {
  const isOutputs = (v: unknown) =>
    pulumi.Output.isInstance(v) ||
    (typeof v === "object" &&
      v !== null &&
      !Array.isArray(v) &&
      Object.keys(v).length > 0 &&
      Object.values(v).every(pulumi.Output.isInstance));
  return Object.entries(c)
    .filter(([k, v]) => !k.startsWith("__") && k !== "urn" && isOutputs(v))
    .map(([k]) => k)
    .sort();
}

/** What differs between a component's outputs (fields and registered) and its schema entry. */
function outputMismatch(token: string, c: pulumi.ComponentResource): string[] {
  const declared = Object.keys(schema.resources[token].properties).sort();
  const problems: string[] = [];
  const fields = publicOutputs(c);
  for (const k of declared) if (!fields.includes(k)) problems.push(`${token}: schema output ${k} is not a field of the component`);
  for (const k of fields) if (!declared.includes(k)) problems.push(`${token}: field ${k} is not in the schema (run npm run gen)`);
  const reg = (registered.get(c) ?? []).sort();
  if (JSON.stringify(reg) !== JSON.stringify(declared)) problems.push(`${token}: registers [${reg}], the schema declares [${declared}]`);
  return problems;
}

async function secretOf(v: unknown): Promise<boolean> {
  return (v as pulumi.Output<unknown>).isSecret;
}

const conn = { host: "10.0.0.1", user: "root", privateKey: "KEY", hostKey: "ssh-ed25519 AAAA" };
const members = [{ name: "m1", connection: conn }];

async function components(): Promise<[string, pulumi.ComponentResource][]> {
  const {
    EtcdCA,
    EtcdCluster,
    EtcdSnapshot,
    KubeControlPlane,
    KubeControlPlaneMember,
    KubeLoadBalancer,
    KubePki,
    SnapshotSchedule,
    TrustedCaFile,
  } = await import("../../components");
  const ca = await issueCertificate({ commonName: "adopted CA", isCa: true, keyAlgorithm: "ECDSA-P256", validityHours: 24 });
  const kubeSha256 = {
    "kube-apiserver": "a".repeat(64),
    "kube-controller-manager": "b".repeat(64),
    "kube-scheduler": "c".repeat(64),
    kubectl: "d".repeat(64),
  };
  const pki = new KubePki("pki", { etcdCa: { certPem: ca.certPem, privateKeyPem: ca.privateKeyPem } });
  return [
    ["etcd:index:EtcdCA", new EtcdCA("ca")],
    ["etcd:index:EtcdCA", new EtcdCA("adopted", { existing: { certPem: ca.certPem, privateKeyPem: ca.privateKeyPem } })],
    ["etcd:index:EtcdCluster", new EtcdCluster("etcd", { members, ca: { certPem: ca.certPem, privateKeyPem: ca.privateKeyPem } })],
    ["etcd:index:TrustedCaFile", new TrustedCaFile("file", { certPem: ca.certPem, hosts: [conn] })],
    ["etcd:index:SnapshotSchedule", new SnapshotSchedule("backups", { clusterName: "etcd", members })],
    ["etcd:index:EtcdSnapshot", new EtcdSnapshot("snap", { clusterName: "etcd", members })],
    [
      "etcd:index:KubeControlPlane",
      new KubeControlPlane("cp", {
        hosts: [{ name: "cp1", connection: { ...conn, host: "10.0.0.5" } }],
        version: "1.37.2",
        sha256: {
          "kube-apiserver": "a".repeat(64),
          "kube-controller-manager": "b".repeat(64),
          "kube-scheduler": "c".repeat(64),
          kubectl: "d".repeat(64),
        },
        etcd: { external: { endpoints: ["https://10.0.0.1:2379"], caCertPem: ca.certPem, caPrivateKeyPem: ca.privateKeyPem } },
      }),
    ],
    ["etcd:index:KubePki", pki],
    [
      "etcd:index:KubeControlPlaneMember",
      new KubeControlPlaneMember("member", {
        connection: { ...conn, host: "10.0.0.6" },
        version: "1.37.2",
        sha256: kubeSha256,
        pki,
        etcd: { caCertPem: ca.certPem },
        settings: {
          clusterName: "kubernetes",
          dnsDomain: "cluster.local",
          serviceCidr: "10.96.0.0/12",
          etcdServers: ["https://10.0.0.1:2379"],
          encryptionAtRest: false,
          audit: false,
          apiserverPort: 6443,
          shutdownDelaySeconds: 5,
        },
        endpoint: "https://10.0.0.6:6443",
      }),
    ],
    [
      "etcd:index:KubeLoadBalancer",
      new KubeLoadBalancer("lb", {
        hosts: [{ name: "lb1", connection: { ...conn, host: "10.0.0.7" } }],
        backends: [{ name: "member", address: "10.0.0.6", port: 6443 }],
        caCertPem: ca.certPem,
      }),
    ],
  ];
}

describe("schema.json is generated from the TypeScript declarations", () => {
  it("the committed schema.json and resourceSpecs.ts are what `npm run gen` writes", async () => {
    const { schemaText, specsText } = await generate();
    expect(readFileSync(SCHEMA, "utf8"), "schema.json is stale: run npm run gen").toBe(schemaText);
    expect(readFileSync(SPECS, "utf8"), `${path.basename(SPECS)} is stale: run npm run gen`).toBe(specsText);
  }, 180_000);

  it("every property of every resource and type has a description", () => {
    expect(undescribed(schema)).toEqual([]);
    // ...and the check finds one that has none.
    const copy = JSON.parse(JSON.stringify(schema)) as Schema;
    delete copy.resources["etcd:index:EtcdCA"].properties.certPem.description;
    delete copy.types["etcd:index:HostConnection"].properties.host.description;
    expect(undescribed(copy)).toEqual(["etcd:index:EtcdCA output.certPem", "etcd:index:HostConnection.host"]);
  });

  it("serves every component construct serves, and every custom resource with a handler", () => {
    const tokens = Object.keys(schema.resources).sort();
    expect(tokens).toEqual(
      [
        "etcd:cluster:Bootstrap",
        "etcd:cluster:HealthGate",
        "etcd:cluster:Maintenance",
        "etcd:cluster:Member",
        "etcd:cluster:Restore",
        "etcd:cluster:Rollout",
        "etcd:host:HostScript",
        "etcd:kube:DataSwitch",
        "etcd:kube:Rollout",
        "etcd:tls:Certificate",
        "etcd:tls:RandomSecret",
        "etcd:index:EtcdCA",
        "etcd:index:EtcdCluster",
        "etcd:index:EtcdSnapshot",
        "etcd:index:KubeControlPlane",
        "etcd:index:KubeControlPlaneMember",
        "etcd:index:KubeLoadBalancer",
        "etcd:index:KubePki",
        "etcd:index:SnapshotSchedule",
        "etcd:index:TrustedCaFile",
      ].sort(),
    );
    expect(Object.keys(resourceSpecs).sort()).toEqual(tokens.filter((t) => !schema.resources[t].isComponent));
  });

  it("EtcdCA takes an existing CA (its key secret) and gives its private key as a secret output", () => {
    const ca = schema.resources["etcd:index:EtcdCA"] as unknown as { inputProperties: Record<string, SchemaProp> };
    expect(ca.inputProperties.existing.$ref).toBe("#/types/etcd:index:CaKeyPair");
    expect(schema.types["etcd:index:CaKeyPair"].properties.privateKeyPem.secret).toBe(true);
    expect(schema.resources["etcd:index:EtcdCA"].properties.privateKeyPem.secret).toBe(true);
    const cluster = schema.resources["etcd:index:EtcdCluster"] as unknown as { inputProperties: Record<string, SchemaProp> };
    expect(cluster.inputProperties.ca.$ref).toBe("#/types/etcd:index:CaKeyPair");
  });

  it("the control plane's phases: certificates in, keys secret; lists of resources stay TypeScript-only", () => {
    type Entry = { inputProperties: Record<string, SchemaProp>; requiredInputs: string[] };
    const member = schema.resources["etcd:index:KubeControlPlaneMember"] as unknown as Entry;
    expect(member.inputProperties.pki.$ref).toBe("#/types/etcd:index:KubeMemberPki");
    expect(member.inputProperties.encryptionKey.secret).toBe(true);
    expect(member.requiredInputs.sort()).toEqual(["connection", "endpoint", "etcd", "pki", "settings", "version"]);
    const pki = schema.types["etcd:index:KubeMemberPki"].properties;
    for (const k of ["ca", "frontProxyCa"]) expect(pki[k].$ref, k).toBe("#/types/etcd:index:CaKeyPair");
    for (const k of ["apiserverKubeletClient", "frontProxyClient", "admin", "controllerManager", "scheduler", "etcdClient"])
      expect(pki[k].$ref, k).toBe("#/types/etcd:index:CertKeyPair");
    expect(schema.types["etcd:index:CertKeyPair"].properties.privateKeyPem.secret).toBe(true);
    expect(schema.types["etcd:index:ServiceAccountKeyPair"].properties.privateKeyPem.secret).toBe(true);
    expect(schema.types["etcd:index:KeyPair"].properties.privateKeyPem.secret).toBe(true);
    expect(Object.keys(member.inputProperties)).not.toContain("installAfter");
    expect(Object.keys(member.inputProperties)).not.toContain("startAfter");
    const lb = schema.resources["etcd:index:KubeLoadBalancer"] as unknown as Entry;
    expect(Object.keys(lb.inputProperties)).not.toContain("after");
    expect(Object.keys(schema.types)).not.toContain("etcd:index:Resource");
  });
});

describe("every component has exactly the outputs its schema declares", () => {
  it("each component's Output fields and registered outputs are its schema outputs", async () => {
    const problems: string[] = [];
    for (const [token, c] of await components()) problems.push(...outputMismatch(token, c));
    expect(problems).toEqual([]);
  });

  it("the outputs the schema marks secret are secrets", async () => {
    for (const [token, c] of await components()) {
      const props = schema.resources[token].properties;
      for (const [k, p] of Object.entries(props)) {
        const v = (c as unknown as Record<string, unknown>)[k];
        if (p.secret) expect(await secretOf(v), `${token}.${k}`).toBe(true);
        const type = p.$ref ? schema.types[p.$ref.replace("#/types/", "")] : undefined;
        for (const [n, q] of Object.entries(type?.properties ?? {}))
          if (q.secret) expect(await secretOf((v as Record<string, unknown>)[n]), `${token}.${k}.${n}`).toBe(true);
      }
    }
  });

  it("a component that lacks an output is caught, and construct refuses to drop it", async () => {
    const { EtcdCA } = await import("../../components");
    const { componentState } = await import("../../provider/construct");
    const lacking = new EtcdCA("lacking");
    delete (lacking as unknown as Record<string, unknown>).notAfter;
    expect(outputMismatch("etcd:index:EtcdCA", lacking)).toContain(
      "etcd:index:EtcdCA: schema output notAfter is not a field of the component",
    );
    const outputs = Object.keys(schema.resources["etcd:index:EtcdCA"].properties);
    expect(() => componentState("etcd:index:EtcdCA", lacking, outputs)).toThrow(/lacks the output\(s\) its schema declares: notAfter/);
    expect(Object.keys(componentState("etcd:index:EtcdCA", new EtcdCA("whole"), outputs))).toEqual(outputs);
  });
});

describe("the client classes send the wire values they sent before", () => {
  const secrets = async (v: unknown) => (pulumi.Output.isInstance(v) ? v.isSecret : false);

  it("HostScript: the connection's private key is secret, nothing else is wrapped", async () => {
    const step = { script: "install-file", env: { PE_PATH: "/x" }, stdin: "CERT" };
    const w = wireInputs(resourceSpecs["etcd:host:HostScript"], { connection: conn, create: step });
    expect(Object.keys(w)).toEqual(["connection", "create", "outputs"]);
    expect(w.outputs).toBeUndefined();
    expect(w.create).toBe(step);
    const c = w.connection as Record<string, unknown>;
    expect(await secrets(c.privateKey)).toBe(true);
    expect(c.host).toBe("10.0.0.1");
  });

  it("Certificate: the signer's key is secret when given; absent it stays absent", async () => {
    const spec = resourceSpecs["etcd:tls:Certificate"];
    expect(await secrets(wireInputs(spec, { commonName: "x", signerPrivateKeyPem: "K" }).signerPrivateKeyPem)).toBe(true);
    expect(wireInputs(spec, { commonName: "x" }).signerPrivateKeyPem).toBeUndefined();
    expect(spec.secretOutputs).toContain("privateKeyPem");
  });

  it("Restore: S3 secret key, each member's SSH key and the admin key are secret; the access key ID is not", async () => {
    const w = wireInputs(resourceSpecs["etcd:cluster:Restore"], {
      source: { s3: { endpoint: "http://s3", bucket: "b", key: "k", accessKeyId: "A", secretAccessKey: "S" } },
      members: [{ name: "m1", connection: conn }],
      adminTls: { caCertPem: "CA", certPem: "C", keyPem: "K" },
    });
    const s3 = (w.source as { s3: Record<string, unknown> }).s3;
    expect(await secrets(s3.secretAccessKey)).toBe(true);
    expect(s3.accessKeyId).toBe("A");
    expect(await secrets((w.members as { connection: Record<string, unknown> }[])[0].connection.privateKey)).toBe(true);
    expect(await secrets((w.adminTls as Record<string, unknown>).keyPem)).toBe(true);
    expect((w.adminTls as Record<string, unknown>).certPem).toBe("C");
  });
});
