// etcd:tls:RandomSecret (provider/pki/randomSecretHandler.ts): the encryption key and the join token,
// kept only in the state and only as secrets; a new value only when kind or rotation change.
import { describe, expect, it } from "vitest";
import { renderBootstrapManifests } from "../../planning/kube/bootstrapManifests";
import { renderEncryptionConfig } from "../../planning/kube/configFiles";
import { Context } from "../../provider/common/handler";
import { isSecret, reveal, secret } from "../../provider/common/secrets";
import { randomSecret, randomSecretValue } from "../../provider/pki/randomSecretHandler";

const TOKEN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;

function context(): Context & { logs: string[] } {
  const logs: string[] = [];
  return {
    urn: "urn:pulumi:dev::p::etcd:index:KubeControlPlane$etcd:tls:RandomSecret::cp-join-token",
    logs,
    log: async (phase: string, subject: string, m: string) => void logs.push(`[${phase}] ${subject}: ${m}`),
    warn: async (phase: string, subject: string, m: string) => void logs.push(`warn: [${phase}] ${subject}: ${m}`),
  };
}

describe("RandomSecret check", () => {
  it("refuses an unknown kind", async () => {
    for (const kind of ["aes128", "", undefined, "AES256"]) {
      const r = await randomSecret.check({ kind });
      expect(r.failures, String(kind)).toEqual([{ property: "kind", reason: "kind must be one of aes256, bootstrap-token" }]);
    }
  });

  it("accepts both kinds, also sent as secrets, and passes the inputs on unchanged", async () => {
    for (const inputs of [{ kind: "aes256" }, { kind: "bootstrap-token", rotation: 2 }, { kind: secret("aes256") }]) {
      const r = await randomSecret.check(inputs);
      expect(r.failures).toEqual([]);
      expect(r.inputs).toBe(inputs);
    }
  });
});

describe("RandomSecret create", () => {
  it("makes a base64 32-byte key for aes256, wrapped as a secret, with no public id", async () => {
    const ctx = context();
    const r = await randomSecret.create(ctx, { kind: "aes256" });
    const outs = r.outs as Record<string, unknown>;
    expect(isSecret(outs.value)).toBe(true);
    const key = reveal<string>(outs.value);
    expect(key).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(key, "base64")).toHaveLength(32);
    expect(Buffer.from(key, "base64").toString("base64")).toBe(key);
    expect(outs.publicId).toBe("");
    expect(outs.kind).toBe("aes256");
    expect(r.id).toMatch(/^aes256-\d+$/);
    expect(() => renderEncryptionConfig(key)).not.toThrow();
    expect(ctx.logs.join("\n")).not.toContain(key);
  });

  it("makes a bootstrap token abcdef.0123456789abcdef whose id is the public id and the resource id", async () => {
    const ctx = context();
    const r = await randomSecret.create(ctx, { kind: "bootstrap-token", rotation: 3 });
    const outs = r.outs as Record<string, unknown>;
    expect(isSecret(outs.value)).toBe(true);
    const token = reveal<string>(outs.value);
    const m = TOKEN.exec(token)!;
    expect(m).not.toBeNull();
    expect(outs.publicId).toBe(m[1]);
    expect(r.id).toBe(m[1]);
    expect(outs.rotation).toBe(3);
    // The id may be shown; the secret part never is.
    expect(ctx.logs).toEqual([`[certs] bootstrap-token: generated (id ${m[1]})`]);
    expect(ctx.logs.join("\n")).not.toContain(m[2]);
    expect(() => renderBootstrapManifests({ token, caCertPem: "", server: "https://lb:6443", clusterName: "k" })).not.toThrow();
  });

  it("makes a different value each time", async () => {
    for (const kind of ["aes256", "bootstrap-token"]) {
      const a = reveal<string>((await randomSecret.create(context(), { kind })).outs!.value);
      const b = reveal<string>((await randomSecret.create(context(), { kind })).outs!.value);
      expect(a, kind).not.toBe(b);
    }
  });

  it("uses the whole alphabet of a token, in both parts", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const { value, publicId } = randomSecretValue("bootstrap-token");
      expect(value).toMatch(TOKEN);
      expect(value.slice(0, 6)).toBe(publicId);
      for (const c of value.replace(".", "")) seen.add(c);
    }
    expect([...seen].sort().join("")).toBe("0123456789abcdefghijklmnopqrstuvwxyz");
  });

  it("takes its kind from a secret input too", async () => {
    const r = await randomSecret.create(context(), { kind: secret("aes256") });
    expect(Buffer.from(reveal<string>(r.outs!.value), "base64")).toHaveLength(32);
  });
});

describe("RandomSecret diff", () => {
  // The old state holds the outputs too (the value, the public id).
  const olds = { kind: "bootstrap-token", rotation: 1, value: secret("abcdef.0123456789abcdef"), publicId: "abcdef" };

  it("replaces on a change of kind", async () => {
    expect(await randomSecret.diff(olds, { kind: "aes256", rotation: 1 })).toEqual({
      changes: true,
      replaces: ["kind"],
      deleteBeforeReplace: false,
    });
  });

  it("replaces on a change of rotation", async () => {
    expect(await randomSecret.diff(olds, { kind: "bootstrap-token", rotation: 2 })).toEqual({
      changes: true,
      replaces: ["rotation"],
      deleteBeforeReplace: false,
    });
    expect((await randomSecret.diff({ kind: "aes256" }, { kind: "aes256", rotation: 1 })).replaces).toEqual(["rotation"]);
  });

  it("changes nothing otherwise: same inputs, a missing rotation read as 0, secrets compared by content", async () => {
    expect(await randomSecret.diff(olds, { kind: "bootstrap-token", rotation: 1 })).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect((await randomSecret.diff({ kind: "aes256" }, { kind: "aes256", rotation: 0 })).changes).toBe(false);
    expect((await randomSecret.diff({ kind: "aes256", rotation: 0 }, { kind: "aes256" })).changes).toBe(false);
    expect((await randomSecret.diff({ kind: "aes256" }, { kind: secret("aes256") })).changes).toBe(false);
  });

  it("is never updated in place", async () => {
    await expect(randomSecret.update(context(), "abcdef", olds, olds)).rejects.toThrow("a random secret is never updated in place");
  });
});
