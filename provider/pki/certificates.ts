// Key and certificate generation for the etcd PKI. Plain TypeScript, no Pulumi types: the provider's
// Certificate resource calls it, and unit tests call it directly.
import { createPrivateKey, randomBytes, webcrypto, X509Certificate } from "node:crypto";
import type * as X509 from "@peculiar/x509";
import type { CertificateOutputs } from "../../planning/pki/resourceTypes";

const subtle = webcrypto.subtle;

// @peculiar/x509 (with reflect-metadata, which it needs loaded first) takes a noticeable part of a
// second to load: it is loaded when the first certificate is issued, not when the plugin starts.
let x509Module: typeof X509 | undefined;
async function loadX509(): Promise<typeof X509> {
  if (!x509Module) {
    await import("reflect-metadata");
    const m = await import("@peculiar/x509");
    m.cryptoProvider.set(webcrypto as unknown as Crypto);
    x509Module = m;
  }
  return x509Module;
}

export const KEY_ALGORITHMS = ["ECDSA-P256", "RSA-2048", "RSA-4096"] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];
export const USAGES = ["server", "client"] as const;
export type Usage = (typeof USAGES)[number];

export interface CertificateSpec {
  commonName: string;
  organization?: string;
  isCa: boolean;
  keyAlgorithm: KeyAlgorithm;
  validityHours: number;
  dnsNames?: string[];
  ipAddresses?: string[];
  usages?: Usage[];
  /** Issuer; absent means self-signed (only allowed for a CA). */
  signer?: { certPem: string; privateKeyPem: string };
}

/** What issuing returns: the Certificate resource's outputs (declared once in planning). */
export type IssuedCertificate = CertificateOutputs;

function algorithmFor(alg: KeyAlgorithm): RsaHashedKeyGenParams | EcKeyGenParams {
  if (alg === "ECDSA-P256") return { name: "ECDSA", namedCurve: "P-256" };
  const modulusLength = alg === "RSA-2048" ? 2048 : 4096;
  return { name: "RSASSA-PKCS1-v1_5", modulusLength, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" };
}

function signingAlgorithm(key: CryptoKey): Algorithm | EcdsaParams {
  return key.algorithm.name === "ECDSA" ? { name: "ECDSA", hash: "SHA-256" } : { name: "RSASSA-PKCS1-v1_5" };
}

/** Imports a PEM private key (PKCS#8, SEC1 or PKCS#1; EC P-256 or RSA) for signing. */
export async function importSigningKey(pem: string): Promise<CryptoKey> {
  const key = createPrivateKey(pem);
  const der = key.export({ type: "pkcs8", format: "der" });
  if (key.asymmetricKeyType === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve !== "prime256v1") throw new Error(`unsupported EC curve ${curve}: use P-256`);
    return subtle.importKey("pkcs8", der, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
  }
  if (key.asymmetricKeyType === "rsa") {
    return subtle.importKey("pkcs8", der, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["sign"]);
  }
  throw new Error(`unsupported signer key type ${key.asymmetricKeyType}: use ECDSA P-256 or RSA`);
}

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString("base64");
  return `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g)!.join("\n")}\n-----END ${label}-----\n`;
}

function distinguishedName(cn: string, org?: string): string {
  const esc = (v: string) => v.replace(/([,+"\\<>;=])/g, "\\$1");
  return org ? `CN=${esc(cn)}, O=${esc(org)}` : `CN=${esc(cn)}`;
}

export function validateSpec(spec: CertificateSpec): string[] {
  const errors: string[] = [];
  if (!spec.commonName) errors.push("commonName is required");
  if (!KEY_ALGORITHMS.includes(spec.keyAlgorithm)) {
    errors.push(`keyAlgorithm ${JSON.stringify(spec.keyAlgorithm)} is not one of ${KEY_ALGORITHMS.join(", ")}`);
  }
  if (!Number.isInteger(spec.validityHours) || spec.validityHours < 1) {
    errors.push("validityHours must be a whole number of hours, at least 1");
  }
  if (!spec.isCa && !spec.signer) errors.push("a leaf certificate needs a signer (the CA certificate and key)");
  for (const u of spec.usages ?? []) if (!USAGES.includes(u)) errors.push(`usage ${JSON.stringify(u)} is not one of ${USAGES.join(", ")}`);
  return errors;
}

export async function issueCertificate(spec: CertificateSpec): Promise<IssuedCertificate> {
  const errors = validateSpec(spec);
  if (errors.length) throw new Error(`invalid certificate request for ${spec.commonName}: ${errors.join("; ")}`);

  const x509 = await loadX509();
  const keys = (await subtle.generateKey(algorithmFor(spec.keyAlgorithm), true, ["sign", "verify"])) as CryptoKeyPair;
  // Backdate a little so a host whose clock is slightly behind accepts the certificate at once.
  const notBefore = new Date(Date.now() - 5 * 60_000);
  const notAfter = new Date(Date.now() + spec.validityHours * 3_600_000);
  const serialNumber = randomBytes(16);
  serialNumber[0] &= 0x7f; // positive
  const subject = distinguishedName(spec.commonName, spec.organization);

  const extensions: X509.Extension[] = [];
  if (spec.isCa) {
    extensions.push(new x509.BasicConstraintsExtension(true, undefined, true));
    extensions.push(
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
    );
  } else {
    extensions.push(new x509.BasicConstraintsExtension(false, undefined, true));
    const ku = x509.KeyUsageFlags.digitalSignature | (spec.keyAlgorithm === "ECDSA-P256" ? 0 : x509.KeyUsageFlags.keyEncipherment);
    extensions.push(new x509.KeyUsagesExtension(ku, true));
    const eku: string[] = [];
    if (spec.usages?.includes("server")) eku.push(x509.ExtendedKeyUsage.serverAuth);
    if (spec.usages?.includes("client")) eku.push(x509.ExtendedKeyUsage.clientAuth);
    if (eku.length) extensions.push(new x509.ExtendedKeyUsageExtension(eku, false));
  }
  const names: X509.JsonGeneralName[] = [
    ...(spec.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(spec.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
  ];
  if (names.length) extensions.push(new x509.SubjectAlternativeNameExtension(names, false));
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey));

  let issuer = subject;
  let signingKey = keys.privateKey;
  if (spec.signer) {
    const caCert = new x509.X509Certificate(spec.signer.certPem);
    issuer = caCert.subject;
    signingKey = await importSigningKey(spec.signer.privateKeyPem);
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(caCert, false));
  }

  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber.toString("hex"),
    subject,
    issuer,
    notBefore,
    notAfter,
    signingAlgorithm: signingAlgorithm(signingKey),
    publicKey: keys.publicKey,
    signingKey,
    extensions,
  });
  const certPem = cert.toString("pem") + "\n";
  const privateKeyPem = toPem(await subtle.exportKey("pkcs8", keys.privateKey), "PRIVATE KEY");
  const parsed = new X509Certificate(certPem);
  return {
    certPem,
    privateKeyPem,
    serialNumber: parsed.serialNumber,
    notBefore: new Date(parsed.validFrom).toISOString(),
    notAfter: new Date(parsed.validTo).toISOString(),
    fingerprintSha256: parsed.fingerprint256,
  };
}
