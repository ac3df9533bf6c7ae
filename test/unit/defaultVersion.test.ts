// Wiring (Pulumi mocks, as a preview): the version a cluster that declares none runs is the one its
// Bootstrap recorded at birth, else 0.1.0's default, for every member's install step and the Rollout,
// known at preview (else the members' layouts would be unknown and their resources replaced).
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { issueCertificate } from "../../provider/pki/certificates";
import { checksumsFor, DEFAULT_VERSION, LEGACY_DEFAULT_VERSION } from "../../planning/etcd/versions";

interface Created {
  type: string;
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the mocks hand over untyped wire values
  inputs: Record<string, any>;
}
const created: Created[] = [];
/** What each cluster's Bootstrap has in its state: "birth" records the default it is given, "none" is a 0.1.0 state. */
const bootstrapState: Record<string, "birth" | "none"> = {};
const SHA = "ab".repeat(32);
const states = new Map<string, Record<string, unknown>>();

beforeAll(async () => {
  const pem = await issueCertificate({ commonName: "mock", isCa: true, keyAlgorithm: "ECDSA-P256", validityHours: 24 });
  pulumi.runtime.setMocks(
    {
      newResource: (a) => {
        created.push({ type: a.type, name: a.name, inputs: a.inputs });
        const state: Record<string, unknown> = { ...a.inputs };
        if (a.type === "etcd:tls:Certificate")
          Object.assign(state, { certPem: pem.certPem, privateKeyPem: pem.privateKeyPem, notAfter: pem.notAfter });
        if (a.type === "etcd:cluster:Bootstrap") {
          const cluster = a.inputs.clusterName as string;
          Object.assign(state, { token: `${cluster}-t`, initialCluster: "", initialMembers: [] });
          // The engine returns a 0.1.0 state's outputs, which have no version; a new one records the default.
          if (bootstrapState[cluster] === "birth") state.version = a.inputs.defaultVersion;
          else delete state.version;
        }
        if (a.type === "etcd:host:HostScript") state.outputs = {};
        states.set(`${a.type}::${a.name}`, state);
        return { id: `${a.name}-id`, state };
      },
      // The engine's getResource: the state this deployment registered for the URN.
      call: (a) => {
        if (a.token !== "pulumi:pulumi:getResource") return a.inputs;
        const [, , type, name] = (a.inputs.urn as string).split("::");
        return { urn: a.inputs.urn, state: states.get(`${type.split("$").pop()}::${name}`) };
      },
    },
    "project",
    "stack",
    // A preview: where an output the engine does not return would be unknown (and an apply never runs).
    true,
  );
});

const value = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));

async function cluster(name: string, state: "birth" | "none", declared?: { version: string; sha256?: string }) {
  bootstrapState[name] = state;
  const { EtcdCluster } = await import("../../components");
  const c = new EtcdCluster(name, {
    members: ["a", "b", "c"].map((m, i) => ({
      name: m,
      connection: { host: `10.0.0.${i + 1}`, user: "root", privateKey: "k", hostKey: "ssh-ed25519 AAAA" },
    })),
    ...declared,
  });
  const version = await value(c.version);
  const of = (type: string, suffix: string) =>
    created.filter((r) => r.type === type && r.name.startsWith(`${name}-`) && r.name.endsWith(suffix));
  // Registration is asynchronous: wait (bounded) for the last resource that takes the version.
  for (let i = 0; i < 200 && of("etcd:cluster:Rollout", "-version").length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  return {
    version,
    declaredVersion: c.declaredVersion,
    bootstrap: of("etcd:cluster:Bootstrap", "-bootstrap")[0],
    installs: of("etcd:host:HostScript", "-install"),
    rollout: of("etcd:cluster:Rollout", "-version")[0],
  };
}

describe("a cluster that declares no version", () => {
  it("is born with the default, which its Bootstrap records and every member installs", async () => {
    const r = await cluster("fresh", "birth");
    expect(r.bootstrap.inputs.defaultVersion).toBe(DEFAULT_VERSION);
    expect(r.version).toBe(DEFAULT_VERSION);
    expect(r.declaredVersion).toBeUndefined();
    expect(r.installs).toHaveLength(3);
    for (const i of r.installs) {
      expect(i.inputs.create.env.PE_VERSION).toBe(DEFAULT_VERSION);
      expect(i.inputs.create.env.PE_URL).toContain(`/v${DEFAULT_VERSION}/etcd-v${DEFAULT_VERSION}-linux-{arch}.tar.gz`);
      expect(i.inputs.create.env.PE_SHA256_AMD64).toBe(checksumsFor(DEFAULT_VERSION).amd64);
      expect(i.inputs.delete.env.PE_VERSION).toBe(DEFAULT_VERSION);
    }
    expect(r.rollout.inputs.version).toBe(DEFAULT_VERSION);
    // The members list holds the SSH key: a secret on the wire.
    const members = r.rollout.inputs.members.value ?? r.rollout.inputs.members;
    expect(members.map((m: { layout: { version: string } }) => m.layout.version)).toEqual([
      DEFAULT_VERSION,
      DEFAULT_VERSION,
      DEFAULT_VERSION,
    ]);
  });

  it("created by 0.1.0 (no recorded version) keeps 0.1.0's default, 3.6.9, though the default moved", async () => {
    expect(DEFAULT_VERSION).not.toBe(LEGACY_DEFAULT_VERSION);
    const r = await cluster("old", "none", { sha256: SHA } as never);
    expect(r.version).toBe(LEGACY_DEFAULT_VERSION);
    for (const i of r.installs) {
      expect(i.inputs.create.env.PE_VERSION).toBe(LEGACY_DEFAULT_VERSION);
      expect(i.inputs.create.env.PE_SHA256_AMD64).toBe(SHA);
    }
    expect(r.rollout.inputs.version).toBe(LEGACY_DEFAULT_VERSION);
    // The sha256 given is the checksum of the version the cluster keeps.
    expect(r.rollout.inputs.checksums).toEqual({ [LEGACY_DEFAULT_VERSION]: SHA });
  });
});

describe("a cluster that declares its version", () => {
  it("runs the declared one whatever its Bootstrap recorded", async () => {
    const r = await cluster("declared", "birth", { version: "v3.6.16", sha256: SHA });
    expect(r.declaredVersion).toBe("3.6.16");
    expect(r.version).toBe("3.6.16");
    for (const i of r.installs) expect(i.inputs.create.env.PE_VERSION).toBe("3.6.16");
    expect(r.rollout.inputs.version).toBe("3.6.16");
    expect(r.rollout.inputs.checksums).toEqual({ "3.6.16": SHA });
  });
});
