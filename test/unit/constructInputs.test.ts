// A YAML variable that holds a list (`members: ${members}`) reaches construct as ONE Output (secret
// when an element holds the SSH key). construct must still hand each component a list, with the
// schema's secret properties secret again (the key stays a secret) and the others plain, as when
// the list is written inline; a list not known yet is refused with a message that says what to do.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { settleInputs } from "../../provider/common/constructInputs";
import { construct } from "../../provider/construct";
import { issueCertificate } from "../../provider/pki/certificates";

const conn = (host: string) => ({ host, user: "root", privateKey: "KEY", hostKey: "ssh-ed25519 AAAA" });
const members = [
  { name: "m1", connection: conn("10.0.0.1"), addresses: ["10.0.0.1"] },
  { name: "m2", connection: conn("10.0.0.2") },
  { name: "m3", connection: conn("10.0.0.3") },
];

/** What the SDK's construct server makes of a secret list (or one with dependencies). */
function arrived<T>(value: T, opts: { secret?: boolean; known?: boolean; deps?: pulumi.Resource[] } = {}): pulumi.Output<T> {
  const Impl = pulumi.Output as unknown as new (...a: unknown[]) => pulumi.Output<T>;
  return new Impl(
    opts.deps ?? [],
    Promise.resolve(value),
    Promise.resolve(opts.known ?? true),
    Promise.resolve(opts.secret ?? true),
    Promise.resolve([]),
  );
}

const value = <T>(o: unknown) => (o as { promise(): Promise<T> }).promise();
const schema = JSON.parse(
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require("node:fs").readFileSync(require("node:path").join(__dirname, "..", "..", "schema.json"), "utf8"),
) as { resources: Record<string, { inputProperties: Record<string, object> }>; types: Record<string, object> };
const props = (token: string) => schema.resources[token].inputProperties;

// The resources' outputs the mocks return (as in schema.test.ts).
const wireSecret = (v: unknown) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: v });
const fakeOutputs: Record<string, Record<string, unknown>> = {
  "etcd:host:HostScript": { outputs: { sha256: "0", file: "f", revision: "1", location: "l", etcdSha256: "0", arch: "amd64" } },
  "etcd:tls:Certificate": { certPem: "CERT", privateKeyPem: wireSecret("KEY"), serialNumber: "1", notAfter: "2030-01-01T00:00:00.000Z" },
  "etcd:cluster:Bootstrap": { token: "t", initialCluster: "m1=https://10.0.0.1:2380", initialMembers: ["m1"] },
  "etcd:cluster:HealthGate": { clusterId: "c", leader: "m1" },
  "etcd:cluster:Member": { memberId: "1" },
};

// HostScripts as the mocks saw them: the connection's key must arrive as a secret.
const hostScripts: { name: string; keySecret: boolean }[] = [];

beforeAll(() => {
  pulumi.runtime.setMocks(
    {
      newResource: (a) => {
        if (a.type === "etcd:host:HostScript") {
          // The SDK lifts a nested secret to the top of the property: the connection is secret, its key inside.
          const c = a.inputs.connection as { value?: { privateKey?: string } };
          hostScripts.push({
            name: a.name,
            keySecret: JSON.stringify(c) === JSON.stringify(wireSecret(c.value)) && c.value?.privateKey === "KEY",
          });
        }
        return { id: `${a.name}-id`, state: { ...a.inputs, ...(fakeOutputs[a.type] ?? {}) } };
      },
      call: (a) => a.inputs,
    },
    "project",
    "stack",
    false,
  );
});

