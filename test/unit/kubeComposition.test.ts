// Wiring only (mocks): a KubeControlPlane behind a load balancer another resource of the program
// makes (an AWS NLB, whose DNS name is known only after it exists), as examples/aws composes it.
// The endpoint, the apiserver certificates' SANs and the hosts' admin.conf follow that output.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { issueCertificate } from "../../provider/pki/certificates";

const wireSecret = (value: unknown) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value });
const created: { type: string; name: string; inputs: Record<string, unknown> }[] = [];
const NLB_DNS = "kube-api-0123456789.elb.eu-west-1.amazonaws.com";

beforeAll(async () => {
  const pem = await issueCertificate({ commonName: "mock", isCa: true, keyAlgorithm: "ECDSA-P256", validityHours: 24 });
  pulumi.runtime.setMocks(
    {
      newResource: (a) => {
        created.push({ type: a.type, name: a.name, inputs: a.inputs });
        const state: Record<string, unknown> = { ...a.inputs };
        // What the user's @pulumi/aws NLB returns (the AWS provider cannot be built here: equivalent values).
        if (a.type === "aws:lb/loadBalancer:LoadBalancer") state.dnsName = NLB_DNS;
        if (a.type === "etcd:tls:Certificate")
          Object.assign(state, {
            certPem: pem.certPem,
            privateKeyPem: wireSecret(pem.privateKeyPem),
            notAfter: pem.notAfter,
            notBefore: pem.notBefore,
          });
        if (a.type === "etcd:tls:RandomSecret")
          Object.assign(state, {
            value: wireSecret(a.inputs.kind === "aes256" ? Buffer.alloc(32, 1).toString("base64") : "abcdef.0123456789abcdef"),
            publicId: "abcdef",
          });
        if (a.type === "etcd:host:HostScript") state.outputs = { digest: "d", controllerManagerLeader: "cp1_x", schedulerLeader: "cp1_y" };
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

describe("KubeControlPlane behind a load balancer made by the program (an NLB)", () => {
  it("takes the NLB's DNS name, known only after it exists, as endpoint and SAN", async () => {
    const { KubeControlPlane } = await import("../../components");
    // Stands in for aws.lb.LoadBalancer: a custom resource whose dnsName the provider returns.
    class Nlb extends pulumi.CustomResource {
      declare readonly dnsName: pulumi.Output<string>;
      constructor(name: string) {
        super("aws:lb/loadBalancer:LoadBalancer", name, { dnsName: undefined, loadBalancerType: "network" });
      }
    }
    const nlb = new Nlb("kube-api");
    const conn = (host: string) => ({ host, user: "root", privateKey: "KEY", hostKey: "ssh-ed25519 AAAA" });
    const cp = new KubeControlPlane("kube", {
      hosts: [
        { name: "cp1", connection: conn("10.0.1.11") },
        { name: "cp2", connection: conn("10.0.1.12") },
      ],
      version: "1.36.3", // pinned checksums: no sha256 needed
      etcd: { external: { endpoints: ["https://10.0.0.11:2379"], caCertPem: "CA", caPrivateKeyPem: "KEY" } },
      loadBalancer: { endpoint: pulumi.interpolate`${nlb.dnsName}:6443` },
    });
    expect(await value(cp.endpoint)).toBe(`https://${NLB_DNS}:6443`);
    await value(cp.adminKubeconfig);
    const serving = created.filter((r) => r.type === "etcd:tls:Certificate" && /-apiserver$/.test(r.name));
    expect(serving.map((r) => r.name).sort()).toEqual(["kube-cp1-apiserver", "kube-cp2-apiserver"]);
    for (const r of serving) expect(r.inputs.dnsNames).toContain(NLB_DNS);
    // The NLB path gets the longer settle wait between hosts (its health checks are slower than haproxy's).
    const services = created.filter((r) => r.type === "etcd:host:HostScript" && /-service$/.test(r.name));
    for (const s of services) expect((s.inputs.create as { env: Record<string, string> }).env.PE_SETTLE_SECONDS).toBe("30");
    // No haproxy is installed anywhere: the user's load balancer does the job.
    expect(created.some((r) => r.type === "etcd:host:HostScript" && /haproxy/.test(r.name))).toBe(false);
  });
});
