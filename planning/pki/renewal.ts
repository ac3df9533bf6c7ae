// When a leaf certificate is renewed: a `pulumi up` (and its preview) at a moment when the
// certificate's end of validity is less than renewBefore away issues a new key and certificate.
// Pure: the moment is a parameter, the Certificate handler passes Date.now().

/** 30 days: the default window before notAfter in which an `up` renews a leaf certificate. */
export const DEFAULT_RENEW_BEFORE_HOURS = 30 * 24;

export interface RenewalFacts {
  /** End of validity of the certificate in the state (ISO 8601). */
  notAfter: string;
  /** The window; default DEFAULT_RENEW_BEFORE_HOURS. */
  renewBeforeHours?: number;
  /** A CA is never renewed here: a new CA is a rotation of every leaf (its own phases). */
  isCa?: boolean;
}

export type RenewalDecision =
  | { renew: false; why: "ca" | "outside-window" | "unknown-expiry" }
  | { renew: true; why: "inside-window" | "expired"; hoursLeft: number; renewBeforeHours: number };

/** Whether a certificate with these facts is renewed at `nowMs`: now + renewBefore >= notAfter. */
export function renewalDecision(facts: RenewalFacts, nowMs: number): RenewalDecision {
  if (facts.isCa) return { renew: false, why: "ca" };
  const end = Date.parse(facts.notAfter);
  if (!Number.isFinite(end)) return { renew: false, why: "unknown-expiry" };
  const renewBeforeHours = facts.renewBeforeHours ?? DEFAULT_RENEW_BEFORE_HOURS;
  if (nowMs + renewBeforeHours * 3_600_000 < end) return { renew: false, why: "outside-window" };
  const hoursLeft = (end - nowMs) / 3_600_000;
  return { renew: true, why: hoursLeft <= 0 ? "expired" : "inside-window", hoursLeft, renewBeforeHours };
}

function hours(h: number): string {
  const a = Math.abs(h);
  if (a >= 48) return `${(a / 24).toFixed(1)} days`;
  return `${a.toFixed(1)} h`;
}

/**
 * What preview, up and refresh (the engine diffs there too) say about a certificate being renewed,
 * under the resource's name: its subject and serial, its end of validity, why (the window) and what
 * happens.
 */
export function renewalMessage(
  cert: { commonName: string; serialNumber?: string; notAfter: string },
  decision: Extract<RenewalDecision, { renew: true }>,
): string {
  const when =
    decision.why === "expired"
      ? `expired ${hours(decision.hoursLeft)} ago (${cert.notAfter})`
      : `expires ${cert.notAfter}, in ${hours(decision.hoursLeft)}`;
  const serial = cert.serialNumber ? `, serial ${cert.serialNumber}` : "";
  return (
    `CN=${cert.commonName}${serial}: ${when}, within renewBefore (${decision.renewBeforeHours} h): ` +
    `due for renewal; pulumi up issues a new key and certificate from the same CA and installs it where the old one is used`
  );
}

/** A problem with a renewBefore value, or undefined. */
export function renewBeforeProblem(value: unknown, property: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0)
    return `${property} must be a whole number of hours, 0 or more (0: renewed only once it has expired)`;
  return undefined;
}

/**
 * A warning when a leaf's validity is not longer than its window: every `up` would renew it. Legal
 * (tests use it), but rarely meant.
 */
export function renewEveryUpWarning(validityHours: number, renewBeforeHours: number): string | undefined {
  return validityHours <= renewBeforeHours
    ? `validity (${validityHours} h) is not longer than renewBefore (${renewBeforeHours} h): every pulumi up renews this certificate`
    : undefined;
}
