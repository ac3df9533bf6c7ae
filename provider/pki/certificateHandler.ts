// etcd:tls:Certificate: a private key and an X.509 certificate, self-signed (a CA) or signed by a CA.
// Every input change replaces it: a certificate is never edited in place. `rotation` exists so that
// a user can ask for new keys explicitly (see the README on rotation). A leaf is also replaced when
// the diff (at preview and at up) finds its end of validity less than `renewBeforeHours` away; the
// window itself is not part of its identity, so changing it alone changes nothing.
import { CertificateSpec, issueCertificate, validateSpec } from "./certificates";
import {
  DEFAULT_RENEW_BEFORE_HOURS,
  renewalDecision,
  renewalMessage,
  renewBeforeProblem,
  renewEveryUpWarning,
} from "../../planning/pki/renewal";
import { containsUnknown, reveal, sameValue, secret } from "../common/secrets";
import { changedKeys, ResourceHandler } from "../common/handler";

const DEFAULTS = { keyAlgorithm: "ECDSA-P256", isCa: false, rotation: 0 };
// Inputs that only feed the outputs' metadata are not part of the certificate identity.
const OUTPUT_ONLY = ["certPem", "privateKeyPem", "serialNumber", "notBefore", "notAfter", "fingerprintSha256"];
// Inputs that steer renewal only: a change is no reason for a new certificate.
const STEERING = ["renewBeforeHours"];

/** The resource's name, the last part of its URN. */
const nameOf = (urn: string) => urn.split("::").pop() ?? urn;

/** Whether the certificate recorded in `olds` is renewed now, with the window declared in `news`; and the warning saying so. */
export function renewal(olds: Record<string, unknown>, news: Record<string, unknown>, now = Date.now()): string | undefined {
  const o = reveal<Record<string, unknown>>(olds);
  if (containsUnknown(news.renewBeforeHours) || containsUnknown(news.isCa) || typeof o.notAfter !== "string") return undefined;
  const n = reveal<Record<string, unknown>>(news);
  const renewBeforeHours = n.renewBeforeHours === undefined ? DEFAULT_RENEW_BEFORE_HOURS : Number(n.renewBeforeHours);
  const decision = renewalDecision({ notAfter: o.notAfter, renewBeforeHours, isCa: Boolean(n.isCa ?? o.isCa) }, now);
  if (!decision.renew) return undefined;
  const cert = {
    commonName: String(o.commonName ?? ""),
    serialNumber: o.serialNumber as string | undefined,
    notAfter: o.notAfter,
  };
  // Said once, with the renewal it causes (check runs more than once per resource).
  const validity = typeof n.validityHours === "number" ? renewEveryUpWarning(n.validityHours, renewBeforeHours) : undefined;
  return renewalMessage(cert, decision) + (validity ? `; note: its ${validity}` : "");
}

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
    const inputs: Record<string, unknown> = { ...DEFAULTS, ...news };
    if (containsUnknown(inputs)) return { inputs };
    const failures = validateSpec(specOf(inputs)).map((reason) => ({ property: "", reason }));
    const problem = renewBeforeProblem(reveal(inputs.renewBeforeHours), "renewBeforeHours");
    if (problem) failures.push({ property: "renewBeforeHours", reason: problem });
    return { inputs, failures };
  },

  async diff(olds, news, ctx) {
    const identity = (o: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(o).filter(([k]) => !OUTPUT_ONLY.includes(k) && !STEERING.includes(k)));
    const replaces = changedKeys(identity(olds), identity(news), sameValue);
    if (replaces.length === 0) {
      // Nothing declared changed: only time can make it due (never a new release by itself).
      const why = renewal(olds, news);
      if (why) {
        if (ctx) await ctx.warn("certs", nameOf(ctx.urn), why);
        replaces.push("notAfter");
      }
    }
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
