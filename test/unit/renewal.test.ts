import { describe, expect, it } from "vitest";
import {
  DEFAULT_RENEW_BEFORE_HOURS,
  renewalDecision,
  renewalMessage,
  renewBeforeProblem,
  renewEveryUpWarning,
} from "../../planning/pki/renewal";
import { certificate, renewal } from "../../provider/pki/certificateHandler";
import { secret } from "../../provider/common/secrets";
import type { Context } from "../../provider/common/handler";

const H = 3_600_000;
const NOW = Date.parse("2026-12-03T12:00:00Z");
const at = (hoursFromNow: number) => new Date(NOW + hoursFromNow * H).toISOString();

describe("renewalDecision: renewed when now + renewBefore >= notAfter", () => {
  it("30 days by default", () => {
    expect(DEFAULT_RENEW_BEFORE_HOURS).toBe(720);
    expect(renewalDecision({ notAfter: at(721) }, NOW)).toEqual({ renew: false, why: "outside-window" });
    expect(renewalDecision({ notAfter: at(720) }, NOW)).toMatchObject({ renew: true, why: "inside-window", hoursLeft: 720 });
    expect(renewalDecision({ notAfter: at(24 * 365) }, NOW).renew).toBe(false);
  });

  it("2-day certificates: renewed with a 3-day window, not with a 1-day one", () => {
    expect(renewalDecision({ notAfter: at(47.9), renewBeforeHours: 72 }, NOW)).toMatchObject({ renew: true, renewBeforeHours: 72 });
    expect(renewalDecision({ notAfter: at(47.9), renewBeforeHours: 24 }, NOW).renew).toBe(false);
  });

  it("an expired certificate is renewed, also with a window of 0", () => {
    expect(renewalDecision({ notAfter: at(-5), renewBeforeHours: 0 }, NOW)).toMatchObject({ renew: true, why: "expired", hoursLeft: -5 });
    expect(renewalDecision({ notAfter: at(1), renewBeforeHours: 0 }, NOW).renew).toBe(false);
  });

  it("never a CA (that is a rotation of every leaf), nor a certificate whose expiry is not known", () => {
    expect(renewalDecision({ notAfter: at(1), isCa: true }, NOW)).toEqual({ renew: false, why: "ca" });
    expect(renewalDecision({ notAfter: "" }, NOW)).toEqual({ renew: false, why: "unknown-expiry" });
  });
});

describe("renewalMessage: which certificate, when it expires, why, what happens", () => {
  it("inside the window", () => {
    const d = renewalDecision({ notAfter: at(47.9), renewBeforeHours: 72 }, NOW);
    if (!d.renew) throw new Error("expected a renewal");
    expect(renewalMessage({ commonName: "m1", serialNumber: "0A1B", notAfter: at(47.9) }, d)).toBe(
      `CN=m1, serial 0A1B: expires ${at(47.9)}, in 47.9 h, within renewBefore (72 h): ` +
        "due for renewal; pulumi up issues a new key and certificate from the same CA and installs it where the old one is used",
    );
  });
  it("expired, in days", () => {
    const d = renewalDecision({ notAfter: at(-72) }, NOW);
    if (!d.renew) throw new Error("expected a renewal");
    expect(renewalMessage({ commonName: "etcd-admin", notAfter: at(-72) }, d)).toMatch(
      /^CN=etcd-admin: expired 3\.0 days ago \(2026-11-30T12:00:00\.000Z\), within renewBefore \(720 h\)/,
    );
  });
});

describe("renewBefore values", () => {
  it("whole hours, 0 or more", () => {
    expect(renewBeforeProblem(undefined, "x")).toBeUndefined();
    expect(renewBeforeProblem(0, "x")).toBeUndefined();
    expect(renewBeforeProblem(72, "x")).toBeUndefined();
    expect(renewBeforeProblem(-1, "x")).toMatch(/whole number of hours/);
    expect(renewBeforeProblem(1.5, "x")).toMatch(/whole number of hours/);
    expect(renewBeforeProblem("72", "x")).toMatch(/whole number of hours/);
  });
  it("a validity not longer than the window is renewed on every up: a warning", () => {
    expect(renewEveryUpWarning(48, 72)).toMatch(/every pulumi up renews this certificate/);
    expect(renewEveryUpWarning(8760, 720)).toBeUndefined();
  });
});

