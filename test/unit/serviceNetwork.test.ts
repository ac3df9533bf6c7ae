// The service network (planning/kube/serviceNetwork.ts) and the apiserver serving certificate's
// SANs (planning/pki/kubeSans.ts), checked also on a real certificate issued with them.
import { X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import { beforeAll, describe, expect, it } from "vitest";
import {
  cidrContains,
  Cidr,
  clusterDnsIp,
  firstServiceIp,
  parseCidr,
  serviceCidrProblem,
  serviceIp,
} from "../../planning/kube/serviceNetwork";
import { apiserverSans } from "../../planning/pki/kubeSans";
import { issueCertificate, IssuedCertificate } from "../../provider/pki/certificates";

const cidr = (text: string): Cidr => {
  const c = parseCidr(text);
  if (typeof c === "string") throw new Error(c);
  return c;
};
/** An IPv6 address in its RFC 5952 text, by an independent serializer (WHATWG URL). */
const rfc5952 = (ip: string) => new URL(`http://[${ip}]/`).hostname.replace(/^\[|\]$/g, "");

describe("parseCidr", () => {
  it("parses IPv4 and IPv6 networks into family, base and prefix length", () => {
    expect(parseCidr("10.96.0.0/12")).toEqual({ family: 4, base: 0x0a600000n, bits: 12 });
    expect(parseCidr("192.168.0.0/16")).toEqual({ family: 4, base: 0xc0a80000n, bits: 16 });
    expect(parseCidr("fd00:10:96::/108")).toEqual({ family: 6, base: 0xfd000010009600000000000000000000n, bits: 108 });
    expect(parseCidr("FD00:0010:0096:0000:0000:0000:0000:0000/108")).toEqual(parseCidr("fd00:10:96::/108"));
    expect(parseCidr("0.0.0.0/0")).toEqual({ family: 4, base: 0n, bits: 0 });
  });

  it("says why a text is not a CIDR", () => {
    expect(parseCidr("10.96.0.0")).toBe('"10.96.0.0" is not a CIDR like 10.96.0.0/12');
    expect(parseCidr("10.96.0/12")).toBe('"10.96.0/12" is not a CIDR like 10.96.0.0/12');
    expect(parseCidr("10.96.0.0/1234")).toBe('"10.96.0.0/1234" is not a CIDR like 10.96.0.0/12');
    expect(parseCidr("10.96.0.0/-1")).toBe('"10.96.0.0/-1" is not a CIDR like 10.96.0.0/12');
    expect(parseCidr("10.96.0.0/33")).toBe("10.96.0.0/33: prefix length 33 is longer than 32");
    expect(parseCidr("::/129")).toBe("::/129: prefix length 129 is longer than 128");
    expect(parseCidr("10.96.0.1/12")).toBe("10.96.0.1/12 has host bits set (the network is 10.96.0.0/12)");
    expect(parseCidr("10.96.0.0/32")).toEqual({ family: 4, base: 0x0a600000n, bits: 32 });
    expect(typeof parseCidr("fd00:10:96::1/108")).toBe("string");
  });
});

describe("cidrContains", () => {
  const v4 = cidr("10.96.0.0/12");
  const v6 = cidr("fd00:10:96::/108");

  it("holds the addresses from the network address to the last one, and no others", () => {
    for (const a of ["10.96.0.0", "10.96.0.1", "10.100.7.9", "10.111.255.255"]) expect(cidrContains(v4, a), a).toBe(true);
    for (const a of ["10.95.255.255", "10.112.0.0", "11.96.0.1", "0.0.0.0"]) expect(cidrContains(v4, a), a).toBe(false);
  });

  it("holds IPv6 addresses however they are spelled, up to the /108's last address", () => {
    for (const a of ["fd00:10:96::", "fd00:10:96::1", "FD00:0010:0096:0000:0000:0000:000f:ffff", "fd00:10:96:0:0:0:a:b"])
      expect(cidrContains(v6, a), a).toBe(true);
    for (const a of ["fd00:10:96::10:0", "fd00:10:97::1", "fd00::1", "::1"]) expect(cidrContains(v6, a), a).toBe(false);
  });

  it("never holds an address of the other family", () => {
    expect(cidrContains(v4, "::ffff:10.96.0.1")).toBe(false);
    expect(cidrContains(v6, "10.96.0.1")).toBe(false);
    expect(cidrContains(cidr("::/0"), "10.0.0.1")).toBe(false);
  });
});

describe("firstServiceIp", () => {
  it("is the network address + 1 (the `kubernetes` Service's ClusterIP)", () => {
    expect(firstServiceIp("10.96.0.0/12")).toBe("10.96.0.1");
    expect(firstServiceIp("172.20.0.0/16")).toBe("172.20.0.1");
    expect(firstServiceIp("10.0.255.0/24")).toBe("10.0.255.1");
  });

  it("is fd00:10:96::1 for fd00:10:96::/108", () => {
    const ip = firstServiceIp("fd00:10:96::/108");
    expect(isIP(ip)).toBe(6);
    expect(rfc5952(ip)).toBe("fd00:10:96::1");
    expect(rfc5952(firstServiceIp("2001:db8:0:0:0:0:ab:0/112"))).toBe("2001:db8::ab:1");
  });

  it("throws on a text that is not a CIDR", () => {
    expect(() => firstServiceIp("10.96.0.1/12")).toThrow("10.96.0.1/12 has host bits set (the network is 10.96.0.0/12)");
    expect(() => firstServiceIp("services")).toThrow('"services" is not a CIDR like 10.96.0.0/12');
  });
});

describe("clusterDnsIp", () => {
  // kubeadm's constants.GetDNSIP: netutils.GetIndexedIP(serviceCIDR, 10).
  it.each([
    ["10.96.0.0/12", "10.96.0.10"],
    ["172.20.0.0/16", "172.20.0.10"],
    ["10.0.0.240/28", "10.0.0.250"],
    ["fd00:10:96::/108", "fd00:10:96::a"],
  ])("is the 10th address of %s: %s", (cidr, ip) => {
    expect(clusterDnsIp(cidr)).toBe(ip);
  });

  // kubeadm warns when the KubeletConfiguration's clusterDNS text differs from Go's net.IP.String().
  it.each(["fd00:10:96::/108", "2001:db8:0:1::/108", "2001:db8::1:0:0:0/108", "fd00:0:0:1:0:0:1:0/124", "1:2:3:4:5:6:7:0/124"])(
    "writes the IPv6 address of %s as Go does (RFC 5952)",
    (cidr) => {
      expect(clusterDnsIp(cidr)).toBe(rfc5952(clusterDnsIp(cidr)));
    },
  );

  it("throws when the range has no 10th address", () => {
    expect(() => clusterDnsIp("10.96.0.0/29")).toThrow("10.96.0.0/29 has no address number 10");
    expect(serviceIp("10.96.0.0/29", 7)).toBe("10.96.0.7");
  });
});

describe("serviceCidrProblem", () => {
  it("accepts /12 to /28 for IPv4 and /108 to /124 for IPv6", () => {
    for (const c of ["10.96.0.0/12", "10.96.0.0/16", "10.96.0.0/28", "fd00:10:96::/108", "fd00:10:96::/124"])
      expect(serviceCidrProblem(c), c).toBeUndefined();
  });

  it("refuses too large, too small and invalid ranges", () => {
    expect(serviceCidrProblem("10.96.0.0/11")).toBe(
      "serviceCidr 10.96.0.0/11 is too large: kube-apiserver allows at most 2^20 service addresses (e.g. /12 for IPv4, /108 for IPv6)",
    );
    expect(serviceCidrProblem("fd00:10::/107")).toMatch(/^serviceCidr fd00:10::\/107 is too large/);
    const small = (c: string) =>
      `serviceCidr ${c} is too small for the cluster's services: it needs at least 16 addresses (the cluster DNS Service takes the 10th)`;
    // A /29 has 8 addresses: kubeadm's cluster DNS address (the 10th) would be outside it.
    for (const c of ["10.96.0.0/29", "10.96.0.0/30", "fd00:10:96::/125", "fd00:10:96::/126"])
      expect(serviceCidrProblem(c), c).toBe(small(c));
    expect(serviceCidrProblem("10.96.0.0")).toBe('serviceCidr: "10.96.0.0" is not a CIDR like 10.96.0.0/12');
  });
});

describe("apiserverSans", () => {
  const base = {
    hostname: "cp1",
    addresses: ["10.0.0.21", "fd00::21", "cp1.example.com"],
    dnsDomain: "cluster.local",
    firstServiceIp: "10.96.0.1",
    loadBalancerAddresses: ["10.0.0.30", "api.example.com"],
  };

  it("holds kubeadm's names, the host's and the load balancer's, the first service IP and loopback", () => {
    expect(apiserverSans(base)).toEqual({
      dns: [
        "cp1",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
        "localhost",
        "cp1.example.com",
        "api.example.com",
      ],
      ips: ["10.96.0.1", "127.0.0.1", "::1", "10.0.0.21", "fd00::21", "10.0.0.30"],
    });
  });

  it("uses the cluster's DNS domain and its first service IP", () => {
    const sans = apiserverSans({ ...base, dnsDomain: "k8s.corp.example", firstServiceIp: "fd00:10:96::1" });
    expect(sans.dns).toContain("kubernetes.default.svc.k8s.corp.example");
    expect(sans.dns).not.toContain("kubernetes.default.svc.cluster.local");
    expect(sans.ips[0]).toBe("fd00:10:96::1");
  });

  it("lists a name or address given twice once", () => {
    const sans = apiserverSans({
      ...base,
      addresses: ["10.0.0.21", "cp1", "localhost", "127.0.0.1"],
      loadBalancerAddresses: ["10.0.0.21", "cp1.example.com", "cp1.example.com"],
    });
    expect(sans.dns).toEqual([
      "cp1",
      "kubernetes",
      "kubernetes.default",
      "kubernetes.default.svc",
      "kubernetes.default.svc.cluster.local",
      "localhost",
      "cp1.example.com",
    ]);
    expect(sans.ips).toEqual(["10.96.0.1", "127.0.0.1", "::1", "10.0.0.21"]);
  });

  // BUG (minor): duplicates are removed by string, so the same IPv6 address spelled twice (the
  // host's and the load balancer's, say) is listed twice in the certificate; the package counts two
  // spellings as one address everywhere else (canonicalAddress).
  it("lists the same IPv6 address spelled two ways once", () => {
    const sans = apiserverSans({ ...base, addresses: ["fd00::21"], loadBalancerAddresses: ["fd00:0:0::21"] });
    expect(sans.ips).toEqual(["10.96.0.1", "127.0.0.1", "::1", "fd00::21"]);
  });

  describe("on a certificate issued with them", () => {
    let ca: IssuedCertificate;
    beforeAll(async () => {
      ca = await issueCertificate({ commonName: "kubernetes", isCa: true, keyAlgorithm: "ECDSA-P256", validityHours: 24 });
    });
    const issue = async (sans: { dns: string[]; ips: string[] }) =>
      new X509Certificate(
        (
          await issueCertificate({
            commonName: "kube-apiserver",
            isCa: false,
            keyAlgorithm: "ECDSA-P256",
            validityHours: 24,
            dnsNames: sans.dns,
            ipAddresses: sans.ips,
            usages: ["server"],
            signer: { certPem: ca.certPem, privateKeyPem: ca.privateKeyPem },
          })
        ).certPem,
      );

    it("verifies for every name and address in-cluster clients, the LB and users connect with", async () => {
      const cert = await issue(apiserverSans(base));
      for (const name of [
        "kubernetes.default.svc.cluster.local",
        "kubernetes.default.svc",
        "kubernetes",
        "cp1",
        "api.example.com",
        "localhost",
      ])
        expect(cert.checkHost(name), name).toBe(name);
      for (const ip of ["10.96.0.1", "127.0.0.1", "10.0.0.21", "10.0.0.30"]) expect(cert.checkIP(ip), ip).toBe(ip);
      expect(cert.checkHost("cp2")).toBeUndefined();
      expect(cert.checkIP("10.0.0.22")).toBeUndefined();
    });

    it("holds the IPv6 first service IP as an address", async () => {
      const first = firstServiceIp("fd00:10:96::/108");
      const cert = await issue(apiserverSans({ ...base, firstServiceIp: first }));
      // Node prints IPv6 SANs uncompressed and in upper case.
      expect(cert.subjectAltName).toContain("IP Address:FD00:10:96:0:0:0:0:1");
      expect(cert.subjectAltName).toContain("IP Address:FD00:0:0:0:0:0:0:21");
    });
  });
});
