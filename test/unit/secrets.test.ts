import { describe, expect, it } from "vitest";
import { containsUnknown, reveal, sameValue, secret, UNKNOWN } from "../../provider/common/secrets";
import { typeOf } from "../../provider/provider";

describe("wire values", () => {
  it("reveals nested secrets and compares by content", () => {
    const wire = { a: secret("k"), b: [secret({ c: 1 })] };
    expect(reveal(wire)).toEqual({ a: "k", b: [{ c: 1 }] });
    expect(sameValue(wire, { b: [{ c: 1 }], a: "k" })).toBe(true);
    expect(sameValue(wire, { a: "other", b: [{ c: 1 }] })).toBe(false);
  });

  it("finds unknowns anywhere, also inside secrets", () => {
    expect(containsUnknown({ a: [1, secret(UNKNOWN)] })).toBe(true);
    expect(containsUnknown({ a: [1, secret("x")] })).toBe(false);
  });

  it("takes the resource type from a URN, also under a parent", () => {
    expect(typeOf("urn:pulumi:dev::p::etcd:index:EtcdCA$etcd:tls:Certificate::ca-ca")).toBe("etcd:tls:Certificate");
    expect(typeOf("urn:pulumi:dev::p::etcd:host:HostScript::x")).toBe("etcd:host:HostScript");
  });
});
