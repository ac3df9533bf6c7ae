import { describe, expect, it } from "vitest";
import { canonicalAddress, httpsUrl, isDnsName, isIpAddress, isIPv6, urlHost } from "../../planning/common/addresses";

describe("address kinds", () => {
  it("tells IP addresses from names", () => {
    expect(isIpAddress("10.0.0.1")).toBe(true);
    expect(isIpAddress("fd77::b")).toBe(true);
    expect(isIpAddress("10.0.0.256")).toBe(false);
    expect(isIpAddress("node1.example")).toBe(false);
  });
  it("tells IPv6 from IPv4", () => {
    expect(isIPv6("fd77::b")).toBe(true);
    expect(isIPv6("::1")).toBe(true);
    expect(isIPv6("10.0.0.1")).toBe(false);
    expect(isIPv6("node1")).toBe(false);
  });
  it.each(["node1", "node1.example", "a-b.example.org", "N1.Example", "x".repeat(63)])("accepts the DNS name %s", (n) => {
    expect(isDnsName(n)).toBe(true);
  });
  it.each(["", "-node", "node-", "a..b", "a_b.example", "node1.example.", "a b", "x".repeat(64), Array(5).fill("a".repeat(60)).join(".")])(
    "rejects %j as a DNS name",
    (n) => {
      expect(isDnsName(n)).toBe(false);
    },
  );
});

describe("URLs", () => {
  it("brackets IPv6 literals only", () => {
    expect(urlHost("fd77::b")).toBe("[fd77::b]");
    expect(urlHost("10.0.0.1")).toBe("10.0.0.1");
    expect(urlHost("node1.example")).toBe("node1.example");
  });
  it("builds https URLs with the port", () => {
    expect(httpsUrl("10.0.0.1", 2379)).toBe("https://10.0.0.1:2379");
    expect(httpsUrl("fd77::b", 2380)).toBe("https://[fd77::b]:2380");
    expect(httpsUrl("node1.example", 12379)).toBe("https://node1.example:12379");
  });
});

describe("canonicalAddress", () => {
  it("spells the same IPv6 address the same way", () => {
    expect(canonicalAddress("fd77::b")).toBe(canonicalAddress("FD77:0:0::B"));
    expect(canonicalAddress("fd77::b")).toBe(canonicalAddress("fd77:0000:0:0:0:0:0:000b"));
    expect(canonicalAddress("::1")).toBe(canonicalAddress("0:0:0:0:0:0:0:1"));
    expect(canonicalAddress("fd77::")).toBe(canonicalAddress("fd77:0:0:0:0:0:0:0"));
    expect(canonicalAddress("fd77::b")).toBe("fd77:0:0:0:0:0:0:b");
  });
  it("spells an embedded IPv4 tail as two groups", () => {
    expect(canonicalAddress("::ffff:10.0.0.1")).toBe("0:0:0:0:0:ffff:a00:1");
    expect(canonicalAddress("0:0:0:0:0:ffff:10.0.0.1")).toBe(canonicalAddress("::FFFF:a00:1"));
  });
  it("keeps different IPv6 addresses apart", () => {
    expect(canonicalAddress("fd77::b")).not.toBe(canonicalAddress("fd77::b:0"));
    expect(canonicalAddress("fd77::1:0:0")).not.toBe(canonicalAddress("fd77:1::"));
  });
  it("leaves IPv4 unchanged and lowercases names", () => {
    expect(canonicalAddress("10.0.0.1")).toBe("10.0.0.1");
    expect(canonicalAddress("Node1.Example")).toBe("node1.example");
  });
});
