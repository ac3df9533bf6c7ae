// etcd:tls:RandomSecret (provider/pki/randomSecretHandler.ts): the encryption key and the join token,
// kept only in the state and only as secrets; a new value only when kind or rotation change.
import { describe, expect, it } from "vitest";
import { renderBootstrapManifests, tokenExpiration } from "../../planning/kube/bootstrapManifests";
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

describe("RandomSecret check: ttlHours", () => {
  it("accepts a whole number of hours for a bootstrap token", async () => {
    for (const ttlHours of [1, 24, 87_600]) expect((await randomSecret.check({ kind: "bootstrap-token", ttlHours })).failures).toEqual([]);
  });

  it("refuses a lifetime that is not a whole positive number of hours, or one for a key", async () => {
    for (const ttlHours of [0, -1, 1.5, "24", 87_601, Number.NaN]) {
      const r = await randomSecret.check({ kind: "bootstrap-token", ttlHours });
      expect(r.failures, String(ttlHours)).toEqual([
        {
          property: "ttlHours",
          reason: `ttlHours ${JSON.stringify(ttlHours)} must be a whole number of hours from 1 to 87600 (leave it out for a token that never expires)`,
        },
      ]);
    }
    expect((await randomSecret.check({ kind: "aes256", ttlHours: 24 })).failures).toEqual([
      { property: "ttlHours", reason: "ttlHours is for kind bootstrap-token only" },
    ]);
  });
});

describe("RandomSecret create", () => {
  it("fixes a token's expiration when it is minted: ttlHours from now, in whole seconds, RFC 3339 UTC", async () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const r = await randomSecret.create(context(), { kind: "bootstrap-token", ttlHours: 24 });
    const after = Date.now();
    const expiresAt = r.outs!.expiresAt as string;
    expect(expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Date.parse(expiresAt)).toBeGreaterThanOrEqual(before + 24 * 3_600_000);
    expect(Date.parse(expiresAt)).toBeLessThanOrEqual(after + 24 * 3_600_000);
    expect(r.outs!.ttlHours).toBe(24);
  });

  it("tokenExpiration: a fixed instant plus the lifetime, without milliseconds", () => {
    expect(tokenExpiration(Date.UTC(2030, 0, 2, 3, 4, 5, 678), 1)).toBe("2030-01-02T04:04:05Z");
    expect(tokenExpiration(Date.UTC(2030, 11, 31, 23, 0, 0), 48)).toBe("2031-01-02T23:00:00Z");
  });

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
    expect(outs.expiresAt).toBe(""); // no ttlHours: it never expires
    const cluster = {
      kubernetesVersion: "1.37.2",
      clusterName: "k",
      serviceCidr: "10.96.0.0/12",
      dnsDomain: "cluster.local",
      etcdEndpoints: ["https://10.0.0.1:2379"],
      keyAlgorithm: "ECDSA-P256",
    };
    expect(() => renderBootstrapManifests({ token, caCertPem: "", server: "https://lb:6443", cluster })).not.toThrow();
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

  it("replaces on a change of lifetime, and only then: the expiration is fixed when a token is minted", async () => {
    const minted = { ...olds, ttlHours: 24, expiresAt: "2030-01-02T03:04:05Z" };
    expect(await randomSecret.diff(minted, { kind: "bootstrap-token", rotation: 1, ttlHours: 24 })).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect((await randomSecret.diff(minted, { kind: "bootstrap-token", rotation: 1, ttlHours: 48 })).replaces).toEqual(["ttlHours"]);
    expect((await randomSecret.diff(minted, { kind: "bootstrap-token", rotation: 1 })).replaces).toEqual(["ttlHours"]);
    expect((await randomSecret.diff(olds, { kind: "bootstrap-token", rotation: 1, ttlHours: 24 })).replaces).toEqual(["ttlHours"]);
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