describe("the Certificate resource's diff", () => {
  const urn = "urn:pulumi:s::p::etcd:index:EtcdCluster$etcd:tls:Certificate::etcd-m1-server";
  const warnings: string[] = [];
  const ctx: Context = {
    urn,
    log: async () => undefined,
    warn: async (phase, subject, message) => void warnings.push(`[${phase}] ${subject}: ${message}`),
  };
  const inputs = {
    commonName: "m1",
    isCa: false,
    keyAlgorithm: "ECDSA-P256",
    rotation: 0,
    validityHours: 8760,
    usages: ["server", "client"],
    signerCertPem: "CA",
    signerPrivateKeyPem: secret("CAKEY"),
  };
  const state = (notAfter: string, extra: Record<string, unknown> = {}) => ({
    ...inputs,
    ...extra,
    certPem: "PEM",
    privateKeyPem: secret("KEY"),
    serialNumber: "0A1B",
    notBefore: at(-1),
    notAfter,
    fingerprintSha256: "AA",
  });

  it("outside the window: no diff, no warning (also for a state written before renewBeforeHours existed)", async () => {
    warnings.length = 0;
    const far = new Date(Date.now() + 300 * 24 * H).toISOString();
    expect(await certificate.diff(state(far), inputs, ctx)).toMatchObject({ changes: false, replaces: [] });
    expect(await certificate.diff(state(far), { ...inputs, renewBeforeHours: 720 }, ctx)).toMatchObject({ changes: false });
    expect(warnings).toEqual([]);
  });

  it("a change of renewBeforeHours alone is no change", async () => {
    const far = new Date(Date.now() + 300 * 24 * H).toISOString();
    expect(await certificate.diff(state(far, { renewBeforeHours: 24 }), { ...inputs, renewBeforeHours: 96 }, ctx)).toMatchObject({
      changes: false,
    });
  });

  it("inside the window: a replacement, and a warning that preview shows", async () => {
    warnings.length = 0;
    const soon = new Date(Date.now() + 47.9 * H).toISOString();
    const d = await certificate.diff(state(soon, { renewBeforeHours: 24 }), { ...inputs, renewBeforeHours: 72 }, ctx);
    expect(d).toMatchObject({ changes: true, replaces: ["notAfter"], deleteBeforeReplace: false });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^\[certs\] etcd-m1-server: CN=m1, serial 0A1B: expires .*, in 47\.9 h, within renewBefore \(72 h\)/);
  });

  it("the default window applies to a state without renewBeforeHours", async () => {
    const soon = new Date(Date.now() + 10 * 24 * H).toISOString();
    expect(await certificate.diff(state(soon), inputs, ctx)).toMatchObject({ changes: true, replaces: ["notAfter"] });
  });

  it("a CA inside the window is not renewed; an unknown window decides nothing", async () => {
    const soon = new Date(Date.now() + 1 * H).toISOString();
    const ca = { ...inputs, isCa: true, signerCertPem: undefined, signerPrivateKeyPem: undefined };
    expect(
      await certificate.diff(state(soon, { isCa: true, signerCertPem: undefined, signerPrivateKeyPem: undefined }), ca, ctx),
    ).toMatchObject({
      changes: false,
    });
    expect(renewal(state(soon), { ...inputs, renewBeforeHours: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" })).toBeUndefined();
  });

  it("a declared change still replaces, whatever the window", async () => {
    const far = new Date(Date.now() + 300 * 24 * H).toISOString();
    expect(await certificate.diff(state(far), { ...inputs, rotation: 1 }, ctx)).toMatchObject({ changes: true, replaces: ["rotation"] });
  });

  it("check refuses a bad window; a validity not longer than the window is said with the renewal", async () => {
    warnings.length = 0;
    const bad = await certificate.check({ ...inputs, renewBeforeHours: -3 }, undefined, ctx);
    expect(bad.failures).toEqual([{ property: "renewBeforeHours", reason: expect.stringMatching(/whole number of hours/) }]);
    const short = await certificate.check({ ...inputs, validityHours: 48, renewBeforeHours: 72 }, undefined, ctx);
    expect(short.failures).toEqual([]);
    expect(warnings).toEqual([]);
    const soon = new Date(Date.now() + 47.9 * H).toISOString();
    await certificate.diff(state(soon, { validityHours: 48 }), { ...inputs, validityHours: 48, renewBeforeHours: 72 }, ctx);
    expect(warnings).toEqual([
      expect.stringMatching(
        /within renewBefore \(72 h\): due for renewal.*; note: its validity \(48 h\) is not longer than renewBefore \(72 h\): every pulumi up renews this certificate$/,
      ),
    ]);
  });
});
