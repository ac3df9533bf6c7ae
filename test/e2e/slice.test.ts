// Issue 2's first slice, end to end: real `pulumi up/preview/destroy` of a TypeScript program and of
// a YAML program that consumes the package through `pulumi package add`, against 3 bed hosts.
import { createHash, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bed, bedDown, bedLeftovers, bedUp, onHost, repo, Stack } from "./harness";

let bed: Bed;

beforeAll(async () => {
  bed = await bedUp(3);
});

afterAll(async () => {
  await bedDown();
});

interface Case {
  program: string;
  path: string;
  mode: string;
  group: string;
  keyType: string;
  configure(stack: Stack): Promise<void>;
}

const cases: Case[] = [
  {
    program: "slice-ts",
    path: "/etc/pulumi-etcd-slice/ca.crt",
    mode: "640",
    group: "adm",
    keyType: "ec",
    async configure(stack) {
      await stack.setConfig("hosts", JSON.stringify(bed.hosts.map((h) => ({ ip: h.ip, hostKey: h.hostKey }))));
    },
  },
  {
    program: "slice-yaml",
    path: "/etc/pulumi-etcd-slice/yaml-ca.crt",
    mode: "644",
    group: "root",
    keyType: "rsa",
    async configure(stack) {
      for (const [i, h] of bed.hosts.entries()) {
        await stack.setConfig(`host${i + 1}`, h.ip);
        await stack.setConfig(`host${i + 1}Key`, h.hostKey);
      }
      // Cross-language consumption, the way a YAML user adds the package.
      await stack.pulumi(["package", "add", `${repo}/bin/pulumi-resource-etcd`]);
      expect(readFileSync(`${stack.dir}/Pulumi.yaml`, "utf8")).toMatch(/packages:\s*\n\s*etcd:/);
    },
  },
];

describe.each(cases)("first slice from $program", (c) => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.create(c.program);
    await c.configure(stack);
    await stack.setConfig("sshKey", readFileSync(bed.key, "utf8"), true);
  });

  afterAll(() => stack?.cleanup());

  it("pulumi up issues a CA and writes its certificate on every host with the declared mode and owner", async () => {
    const up = await stack.up();
    // Progress from the hosts is visible in the output, as `[<step>] <host>: <line>`.
    for (const h of bed.hosts) expect(up.stdout).toContain(`[install-file] ${h.ip}: wrote ${c.path}`);

    const out = await stack.outputs();
    const caPem = out.caCertPem as string;
    const ca = new X509Certificate(caPem);
    expect(ca.ca).toBe(true);
    expect(ca.publicKey.asymmetricKeyType).toBe(c.keyType);
    const years = (Date.parse(out.caNotAfter as string) - Date.now()) / (365 * 24 * 3600_000);
    expect(years).toBeGreaterThan(9.9);
    expect(years).toBeLessThan(10.1);
    const leafYears = (Date.parse(out.adminNotAfter as string) - Date.now()) / (365 * 24 * 3600_000);
    expect(leafYears).toBeGreaterThan(0.99);
    expect(leafYears).toBeLessThan(1.01);
    if (out.adminCertPem) {
      const admin = new X509Certificate(out.adminCertPem as string);
      expect(admin.checkIssued(ca)).toBe(true);
      expect(admin.verify(ca.publicKey)).toBe(true);
    }

    const digest = createHash("sha256").update(caPem).digest("hex");
    expect(out.fileSha256).toEqual([digest, digest, digest]);
    for (let i = 1; i <= bed.hosts.length; i++) {
      expect((await onHost(i, `stat -c '%a %U %G' ${c.path}`)).trim()).toBe(`${c.mode} root ${c.group}`);
      expect(await onHost(i, `cat ${c.path}`)).toBe(caPem);
    }
  });

  it("keeps every private key out of the state file and the output", async () => {
    const state = await stack.exportState();
    expect(state).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY/);
    expect(state).toContain("ciphertext"); // the keys are there, encrypted
    const out = (await stack.pulumi(["stack", "output", "--json"])).stdout;
    expect(out).not.toMatch(/PRIVATE KEY/);
  });

  it("a second preview plans no change", async () => {
    const plan = await stack.preview();
    const ops = new Set((plan.steps ?? []).map((s) => s.op));
    expect([...ops]).toEqual(["same"]);
    expect(Object.keys(plan.changeSummary ?? {})).toEqual(["same"]);
  });

  it("pulumi destroy removes the file from every host", async () => {
    await stack.destroy();
    for (let i = 1; i <= bed.hosts.length; i++) {
      expect((await onHost(i, `test -e ${c.path} && echo present || echo absent`)).trim()).toBe("absent");
    }
  });
});

describe("teardown", () => {
  it("leaves no namespace, mount, link, nspawn or server behind", async () => {
    await bedDown();
    expect(bedLeftovers()).toEqual([]);
  });
});
