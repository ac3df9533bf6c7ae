// etcd:tls:RandomSecret: a random value kept only in the state, as a secret (an encryption key, a
// bootstrap token). Any input change replaces it. A bootstrap token with a lifetime gets its
// expiration once, when it is minted: later runs read it from the state and see no change.
import { randomBytes, randomInt } from "node:crypto";
import { tokenExpiration, tokenTtlProblem } from "../../planning/kube/bootstrapManifests";
import type { RandomSecretInputs } from "../../planning/pki/resourceTypes";
import { reveal, sameValue, secret } from "../common/secrets";
import { changedKeys, ResourceHandler } from "../common/handler";

const KINDS = ["aes256", "bootstrap-token"];
const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
const randomToken = (n: number) => Array.from({ length: n }, () => ALPHABET[randomInt(ALPHABET.length)]).join("");

export function randomSecretValue(kind: RandomSecretInputs["kind"]): { value: string; publicId: string } {
  if (kind === "aes256") return { value: randomBytes(32).toString("base64"), publicId: "" };
  const id = randomToken(6);
  return { value: `${id}.${randomToken(16)}`, publicId: id };
}

export const randomSecret: ResourceHandler = {
  async check(news) {
    const { kind, ttlHours } = reveal<Record<string, unknown>>(news);
    const failures = KINDS.includes(String(kind)) ? [] : [{ property: "kind", reason: `kind must be one of ${KINDS.join(", ")}` }];
    const ttl = tokenTtlProblem(ttlHours, "ttlHours");
    if (ttl) failures.push({ property: "ttlHours", reason: ttl });
    else if (ttlHours !== undefined && kind !== "bootstrap-token")
      failures.push({ property: "ttlHours", reason: "ttlHours is for kind bootstrap-token only" });
    return { inputs: news, failures };
  },
  async diff(olds, news) {
    const replaces = changedKeys(
      { kind: olds.kind, rotation: olds.rotation ?? 0, ttlHours: olds.ttlHours ?? 0 },
      { kind: news.kind, rotation: news.rotation ?? 0, ttlHours: news.ttlHours ?? 0 },
      sameValue,
    );
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
  },
  async create(ctx, inputs) {
    const { kind, ttlHours } = reveal<RandomSecretInputs>(inputs);
    const { value, publicId } = randomSecretValue(kind);
    const expiresAt = ttlHours ? tokenExpiration(Date.now(), ttlHours) : "";
    await ctx.log("certs", kind, `generated${publicId ? ` (id ${publicId})` : ""}${expiresAt ? `, expires ${expiresAt}` : ""}`);
    return { id: publicId || `${kind}-${Date.now()}`, outs: { ...inputs, value: secret(value), publicId, expiresAt } };
  },
  async update() {
    throw new Error("a random secret is never updated in place; this is a bug in diff");
  },
  async delete() {},
};
