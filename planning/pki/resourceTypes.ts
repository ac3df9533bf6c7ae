// The inputs and outputs of the provider's custom resources of this domain, declared once (see
// planning/common/resourceTypes.ts).

export interface CertificateInputs {
  /** The certificate's subject common name. */
  commonName: string;
  /** The subject organization (O=), e.g. system:masters. */
  organization?: string;
  /** A CA certificate (self-signed unless a signer is given); default false. */
  isCa?: boolean;
  /** ECDSA-P256 (default), RSA-2048 or RSA-4096. */
  keyAlgorithm?: string;
  /** Validity from now; default 10 years for a CA, 1 year otherwise. */
  validityHours?: number;
  /** DNS subject alternative names. */
  dnsNames?: string[];
  /** IP subject alternative names. */
  ipAddresses?: string[];
  /** "server" and/or "client". */
  usages?: string[];
  /** The issuing CA's certificate; without it the certificate is self-signed. */
  signerCertPem?: string;
  /**
   * The issuing CA's private key.
   * @secret
   */
  signerPrivateKeyPem?: string;
  /** Change to get a new key and certificate. */
  rotation?: number;
  /**
   * A leaf certificate only: hours before its end of validity from which a `pulumi up` issues a new
   * key and certificate (preview names it and says why); default 720 (30 days). Changing it alone
   * changes nothing until the window is reached.
   */
  renewBeforeHours?: number;
}

export interface CertificateOutputs {
  /** The certificate (PEM). */
  certPem: string;
  /**
   * The private key (PKCS#8 PEM).
   * @secret
   */
  privateKeyPem: string;
  /** The certificate's serial number (hex). */
  serialNumber: string;
  /** Start of validity (ISO 8601). */
  notBefore: string;
  /** End of validity (ISO 8601). */
  notAfter: string;
  /** sha256 fingerprint of the certificate (hex). */
  fingerprintSha256: string;
}

export interface RandomSecretInputs {
  /** "aes256": 32 random bytes, base64 (an encryption key); "bootstrap-token": kubeadm's form abcdef.0123456789abcdef. */
  kind: "aes256" | "bootstrap-token";
  /** Change to get a new value. */
  rotation?: number;
  /**
   * bootstrap-token only: hours the token is valid from when it is minted; its expiresAt is fixed
   * then, so later runs see the same value. Leave out for a token that never expires. A change
   * mints a new token.
   */
  ttlHours?: number;
}

export interface RandomSecretOutputs {
  /**
   * The random value.
   * @secret
   */
  value: string;
  /** The part that may be shown: a bootstrap token's id ("" for a key). */
  publicId: string;
  /** When a bootstrap token with ttlHours expires (RFC 3339, UTC); "" when it never does. */
  expiresAt: string;
}
