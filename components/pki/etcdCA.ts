// EtcdCA: the cluster's certificate authority and its client certificates.
import * as pulumi from "@pulumi/pulumi";
import { X509Certificate } from "node:crypto";
import { Certificate } from "./customResources";

export interface EtcdCAArgs {
  /** ECDSA-P256 (default), RSA-2048 or RSA-4096. */
  keyAlgorithm?: pulumi.Input<string>;
  /** CA validity; default 10 years. */
  validityHours?: pulumi.Input<number>;
  /** Validity of the client certificates issued here; default 1 year. */
  leafValidityHours?: pulumi.Input<number>;
  commonName?: pulumi.Input<string>;
  /** Adopt an existing CA (for example kubeadm's etcd CA) instead of creating one. */
  existing?: { certPem: pulumi.Input<string>; privateKeyPem: pulumi.Input<string> };
  /** Change to re-issue the client certificates. */
  rotation?: pulumi.Input<number>;
}

export interface ClientCertificate {
  certPem: pulumi.Output<string>;
  privateKeyPem: pulumi.Output<string>;
  notAfter: pulumi.Output<string>;
}

const CA_VALIDITY_HOURS = 10 * 365 * 24;
const LEAF_VALIDITY_HOURS = 365 * 24;

export class EtcdCA extends pulumi.ComponentResource {
  readonly certPem: pulumi.Output<string>;
  readonly privateKeyPem: pulumi.Output<string>;
  readonly notAfter: pulumi.Output<string>;
  /** For etcdctl. */
  readonly admin: ClientCertificate;
  /** For health checks (etcdctl endpoint health). */
  readonly healthcheck: ClientCertificate;
  /** For kube-apiserver (O=system:masters). */
  readonly apiserverEtcdClient: ClientCertificate;
  readonly leafValidityHours: pulumi.Output<number>;
  readonly keyAlgorithm: pulumi.Output<string>;

  constructor(name: string, args: EtcdCAArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("etcd:index:EtcdCA", name, {}, opts);
    const child = { parent: this };
    this.keyAlgorithm = pulumi.output(args.keyAlgorithm ?? "ECDSA-P256");
    this.leafValidityHours = pulumi.output(args.leafValidityHours ?? LEAF_VALIDITY_HOURS);

    if (args.existing) {
      this.certPem = pulumi.output(args.existing.certPem);
      this.privateKeyPem = pulumi.secret(args.existing.privateKeyPem);
      this.notAfter = this.certPem.apply((pem) => new Date(new X509Certificate(pem).validTo).toISOString());
    } else {
      const ca = new Certificate(
        `${name}-ca`,
        {
          commonName: args.commonName ?? `${name} etcd CA`,
          isCa: true,
          keyAlgorithm: this.keyAlgorithm,
          validityHours: args.validityHours ?? CA_VALIDITY_HOURS,
        },
        child,
      );
      this.certPem = ca.certPem;
      this.privateKeyPem = ca.privateKeyPem;
      this.notAfter = ca.notAfter;
    }

    const client = (suffix: string, commonName: string, organization?: string): ClientCertificate => {
      const c = new Certificate(
        `${name}-${suffix}`,
        {
          commonName,
          organization,
          keyAlgorithm: this.keyAlgorithm,
          validityHours: this.leafValidityHours,
          usages: ["client"],
          signerCertPem: this.certPem,
          signerPrivateKeyPem: this.privateKeyPem,
          rotation: args.rotation,
        },
        child,
      );
      return { certPem: c.certPem, privateKeyPem: c.privateKeyPem, notAfter: c.notAfter };
    };
    this.admin = client("admin", "etcd-admin");
    this.healthcheck = client("healthcheck", "etcd-healthcheck");
    this.apiserverEtcdClient = client("apiserver-etcd-client", "kube-apiserver-etcd-client", "system:masters");

    this.registerOutputs({
      certPem: this.certPem,
      notAfter: this.notAfter,
      admin: this.admin,
      healthcheck: this.healthcheck,
      apiserverEtcdClient: this.apiserverEtcdClient,
    });
  }
}
