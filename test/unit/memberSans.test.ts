import { describe, expect, it } from "vitest";
import { memberSans } from "../../planning/pki/memberSans";

describe("memberSans", () => {
  it("splits addresses, extra names and the host name into IP and DNS SANs, with loopback, once each", () => {
    expect(memberSans(["10.0.0.1", "etcd-1.example.com", "fd00::1"], "etcd-1", ["10.0.0.1", "vip.example.com"])).toEqual({
      ips: ["10.0.0.1", "fd00::1", "127.0.0.1", "::1"],
      dns: ["etcd-1.example.com", "vip.example.com", "etcd-1", "localhost"],
    });
  });
});
