// Issue 3: what `pulumi up` refuses on real hosts, and that a refusal leaves nothing behind:
// a foreign data dir or a busy port stops every host before any is written to, and a member that
// does not start shows its journal and is rolled back.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bedTarballSha256, membersConfig } from "./cluster";
import { Bed, bedDown, bedUp, onHost, Stack } from "./harness";

const V36 = "3.6.16";
let bed: Bed;
let sha256: string;

beforeAll(async () => {
  bed = await bedUp(3);
  sha256 = bedTarballSha256(bed, V36);
});
afterAll(() => bedDown());

async function stackOn(name: string, hosts: number[], extra: Record<string, string> = {}): Promise<Stack> {
  const stack = await Stack.create("cluster-ts", name);
  await stack.setConfig("sshKey", readFileSync(bed.key, "utf8"), true);
  await stack.setConfig(
    "members",
    membersConfig(
      bed,
      hosts,
      hosts.map((i) => `m${i + 1}`),
    ),
  );
  await stack.setConfig("version", V36);
  await stack.setConfig("sha256", sha256);
  await stack.setConfig("downloadUrl", `${bed.mirror}/etcd/etcd-v{version}-linux-{arch}.tar.gz`);
  for (const [k, v] of Object.entries(extra)) await stack.setConfig(k, v);
  return stack;
}

const NOTHING_INSTALLED = "ls /opt/etcd /etc/etcd /etc/systemd/system/etcd.service 2>&1 | grep -c 'No such file'";

describe("preflight", () => {
  let stack: Stack;
  afterAll(async () => {
    await stack?.cleanup();
    await onHost(2, "rm -rf /var/lib/etcd");
    await onHost(3, "systemctl stop pe-squatter 2>/dev/null || true");
  });

  it("a data dir from another etcd and a busy port stop the up before any host is written to", async () => {
    await onHost(2, "mkdir -p /var/lib/etcd/member/wal && echo data > /var/lib/etcd/member/wal/0.wal");
    await onHost(3, "systemd-run --unit pe-squatter python3 -m http.server --bind 127.0.0.1 2379 && sleep 1");
    stack = await stackOn("refused", [0, 1, 2]);
    const up = await stack.pulumi(["up", "--yes", "--skip-preview", "--suppress-progress"], { allowFailure: true });
    expect(up.code).not.toBe(0);
    const text = up.stdout + up.stderr;
    expect(text).toMatch(
      /data dir \/var\/lib\/etcd is not empty and was not created by pulumi-etcd for this member .*Nothing was changed\. To use this host, move it away/,
    );
    expect(text).toMatch(/port 2379 is in use by python3 \(PID \d+\); free it or choose other ports/);
    // Host 1 passed its own checks, but nothing was installed on it either.
    for (const i of [1, 2, 3]) expect((await onHost(i, NOTHING_INSTALLED)).trim()).toBe("3");
    expect((await onHost(2, "cat /var/lib/etcd/member/wal/0.wal")).trim()).toBe("data"); // untouched
  });
});

describe("a member that does not start", () => {
  let stack: Stack;
  afterAll(() => stack?.cleanup());

  it("fails the up with the tail of its journal and is rolled back", async () => {
    // etcd rejects this value when it parses its config file.
    stack = await stackOn("nostart", [0], { tuning: JSON.stringify({ extraFlags: { "max-txn-ops": "many" } }), startTimeoutSeconds: "40" });
    const up = await stack.pulumi(["up", "--yes", "--skip-preview", "--suppress-progress"], { allowFailure: true });
    expect(up.code).not.toBe(0);
    expect(up.stdout).toMatch(/etcd did not become ready \(state \w+, timeout 40 s\); its journal:/);
    expect(up.stdout).toMatch(/journal: .*max-txn-ops|journal: .*cannot unmarshal/);
    expect(up.stdout).toMatch(
      /rolled back: unit removed, the data dir of this failed start kept as \/var\/lib\/etcd\.failed-\d{8}T\d{6}Z|rolled back: unit and config removed/,
    );
    expect((await onHost(1, "systemctl is-active etcd || true")).trim()).not.toBe("active");
    expect(
      (
        await onHost(1, "ls /etc/systemd/system/etcd.service /etc/etcd/etcd.conf.yml /etc/etcd/identity 2>&1 | grep -c 'No such file'")
      ).trim(),
    ).toBe("3");
  });
});
