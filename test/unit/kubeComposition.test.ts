// Wiring only (mocks): a KubeControlPlane behind a load balancer another resource of the program
// makes (an AWS NLB, whose DNS name is known only after it exists), as examples/aws composes it.
// The endpoint, the apiserver certificates' SANs and the hosts' admin.conf follow that output.
// And the bootstrap step: kubeadm's ConfigMaps with the control plane's values, the join token's
// lifetime fixed by its RandomSecret.
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
            // What the provider fixes when it mints a token with a lifetime (randomSecretHandler).
            ...(a.inputs.ttlHours ? { expiresAt: "2030-01-02T03:04:05Z" } : {}),
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

describe("KubeControlPlane's bootstrap objects", () => {
  const conn = (host: string) => ({ host, user: "root", privateKey: "KEY", hostKey: "ssh-ed25519 AAAA" });
  const bootstrapOf = async (name: string) => {
    const step = created.find((r) => r.type === "etcd:host:HostScript" && r.name === `${name}-bootstrap`)!;
    // The step is sent as a secret as a whole (its stdin is one).
    const wire = step.inputs.create as { value?: unknown };
    const create = (wire.value ?? wire) as { env: Record<string, string>; stdin: string };
    const stdin = create.stdin;
    const items = (JSON.parse(stdin) as { items: { kind: string; metadata: { name: string }; [k: string]: unknown }[] }).items;
    return { env: create.env, item: (kind: string, n: string) => items.find((i) => i.kind === kind && i.metadata.name === n)! };
  };

  it("store kubeadm-config and kubelet-config with the control plane's values, and a token that never expires by default", async () => {
    const { KubeControlPlane } = await import("../../components");
    const cp = new KubeControlPlane("kc", {
      hosts: [{ name: "cp1", connection: conn("10.0.2.11") }],
      version: "1.36.3",
      etcd: { external: { endpoints: ["https://10.0.0.11:2379", "https://10.0.0.12:2379"], caCertPem: "CA", caPrivateKeyPem: "KEY" } },
      serviceCidr: "172.20.0.0/16",
      dnsDomain: "k8s.example.org",
      clusterName: "prod",
      keyAlgorithm: "RSA-2048",
    });
    await value(cp.joinToken);
    expect(await value(cp.joinTokenExpiresAt)).toBe("");
    const { env, item } = await bootstrapOf("kc");
    expect(env.PE_TOKEN_EXPIRATION).toBe("");
    expect(item("Secret", "bootstrap-token-abcdef").stringData).not.toHaveProperty("expiration");
    const token = created.find((r) => r.type === "etcd:tls:RandomSecret" && r.name === "kc-join-token")!;
    expect(token.inputs.ttlHours).toBeUndefined();
    const cc = (item("ConfigMap", "kubeadm-config").data as Record<string, string>).ClusterConfiguration;
    expect(cc).toContain("\nkubernetesVersion: v1.36.3\n");
    expect(cc).toContain('\ncontrolPlaneEndpoint: "10.0.2.11:6443"\n');
    expect(cc).toContain("\n    - https://10.0.0.11:2379\n    - https://10.0.0.12:2379\n");
    expect(cc).toContain('\n  serviceSubnet: "172.20.0.0/16"\n');
    expect(cc).toContain("\n  dnsDomain: k8s.example.org\n");
    expect(cc).toContain("\nclusterName: prod\n");
    expect(cc).toContain("\nencryptionAlgorithm: RSA-2048\n");
    const kubelet = (item("ConfigMap", "kubelet-config").data as Record<string, string>).kubelet;
    expect(kubelet).toContain('\nclusterDNS:\n- "172.20.0.10"\nclusterDomain: k8s.example.org\n');
  });

  it("give the token the expiration its RandomSecret fixed when it was minted (joinTokenTtlHours)", async () => {
    const { KubeControlPlane } = await import("../../components");
    const cp = new KubeControlPlane("kt", {
      hosts: [{ name: "cp1", connection: conn("10.0.3.11") }],
      version: "1.36.3",
      etcd: { external: { endpoints: ["https://10.0.0.11:2379"], caCertPem: "CA", caPrivateKeyPem: "KEY" } },
      joinTokenTtlHours: 24,
    });
    expect(await value(cp.joinTokenExpiresAt)).toBe("2030-01-02T03:04:05Z");
    await value(cp.joinToken);
    const token = created.find((r) => r.type === "etcd:tls:RandomSecret" && r.name === "kt-join-token")!;
    expect(token.inputs.ttlHours).toBe(24);
    const { env, item } = await bootstrapOf("kt");
    expect(env.PE_TOKEN_EXPIRATION).toBe("2030-01-02T03:04:05Z");
    expect((item("Secret", "bootstrap-token-abcdef").stringData as Record<string, string>).expiration).toBe("2030-01-02T03:04:05Z");
  });

  it("refuses a lifetime that is not whole hours at construct time", async () => {
    const { KubeControlPlane } = await import("../../components");
    expect(
      () =>
        new KubeControlPlane("kx", {
          hosts: [{ name: "cp1", connection: conn("10.0.4.11") }],
          version: "1.36.3",
          etcd: { external: { endpoints: ["https://10.0.0.11:2379"], caCertPem: "CA", caPrivateKeyPem: "KEY" } },
          joinTokenTtlHours: 0.5,
        }),
    ).toThrow("joinTokenTtlHours 0.5 must be a whole number of hours from 1 to 87600");
  });
});
