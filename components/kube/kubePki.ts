// KubePki: the Kubernetes PKI of one cluster in kubeadm's terms: the cluster CA, the front-proxy CA,
// the service-account key pair and the client certificates the control plane uses (admin,
// controller-manager, scheduler, apiserver → kubelet, front-proxy client, apiserver → etcd).
// Usable alone by people who distribute certificates their own way; the apiserver serving
// certificates are per host (KubeControlPlaneMember issues them from `ca`).
import * as pulumi from "@pulumi/pulumi";
import { certNotAfter } from "../../planning/pki/certInfo";
import { publicKeyPem } from "../../planning/pki/publicKey";
import { CaKeyPair } from "../pki/etcdCA";
import { Certificate } from "../pki/customResources";

/** A certificate and its key. */
export interface KeyPair {
  /** The certificate (PEM). */
  certPem: pulumi.Output<string>;
  /**
   * The private key (PEM).
   * @secret
   */
  privateKeyPem: pulumi.Output<string>;
  /** End of validity (ISO 8601). */
  notAfter: pulumi.Output<string>;
}

/** The service-account signing key pair. */
export interface ServiceAccountKey {
  /**
   * The private key (PEM): the controller-manager and apiservers sign tokens with it.
   * @secret
   */
  privateKeyPem: pulumi.Output<string>;
  /** The public key (PEM): the apiservers verify tokens with it. */
  publicKeyPem: pulumi.Output<string>;
}

export interface KubePkiArgs {
  /** An existing cluster CA (for example kubeadm's pki/ca.crt and ca.key); created when not given. */
  ca?: CaKeyPair;
  /** An existing front-proxy CA; created when not given. */
  frontProxyCa?: CaKeyPair;
  /** The etcd CA: the apiservers' etcd client certificate (apiserver-etcd-client) is issued from it. */
  etcdCa?: CaKeyPair;
  /** Key algorithm of the certificates issued here: ECDSA-P256 (default), RSA-2048 or RSA-4096. */
  keyAlgorithm?: pulumi.Input<string>;
  /** Validity of the leaf certificates in hours; default 1 year (the CAs: 10 years). */
  certValidityHours?: pulumi.Input<number>;
  /** Change to re-issue every leaf certificate (the CAs stay). */
  rotation?: pulumi.Input<number>;
}

/** The PKI of a Kubernetes control plane, in kubeadm's terms. */
export class KubePki extends pulumi.ComponentResource {
  /** The cluster CA; its key signs the kubelets' certificates (controller-manager). */
  readonly ca: KeyPair;
  /** Start of validity of the certificates issued here (ISO 8601): hosts' clocks must be past it. */
  readonly notBefore: pulumi.Output<string>;
  readonly frontProxyCa: KeyPair;
  readonly frontProxyClient: KeyPair;
  readonly apiserverKubeletClient: KeyPair;
  /** The cluster admin (O=system:masters). */
  readonly admin: KeyPair;
  readonly controllerManager: KeyPair;
  readonly scheduler: KeyPair;
  readonly serviceAccount: ServiceAccountKey;
  /** The apiservers' etcd client certificate (only with etcdCa). */
  readonly etcdClient?: KeyPair;
  readonly keyAlgorithm?: pulumi.Input<string>;
  readonly certValidityHours: pulumi.Input<number>;
  readonly rotation?: pulumi.Input<number>;

  constructor(name: string, args: KubePkiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etcd:index:KubePki", name, {}, opts);
    const child = { parent: this };
    this.keyAlgorithm = args.keyAlgorithm;
    this.certValidityHours = args.certValidityHours ?? 365 * 24;
    this.rotation = args.rotation;
    const pair = (c: Certificate): KeyPair => ({ certPem: c.certPem, privateKeyPem: c.privateKeyPem, notAfter: c.notAfter });
    const caOf = (kind: string, commonName: string, existing?: CaKeyPair): KeyPair => {
      if (existing)
        return {
          certPem: pulumi.output(existing.certPem),
          privateKeyPem: pulumi.secret(existing.privateKeyPem),
          notAfter: pulumi.output(existing.certPem).apply(certNotAfter),
        };
      return pair(new Certificate(`${name}-${kind}`, { commonName, isCa: true, keyAlgorithm: args.keyAlgorithm }, child));
    };
    this.ca = caOf("ca", "kubernetes", args.ca);
    this.frontProxyCa = caOf("front-proxy-ca", "front-proxy-ca", args.frontProxyCa);
    const leaf = (
      kind: string,
      signer: { certPem: pulumi.Input<string>; privateKeyPem: pulumi.Input<string> },
      commonName: string,
      organization?: string,
    ) =>
      new Certificate(
        `${name}-${kind}`,
        {
          commonName,
          organization,
          keyAlgorithm: args.keyAlgorithm,
          validityHours: this.certValidityHours,
          usages: ["client"],
          signerCertPem: signer.certPem,
          signerPrivateKeyPem: signer.privateKeyPem,
          rotation: args.rotation,
        },
        child,
      );
    const admin = leaf("admin", this.ca, "kubernetes-admin", "system:masters");
    this.admin = pair(admin);
    this.notBefore = admin.notBefore;
    this.apiserverKubeletClient = pair(leaf("apiserver-kubelet-client", this.ca, "kube-apiserver-kubelet-client", "system:masters"));
    this.controllerManager = pair(leaf("controller-manager", this.ca, "system:kube-controller-manager"));
    this.scheduler = pair(leaf("scheduler", this.ca, "system:kube-scheduler"));
    this.frontProxyClient = pair(leaf("front-proxy-client", this.frontProxyCa, "front-proxy-client"));
    if (args.etcdCa) this.etcdClient = pair(leaf("apiserver-etcd-client", args.etcdCa, "kube-apiserver-etcd-client"));
    // Only the key is used: a self-signed certificate is how the Certificate resource makes a key.
    const sa = new Certificate(`${name}-sa`, { commonName: "service-accounts", isCa: true, keyAlgorithm: "RSA-2048" }, child);
    this.serviceAccount = { privateKeyPem: sa.privateKeyPem, publicKeyPem: sa.privateKeyPem.apply(publicKeyPem) };
    this.registerOutputs({ ca: this.ca, admin: this.admin });
  }
}
