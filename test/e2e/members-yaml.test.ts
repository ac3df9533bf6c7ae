// Issue 10: a YAML program keeps its members in one `variables:` list (the SSH key from secret
// config inside) and gives it to an EtcdCluster, a SnapshotSchedule and an EtcdSnapshot as
// `members: ${members}`. pulumi-yaml resolves that list as one secret value; construct must still
// build each component from its elements, and the key must stay a secret in the state.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminTls, bedTarballSha256, clusterOutputs, leaderCount, withClient } from "./cluster";
import { Bed, bedDown, bedLeftovers, bedUp, onHost, repo, Stack } from "./harness";

const V36 = "3.6.16";
let bed: Bed;
let stack: Stack;
let sshKey: string;

beforeAll(async () => {
  bed = await bedUp(3);
  sshKey = readFileSync(bed.key, "utf8");
  stack = await Stack.create("members-yaml", "members");
  await stack.setConfig("sshKey", sshKey, true);
  for (const i of [1, 2, 3]) {
    await stack.setConfig(`host${i}`, bed.hosts[i - 1].ip);
    await stack.setConfig(`host${i}Key`, bed.hosts[i - 1].hostKey);
  }
  await stack.setConfig("sha256", bedTarballSha256(bed, V36));
  await stack.setConfig("downloadUrl", `${bed.mirror}/etcd/etcd-v{version}-linux-{arch}.tar.gz`);
  await stack.pulumi(["package", "add", `${repo}/bin/pulumi-resource-etcd`]);
});

afterAll(async () => {
  await stack?.cleanup();
  await bedDown();
});

describe("members: ${members} from a YAML variable holding a secret", () => {
  let up: { stdout: string; stderr: string };

  it("pulumi preview builds the three components from the list", async () => {
    const plan = await stack.preview();
    const creates = (plan.steps ?? []).filter((s) => s.op === "create").map((s) => s.urn.split("::").pop());
    for (const name of ["etcd-v1", "etcd-v2", "etcd-v3", "backups-v1", "backups-v3", "snapshot"]) expect(creates).toContain(name);
  });

  it("pulumi up: 3 healthy members with one leader, a snapshot timer on each, one snapshot taken", async () => {
    up = await stack.up();
    const out = await clusterOutputs(stack);
    expect(out.memberList.map((m) => m.name)).toEqual(["v1", "v2", "v3"]);
    expect(out.clientEndpoints).toHaveLength(3);
    expect(await leaderCount(out)).toBe(1);
    await withClient(out.clientEndpoints, adminTls(out), async (c) => {
      await c.put("members-yaml").value("ok");
      expect(await c.get("members-yaml").string()).toBe("ok");
    });
    for (const h of [1, 2, 3]) expect((await onHost(h, "systemctl is-enabled etcd-snapshot.timer")).trim()).toBe("enabled");
    const location = (await stack.outputs()).snapshotLocation as string;
    expect(location).toMatch(/^host[123]:\/var\/backups\/etcd-members-yaml\/etcd-\S+\.db\.gz$/);
  });

  it("the SSH key stays a secret: not in the state, the outputs or the output of up", async () => {
    const state = await stack.exportState();
    const body = sshKey.split("\n").find((l) => l.length > 40 && !l.startsWith("-----"))!;
    expect(state).not.toContain(body);
    expect(state).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY/);
    expect(up.stdout + up.stderr).not.toMatch(/PRIVATE KEY/);
    // ...while what is not secret stays readable: the endpoints are shown, not [secret].
    const shown = JSON.parse((await stack.pulumi(["stack", "output", "--json"])).stdout) as Record<string, unknown>;
    expect(shown.adminKeyPem).toBe("[secret]");
    expect(shown.clientEndpoints).toHaveLength(3);
  });

  it("a second preview plans no change", async () => {
    const plan = await stack.preview();
    expect(Object.keys(plan.changeSummary ?? {})).toEqual(["same"]);
  });

  it("pulumi destroy removes everything", async () => {
    await stack.destroy();
    for (const h of [1, 2, 3]) expect((await onHost(h, "pgrep -x etcd || echo none")).trim()).toBe("none");
  });
});

describe("teardown", () => {
  it("leaves no namespace, mount, link, nspawn or server behind", async () => {
    await bedDown();
    expect(bedLeftovers()).toEqual([]);
  });
});
