// Facts read from a certificate the user supplies (an adopted CA): its validity.
import { X509Certificate } from "node:crypto";

export function certNotAfter(pem: string): string {
  return new Date(new X509Certificate(pem).validTo).toISOString();
}

export function certNotBefore(pem: string): string {
  return new Date(new X509Certificate(pem).validFrom).toISOString();
}
