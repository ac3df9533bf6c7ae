// KubePki: the Kubernetes PKI of one cluster in kubeadm's terms: the cluster CA, the front-proxy CA,
// the service-account key pair and the client certificates the control plane uses (admin,
// controller-manager, scheduler, apiserver → kubelet, front-proxy client, apiserver → etcd).
// Usable alone (also from YAML and other languages: every certificate is an output, keys as
// secrets) by people who distribute certificates their own way; the apiserver serving certificates
// are per host (KubeControlPlaneMember issues them from `ca`). A KubePki is a KubeMemberPki, the
// certificates a KubeControlPlaneMember takes, which can also come from elsewhere.
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

/** A certificate and its private key, as PEM (a KubePki's, or ones you give: from pulumi-tls, files). */
export interface CertKeyPair {
  /** The certificate (PEM). */
  certPem: pulumi.Input<string>;
  /**
   * Its private key (PEM).
   * @secret
   */
  privateKeyPem: pulumi.Input<string>;
}

/** The service-account signing key pair, as PEM (kubeadm's sa.key and sa.pub). */
export interface ServiceAccountKeyPair {
  /**
   * The private key (PEM): the controller-manager signs tokens with it.
   * @secret
   */
  privateKeyPem: pulumi.Input<string>;
  /** The public key (PEM): the apiservers verify tokens with it; default derived from the private key. */
  publicKeyPem?: pulumi.Input<string>;
}

/**
 * The certificates one control-plane host needs, in kubeadm's terms. A KubePki has this shape (give
 * it as is); or give your own (from pulumi-tls, files, another tool): the apiserver serving
 * certificate is issued on the host's behalf from `ca`, so the CA's key is needed.
 */
export interface KubeMemberPki {
  /** The cluster CA (pki/ca.crt, ca.key): clients' and kubelets' CA, and the issuer of the apiserver serving certificate. */
  ca: CaKeyPair;
  /** The apiserver's client certificate to the kubelets (pki/apiserver-kubelet-client.crt, O=system:masters). */
  apiserverKubeletClient: CertKeyPair;
  /** The front-proxy CA (pki/front-proxy-ca.crt): the apiserver checks aggregated API requests with it. */
  frontProxyCa: CaKeyPair;
  /** The apiserver's client certificate to aggregated APIs (pki/front-proxy-client.crt, CN=front-proxy-client). */
  frontProxyClient: CertKeyPair;
  /** The service-account signing key pair (pki/sa.key, sa.pub). */
  serviceAccount: ServiceAccountKeyPair;
  /** The cluster admin's client certificate (admin.conf; CN=kubernetes-admin, O=system:masters). */
  admin: CertKeyPair;
  /** The controller-manager's client certificate (controller-manager.conf; CN=system:kube-controller-manager). */
  controllerManager: CertKeyPair;
  /** The scheduler's client certificate (scheduler.conf; CN=system:kube-scheduler). */
  scheduler: CertKeyPair;
  /** The apiservers' etcd client certificate (pki/apiserver-etcd-client.crt), unless the member's etcd.client is given. */
  etcdClient?: CertKeyPair;
  /** Key algorithm of the apiserver serving certificate: ECDSA-P256 (default), RSA-2048 or RSA-4096. */
  keyAlgorithm?: pulumi.Input<string>;
  /** Validity of the apiserver serving certificate in hours; default 1 year. */
  certValidityHours?: pulumi.Input<number>;
  /** Change to re-issue the apiserver serving certificate. */
  rotation?: pulumi.Input<number>;
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
  /** The front-proxy CA: the apiservers check aggregated API requests with it. */
  readonly frontProxyCa: KeyPair;
  /** The apiservers' client certificate to aggregated APIs (CN=front-proxy-client). */
  readonly frontProxyClient: KeyPair;
  /** The apiservers' client certificate to the kubelets (O=system:masters). */
  readonly apiserverKubeletClient: KeyPair;
  /** The cluster admin (O=system:masters). */
  readonly admin: KeyPair;
  /** The controller-manager's client certificate (CN=system:kube-controller-manager). */
  readonly controllerManager: KeyPair;
  /** The scheduler's client certificate (CN=system:kube-scheduler). */
  readonly scheduler: KeyPair;
  /** The service-account signing key pair (RSA-2048). */
  readonly serviceAccount: ServiceAccountKey;
  /** The apiservers' etcd client certificate (only with etcdCa). */
  readonly etcdClient?: KeyPair;
  /** TypeScript only: what the member issues its apiserver serving certificate with. */
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
    // The public key is public: not a secret output, though derived from one.
    this.serviceAccount = { privateKeyPem: sa.privateKeyPem, publicKeyPem: pulumi.unsecret(sa.privateKeyPem.apply(publicKeyPem)) };
    this.registerOutputs({
      ca: this.ca,
      notBefore: this.notBefore,
      frontProxyCa: this.frontProxyCa,
      frontProxyClient: this.frontProxyClient,
      apiserverKubeletClient: this.apiserverKubeletClient,
      admin: this.admin,
      controllerManager: this.controllerManager,
      scheduler: this.scheduler,
      serviceAccount: this.serviceAccount,
      etcdClient: this.etcdClient,
    });
  }
}
