// etcd:tls:Certificate: a private key and an X.509 certificate, self-signed (a CA) or signed by a CA.
// Every input change replaces it: a certificate is never edited in place. `rotation` exists so that
// a user can ask for new keys explicitly (see the README on rotation).
import { CertificateSpec, issueCertificate, validateSpec } from "./certificates";
import { containsUnknown, reveal, sameValue, secret } from "../common/secrets";
import { changedKeys, ResourceHandler } from "../common/handler";

const DEFAULTS = { keyAlgorithm: "ECDSA-P256", isCa: false, rotation: 0 };
// Inputs that only feed the outputs' metadata are not part of the certificate identity.
const OUTPUT_ONLY = ["certPem", "privateKeyPem", "serialNumber", "notBefore", "notAfter", "fingerprintSha256"];

function specOf(inputs: Record<string, unknown>): CertificateSpec {
  const v = reveal<Record<string, unknown>>(inputs);
  const isCa = Boolean(v.isCa);
  return {
    commonName: String(v.commonName ?? ""),
    organization: v.organization as string | undefined,
    isCa,
    keyAlgorithm: v.keyAlgorithm as CertificateSpec["keyAlgorithm"],
    validityHours: Number(v.validityHours ?? (isCa ? 87600 : 8760)),
    dnsNames: v.dnsNames as string[] | undefined,
    ipAddresses: v.ipAddresses as string[] | undefined,
    usages: v.usages as CertificateSpec["usages"],
    signer: v.signerCertPem ? { certPem: String(v.signerCertPem), privateKeyPem: String(v.signerPrivateKeyPem ?? "") } : undefined,
  };
}

export const certificate: ResourceHandler = {
  async check(news) {
    const inputs = { ...DEFAULTS, ...news };
    if (containsUnknown(inputs)) return { inputs };
    const failures = validateSpec(specOf(inputs)).map((reason) => ({ property: "", reason }));
    return { inputs, failures };
  },

  async diff(olds, news) {
    const inputsOnly = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([k]) => !OUTPUT_ONLY.includes(k)));
    const replaces = changedKeys(inputsOnly(olds), news, sameValue);
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
  },

  async create(ctx, inputs) {
    const spec = specOf(inputs);
    const cert = await issueCertificate(spec);
    await ctx.log("certs", spec.commonName, `issued ${spec.isCa ? "a CA" : "a leaf"} certificate, valid until ${cert.notAfter}`);
    return {
      id: cert.serialNumber,
      outs: { ...inputs, ...cert, privateKeyPem: secret(cert.privateKeyPem) },
    };
  },

  async update() {
    throw new Error("a certificate is never updated in place; this is a bug in diff");
  },

  async delete() {
    // Nothing outside the state: the key and certificate live only there (and on hosts, which the
    // resources that put them there clean up).
  },
};
