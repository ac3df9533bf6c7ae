// Issue 3: every invalid EtcdCluster input fails `pulumi preview` with a message that says what to
// do. The members point at addresses where no host exists, so a test passing also shows that
// validation never needed a host.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Stack } from "./harness";

const FAKE_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDZ1ZmFrZWtleWZvcnZhbGlkYXRpb250ZXN0c29ubHk=";
const member = (name: string, ip: string, addresses?: string[]) => ({ name, ip, hostKey: FAKE_KEY, addresses });
const three = [member("alpha", "192.0.2.1"), member("bravo", "192.0.2.2"), member("charlie", "192.0.2.3")];

let stack: Stack;
beforeAll(async () => {
  stack = await Stack.create("cluster-ts", "validation");
  await stack.setConfig("sshKey", "not a key: validation fails before any connection", true);
});
afterAll(() => stack?.cleanup());

async function preview(config: Record<string, unknown>) {
  for (const key of ["members", "version", "ports", "tuning", "dataDir", "sha256", "restore"]) {
    await stack.pulumi(["config", "rm", key], { allowFailure: true });
  }
  for (const [k, v] of Object.entries(config)) await stack.setConfig(k, typeof v === "string" ? v : JSON.stringify(v));
  const r = await stack.pulumi(["preview", "--suppress-progress"], { allowFailure: true });
  return { ...r, text: r.stdout + r.stderr };
}

const rejected: [string, Record<string, unknown>, RegExp][] = [
  ["no members", { members: [] }, /members is empty: list 1, 3 or 5 members/],
  ["duplicate names", { members: [three[0], { ...three[1], name: "alpha" }, three[2]] }, /the name "alpha" is used twice/],
  [
    "duplicate addresses",
    { members: [three[0], { ...three[1], ip: "192.0.2.1" }, three[2]] },
    /address 192\.0\.2\.1 is also used by alpha/,
  ],
  [
    "the same IPv6 address spelled twice",
    { members: [member("a", "192.0.2.1", ["2001:db8::1"]), member("b", "192.0.2.2", ["2001:DB8:0::1"]), three[2]] },
    /address 2001:db8:0:0:0:0:0:1 is also used by a/,
  ],
  [
    "a name etcd would reject",
    { members: [three[0], { ...three[1], name: "bravo,x=y" }, three[2]] },
    /member name "bravo,x=y" is not allowed/,
  ],
  [
    "an unsupported version",
    { members: three, version: "3.4.23" },
    /etcd 3\.4\.23 is not supported \(supported: 3\.5\.3 and later 3\.5\.x, 3\.6\.x, 3\.7\.x\)/,
  ],
  [
    "a version without a pinned checksum and no sha256",
    { members: three, version: "3.6.16" },
    /pins no checksum for etcd 3\.6\.16 .*give the release tarball's sha256/,
  ],
  ["a port out of range", { members: three, ports: { client: 70000 } }, /ports\.client must be an integer from 1 to 65535, got 70000/],
  ["two listeners on one port", { members: three, ports: { client: 2380 } }, /ports\.peer and ports\.client are both 2380/],
  [
    "an election timeout below 5 heartbeats",
    { members: three, tuning: { heartbeatIntervalMs: 500, electionTimeoutMs: 1000 } },
    /electionTimeoutMs \(1000\) must be at least 5 × heartbeatIntervalMs \(500\)/,
  ],
  [
    "an extra flag that overrides a security setting",
    { members: three, tuning: { extraFlags: { "client-transport-security": "x" } } },
    /client-transport-security is set by the package/,
  ],
  ["a relative data dir", { members: three, dataDir: "var/lib/etcd" }, /dataDir "var\/lib\/etcd" must be an absolute path/],
  [
    "a restore with two sources and from a host that is not a member",
    { members: three, restore: { generation: 1, source: { file: "/b/s.db", host: { member: "delta", path: "/b/s.db" } } } },
    /restore\.source needs exactly one of s3, file or host, got file and host[\s\S]*restore\.source\.host\.member "delta" is not a member of this cluster/,
  ],
  [
    "a restore without a generation",
    { members: three, restore: { source: { s3: { endpoint: "https://s3.example", bucket: "b", key: "k.db" } } } },
    /restore\.generation must be a positive integer, got undefined/,
  ],
];

describe("invalid inputs fail pulumi preview", () => {
  it.each(rejected)("%s", async (_label, config, message) => {
    const r = await preview(config);
    expect(r.code).not.toBe(0);
    expect(r.text).toMatch(/EtcdCluster validation: invalid inputs, nothing was changed/);
    expect(r.text).toMatch(message);
    expect(r.text).not.toMatch(/etcd-preflight|etcd-install/); // no host step was planned to run
  });
});

describe("questionable inputs warn", () => {
  it("an even member count", async () => {
    const r = await preview({ members: three.slice(0, 2) });
    expect(r.code).toBe(0);
    expect(r.text).toMatch(/warning: EtcdCluster validation: 2 members: an even count tolerates no more failures than 1 members/);
  });

  it("more than 7 members", async () => {
    const nine = Array.from({ length: 9 }, (_, i) => member(`m${i + 1}`, `192.0.2.${i + 1}`));
    const r = await preview({ members: nine });
    expect(r.code).toBe(0);
    expect(r.text).toMatch(/warning: EtcdCluster validation: 9 members: more than 7 slows every write/);
  });

  it("a good 3-member cluster previews without warnings", async () => {
    const r = await preview({ members: three });
    expect(r.code).toBe(0);
    expect(r.text).not.toMatch(/warning: EtcdCluster/);
    expect(r.text).toMatch(/\+ +\d+ to create/);
  });
});