describe("construct inputs: a list that arrives as one value", () => {
  it("becomes a list again; the SSH key secret, the rest plain, the value's dependencies kept", async () => {
    const dep = new pulumi.DependencyResource("urn:pulumi:stack::project::aws:ec2:Instance::vm");
    const { inputs, dependsOn } = await settleInputs(
      "etcd:index:EtcdCluster",
      { members: arrived(members, { deps: [dep] }), version: "3.6.16" },
      props("etcd:index:EtcdCluster"),
      schema.types as never,
    );
    const got = inputs.members as { name: string; connection: Record<string, unknown>; addresses?: string[] }[];
    expect(Array.isArray(got)).toBe(true);
    expect(got.map((m) => m.name)).toEqual(["m1", "m2", "m3"]);
    expect(got[0].connection.host).toBe("10.0.0.1");
    expect(got[0].addresses).toEqual(["10.0.0.1"]);
    const key = got[1].connection.privateKey as pulumi.Output<string>;
    expect(pulumi.Output.isInstance(key)).toBe(true);
    expect(await key.isSecret).toBe(true);
    expect(await value(key)).toBe("KEY");
    expect(dependsOn).toEqual([dep]);
    expect(inputs.version).toBe("3.6.16");
  });

  it("leaves a list written inline as it is (its own Outputs, with their own secrecy)", async () => {
    const key = pulumi.secret("KEY");
    const inline = [{ name: "m1", connection: { ...conn("10.0.0.1"), privateKey: key } }];
    const { inputs, dependsOn } = await settleInputs(
      "etcd:index:EtcdCluster",
      { members: inline },
      props("etcd:index:EtcdCluster"),
      schema.types as never,
    );
    const got = inputs.members as typeof inline;
    expect(got[0].connection.privateKey).toBe(key);
    expect(dependsOn).toEqual([]);
  });

  it("rebuilds an element that arrived as one value inside a list written inline", async () => {
    const { inputs } = await settleInputs(
      "etcd:index:SnapshotSchedule",
      { members: [arrived(members[0]), members[1]] },
      props("etcd:index:SnapshotSchedule"),
      schema.types as never,
    );
    const got = inputs.members as { name: string; connection: { privateKey: unknown } }[];
    expect(got.map((m) => m.name)).toEqual(["m1", "m2"]);
    expect(await (got[0].connection.privateKey as pulumi.Output<string>).isSecret).toBe(true);
    expect(got[1].connection.privateKey).toBe("KEY"); // given plain: left alone
  });

  it("refuses a list that is not known yet (preview), saying to write it inline", async () => {
    await expect(
      settleInputs(
        "etcd:index:EtcdCluster",
        { members: arrived(members, { known: false }) },
        props("etcd:index:EtcdCluster"),
        schema.types as never,
      ),
    ).rejects.toThrow(/etcd:index:EtcdCluster: members is not known yet .* write the list inline/);
  });

  it("construct builds every component with a list input from one secret value; the key reaches the hosts as a secret", async () => {
    const ca = await issueCertificate({ commonName: "ca", isCa: true, keyAlgorithm: "ECDSA-P256", validityHours: 24 });
    const cases: [string, Record<string, unknown>][] = [
      [
        "etcd:index:EtcdCluster",
        { members: arrived(members), ca: { certPem: ca.certPem, privateKeyPem: pulumi.secret(ca.privateKeyPem) } },
      ],
      ["etcd:index:SnapshotSchedule", { clusterName: "etcd", members: arrived(members) }],
      ["etcd:index:EtcdSnapshot", { clusterName: "etcd", members: arrived(members) }],
      ["etcd:index:TrustedCaFile", { certPem: ca.certPem, hosts: arrived(members.map((m) => m.connection)) }],
    ];
    for (const [type, inputs] of cases) {
      const r = await construct(type.split(":")[2].toLowerCase(), type, inputs, {});
      expect(r.urn, type).toBeDefined();
    }
    await new Promise((r) => setTimeout(r, 100)); // let the mocks see every registration
    expect(hostScripts.length).toBeGreaterThanOrEqual(3 + 3 + 1 + 3);
    expect(hostScripts.filter((h) => !h.keySecret)).toEqual([]);
  });
});
