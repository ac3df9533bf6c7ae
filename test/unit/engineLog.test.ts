// Every line the provider prints has one format, `[<phase>] <subject>: <message>` (as kubeadm
// prints `[etcd] ...`): host steps (the script is the phase) and handler steps (member-add, health,
// restore, ...) alike, made by one helper (provider/common/engineLog.ts) that alone talks to the engine.
import { readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { PHASES, phaseLine, progressFor, Severity } from "../../provider/common/engineLog";
import { waitForHealth } from "../../provider/etcd/healthWait";
import { issueCertificate } from "../../provider/pki/certificates";

const provider = path.join(__dirname, "..", "..", "provider");
const sources = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
  });

describe("progress lines: one format with a phase", () => {
  it("formats [phase] subject: message", () => {
    expect(phaseLine("member-add", "a2", "added as a learner")).toBe("[member-add] a2: added as a learner");
    expect(phaseLine("etcd-install", "10.77.0.11", "done (1.2 s)")).toBe("[etcd-install] 10.77.0.11: done (1.2 s)");
  });

  it("a handler's context sends lines of that format to the engine, warnings as warnings", async () => {
    const sent: [string, Severity, string][] = [];
    const ctx = progressFor("urn:x", async (urn, severity, message) => void sent.push([urn, severity, message]));
    await ctx.log("member-promote", "a2", "promoted to voter (1 attempt(s))");
    await ctx.warn("etcd-service-remove", "10.77.0.14", "unreachable");
    expect(sent).toEqual([
      ["urn:x", "info", "[member-promote] a2: promoted to voter (1 attempt(s))"],
      ["urn:x", "warning", "[etcd-service-remove] 10.77.0.14: unreachable"],
    ]);
  });

  it("the health wait prints its lines under the [health] phase", async () => {
    const lines: string[] = [];
    const ctx = { urn: "u", ...progressFor("u", async (_u, _s, m) => void lines.push(m)) };
    const down = {
      name: "a",
      endpoint: "https://127.0.0.1:1",
      peerUrls: [],
      connection: { host: "127.0.0.1", port: 1, user: "root", privateKey: "", hostKey: "" },
    };
    const ca = await issueCertificate({ commonName: "ca", isCa: true, keyAlgorithm: "ECDSA-P256", validityHours: 1 });
    const client = await issueCertificate({
      commonName: "c",
      isCa: false,
      keyAlgorithm: "ECDSA-P256",
      validityHours: 1,
      usages: ["client"],
      signer: ca,
    });
    const tls = { caCertPem: ca.certPem, clientCertPem: client.certPem, clientKeyPem: client.privateKeyPem };
    await expect(waitForHealth(ctx, { clusterName: "c1", members: [down], ...tls, timeoutSeconds: 0 })).rejects.toThrow(
      /cluster c1 is not healthy after 0 s/,
    );
    expect(lines).toEqual(["[health] c1: waiting for 1 member(s) to be healthy with one leader"]);
  });

  it("no other provider file talks to the engine's log or builds a [phase] prefix by hand", () => {
    const offenders = sources(provider)
      .filter((f) => !f.endsWith(path.join("common", "engineLog.ts")) && !f.endsWith("main.ts"))
      .flatMap((f) => {
        const text = readFileSync(f, "utf8");
        const hits = [/\bengineLog\(/.test(text) && "calls engineLog", /`\[\$\{/.test(text) && "builds a `[${...}]` prefix"];
        return hits.filter(Boolean).map((h) => `${path.relative(provider, f)} ${h}`);
      });
    expect(offenders).toEqual([]);
  });

  it("every phase a handler uses is a declared one", () => {
    const used = new Set(
      sources(provider).flatMap((f) => [...readFileSync(f, "utf8").matchAll(/\bctx\.(?:log|warn)\(\s*"([a-z-]+)"/g)].map((m) => m[1])),
    );
    expect([...used].filter((p) => !(PHASES as readonly string[]).includes(p))).toEqual([]);
    expect(used.size).toBeGreaterThan(5);
  });
});
