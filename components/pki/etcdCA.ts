// EtcdCA: the cluster's certificate authority and its client certificates.
import * as pulumi from "@pulumi/pulumi";
import { X509Certificate } from "node:crypto";
import { Certificate } from "./customResources";

/** How long the leaf certificates a component issues are valid, and when `pulumi up` renews them. */
export interface LeafCertificateOptions {
  /** Validity of the leaf certificates issued here (server, peer, client), in hours; default 1 year. */
  certValidityHours?: pulumi.Input<number>;
  /**
   * Hours before a leaf certificate's end of validity from which `pulumi up` renews it: a new key and
   * certificate from the same CA, installed without restarting etcd (it reads the files again for
   * every new TLS connection). `pulumi preview` names each certificate it renews and why. Default
   * 720 (30 days); 0 renews only an expired one. Changing it alone changes nothing.
   */
  certRenewBeforeHours?: pulumi.Input<number>;
}

/** A certificate's identity and end of validity, as the outputs list them. */
export interface CertificateStatus {
  /** Which certificate: "ca", "admin", "healthcheck", "apiserver-etcd-client", "<member>/server", "<member>/peer". */
  name: string;
  /** Serial number (hex, as openssl prints it). */
  serialNumber: string;
  /** End of validity (ISO 8601). */
  notAfter: string;
}

/** An existing CA certificate and its private key (for example kubeadm's etcd CA). */
export interface CaKeyPair {
  /** The CA certificate (PEM). */
  certPem: pulumi.Input<string>;
  /**
   * The CA's private key (PEM).
   * @secret
   */
  privateKeyPem: pulumi.Input<string>;
}

export interface EtcdCAArgs {
  /** Key algorithm of the CA (when created) and of the certificates issued here: ECDSA-P256 (default), RSA-2048 or RSA-4096. */
  keyAlgorithm?: pulumi.Input<string>;
  /** CA validity in hours when the CA is created; default 10 years. */
  validityHours?: pulumi.Input<number>;
  /** Validity of the client certificates issued here, in hours; default 1 year. */
  leafValidityHours?: pulumi.Input<number>;
  /**
   * Hours before a client certificate's end of validity from which `pulumi up` renews it (preview
   * says which and why); default 720 (30 days). Changing it alone changes nothing.
   */
  leafRenewBeforeHours?: pulumi.Input<number>;
  /** The created CA's common name; default "<name> etcd CA". */
  commonName?: pulumi.Input<string>;
  /** Adopt an existing CA (for example kubeadm's etcd CA) instead of creating one. */
  existing?: CaKeyPair;
  /** Change to re-issue the client certificates. */
  rotation?: pulumi.Input<number>;
}

/** A client certificate issued by the CA. */
export interface ClientCertificate {
  /** The certificate (PEM). */
  certPem: pulumi.Output<string>;
  /**
   * Its private key (PEM).
   * @secret
   */
  privateKeyPem: pulumi.Output<string>;
  /** End of validity (ISO 8601). */
  notAfter: pulumi.Output<string>;
  /** Serial number (hex). */
  serialNumber: pulumi.Output<string>;
}

const CA_VALIDITY_HOURS = 10 * 365 * 24;
const LEAF_VALIDITY_HOURS = 365 * 24;

/** The cluster's certificate authority (created, or an adopted existing CA) and its client certificates. */
export class EtcdCA extends pulumi.ComponentResource {
  /** The CA certificate (PEM). */
  readonly certPem: pulumi.Output<string>;
  /**
   * The CA's private key (PEM), to hand the CA to an EtcdCluster (its `ca` input) from any language.
   * @secret
   */
  readonly privateKeyPem: pulumi.Output<string>;
  /** End of the CA's validity (ISO 8601). */
  readonly notAfter: pulumi.Output<string>;
  /** The CA's and the client certificates' serial numbers and ends of validity. */
  readonly certificates: pulumi.Output<CertificateStatus[]>;
  /** Client certificate for etcdctl. */
  readonly admin: ClientCertificate;
  /** Client certificate for health checks (etcdctl endpoint health). */
  readonly healthcheck: ClientCertificate;
  /** Client certificate for kube-apiserver (O=system:masters). */
  readonly apiserverEtcdClient: ClientCertificate;
  /** Validity of the client certificates issued here, in hours. */
  readonly leafValidityHours: pulumi.Output<number>;
  /** Key algorithm of the certificates issued here. */
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
          renewBeforeHours: args.leafRenewBeforeHours,
        },
        child,
      );
      return { certPem: c.certPem, privateKeyPem: c.privateKeyPem, notAfter: c.notAfter, serialNumber: c.serialNumber };
    };
    this.admin = client("admin", "etcd-admin");
    this.healthcheck = client("healthcheck", "etcd-healthcheck");
    this.apiserverEtcdClient = client("apiserver-etcd-client", "kube-apiserver-etcd-client", "system:masters");

    const status = (name: string, c: ClientCertificate) =>
      pulumi.all([c.serialNumber, c.notAfter]).apply(([serialNumber, notAfter]) => ({ name, serialNumber, notAfter }));
    const caStatus = this.certPem.apply((pem) => {
      const x = new X509Certificate(pem);
      return { name: "ca", serialNumber: x.serialNumber, notAfter: new Date(x.validTo).toISOString() };
    });
    this.certificates = pulumi.all([
      caStatus,
      status("admin", this.admin),
      status("healthcheck", this.healthcheck),
      status("apiserver-etcd-client", this.apiserverEtcdClient),
    ]);

    this.registerOutputs({
      certificates: this.certificates,
      certPem: this.certPem,
      privateKeyPem: this.privateKeyPem,
      notAfter: this.notAfter,
      admin: this.admin,
      healthcheck: this.healthcheck,
      apiserverEtcdClient: this.apiserverEtcdClient,
      leafValidityHours: this.leafValidityHours,
      keyAlgorithm: this.keyAlgorithm,
    });
  }
}
