// Client-side class of the provider's Certificate resource (provider/pki/certificateHandler.ts).
import * as pulumi from "@pulumi/pulumi";

export interface CertificateArgs {
  commonName: pulumi.Input<string>;
  organization?: pulumi.Input<string>;
  isCa?: pulumi.Input<boolean>;
  /** ECDSA-P256 (default), RSA-2048 or RSA-4096. */
  keyAlgorithm?: pulumi.Input<string>;
  validityHours?: pulumi.Input<number>;
  dnsNames?: pulumi.Input<pulumi.Input<string>[]>;
  ipAddresses?: pulumi.Input<pulumi.Input<string>[]>;
  /** "server" and/or "client". */
  usages?: pulumi.Input<pulumi.Input<string>[]>;
  signerCertPem?: pulumi.Input<string>;
  signerPrivateKeyPem?: pulumi.Input<string>;
  /** Change to get a new key and certificate. */
  rotation?: pulumi.Input<number>;
}

export class Certificate extends pulumi.CustomResource {
  declare readonly certPem: pulumi.Output<string>;
  declare readonly privateKeyPem: pulumi.Output<string>;
  declare readonly serialNumber: pulumi.Output<string>;
  declare readonly notAfter: pulumi.Output<string>;
  declare readonly fingerprintSha256: pulumi.Output<string>;

  constructor(name: string, args: CertificateArgs, opts?: pulumi.CustomResourceOptions) {
    const inputs = {
      ...args,
      signerPrivateKeyPem: args.signerPrivateKeyPem && pulumi.secret(args.signerPrivateKeyPem),
      certPem: undefined,
      privateKeyPem: undefined,
      serialNumber: undefined,
      notAfter: undefined,
      fingerprintSha256: undefined,
    };
    super("etcd:tls:Certificate", name, inputs, { ...opts, additionalSecretOutputs: ["privateKeyPem"] });
  }
}
