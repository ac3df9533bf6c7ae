// The public half of a private key (the service-account key pair: the apiservers verify tokens with
// sa.pub, the controller-manager signs with sa.key).
import { createPublicKey } from "node:crypto";

export function publicKeyPem(privateKeyPem: string): string {
  return createPublicKey(privateKeyPem).export({ type: "spki", format: "pem" }).toString();
}
