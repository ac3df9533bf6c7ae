// Components built inside the provider process, for programs in other languages (YAML, Python, Go)
// that use this package through its schema. TypeScript programs construct the same classes
// in their own process.
import * as pulumi from "@pulumi/pulumi";
import type * as provider from "@pulumi/pulumi/provider";
import { EtcdCA, EtcdCluster, TrustedCaFile } from "../components";

type Factory = (
  name: string,
  inputs: pulumi.Inputs,
  opts: pulumi.ComponentResourceOptions,
) => { urn: pulumi.Output<string>; state: pulumi.Inputs };

const factories: Record<string, Factory> = {
  "etcd:index:EtcdCA": (name, inputs, opts) => {
    const ca = new EtcdCA(name, inputs, opts);
    return {
      urn: ca.urn,
      state: {
        certPem: ca.certPem,
        notAfter: ca.notAfter,
        admin: ca.admin,
        healthcheck: ca.healthcheck,
        apiserverEtcdClient: ca.apiserverEtcdClient,
      },
    };
  },
  "etcd:index:EtcdCluster": (name, inputs, opts) => {
    const c = new EtcdCluster(name, inputs as never, opts);
    return {
      urn: c.urn,
      state: {
        clientEndpoints: c.clientEndpoints,
        caCertPem: c.caCertPem,
        admin: c.admin,
        members: c.members,
        etcdctlEnv: c.etcdctlEnv,
        clusterId: c.clusterId,
      },
    };
  },
  "etcd:index:TrustedCaFile": (name, inputs, opts) => {
    const f = new TrustedCaFile(name, inputs as never, opts);
    return { urn: f.urn, state: { sha256: f.sha256 } };
  },
};

export async function construct(
  name: string,
  type: string,
  inputs: pulumi.Inputs,
  options: pulumi.ComponentResourceOptions,
): Promise<provider.ConstructResult> {
  const factory = factories[type];
  if (!factory) throw new Error(`unknown component type ${type}`);
  return factory(name, inputs, options);
}
