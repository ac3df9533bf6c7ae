// Issue 12 end to end: a control plane's data moved between stacked and external etcd by editing one
// line (etcdMode) and running `pulumi up`, a switch that fails at the restore, a saved state brought
// back, and a restore after the etcd was wiped. Three control-plane hosts with stacked etcd and a
// local haproxy (hosts 1–3), an external 3-member EtcdCluster on hosts 4–6, declared from the start.
// Checked from outside: kubectl through the endpoint, etcd3 over mTLS, an informer-like watcher.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withClient } from "./cluster";
import { Bed, bedDown, bedUp, onHost, run, Stack } from "./harness";
import { adminCredentials, kubectl, kubeOutputs, KubeOutputs, kubeTsStack, watcher } from "./kube";

const ETCD = "3.6.16";
const NAMESPACES = 10;
let bed: Bed;
let stack: Stack;

interface State {
  name: string;
  reason: string;
  etcd: string;
  snapshots: string[];
  sha256: string;
}
type Out = KubeOutputs & { states: State[]; lastDataTransition: string };

/** name → [resourceVersion, data] of every object the test made. */
type Objects = Map<string, [number, string]>;

function log(message: string): void {
  console.log(`[kube-switch ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

const hostsConfig = (indexes: number[], names: string[]) =>
  JSON.stringify(indexes.map((i, k) => ({ name: names[k], ip: bed.hosts[i].ip, hostKey: bed.hosts[i].hostKey })));

async function up(config: Record<string, string>, expectFailure = false) {
  for (const [k, v] of Object.entries(config)) await stack.setConfig(k, v);
  const started = Date.now();
  const r = await stack.pulumi(["up", "--yes", "--skip-preview"], { timeoutMs: 1_500_000, allowFailure: true });
  log(`up ${JSON.stringify(config)}: exit ${r.code} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (!expectFailure) expect(r.code, `${r.stdout.slice(-1500)}\n${r.stderr.slice(-4000)}`).toBe(0);
  return r;
}

const outputs = async () => (await kubeOutputs(stack)) as Out;

/** 10 namespaces, 400 ConfigMaps and 90 Secrets (500 objects), labelled e2e=<tag>. */
async function createObjects(kc: string, tag: string, perNamespace = 40, secrets = 9) {
  for (let n = 0; n < NAMESPACES; n++) {
    const ns = `${tag}-${n}`;
    const items = [
      { apiVersion: "v1", kind: "Namespace", metadata: { name: ns, labels: { e2e: tag } } },
      ...Array.from({ length: perNamespace }, (_, i) => ({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: `cm-${i}`, namespace: ns, labels: { e2e: tag } },
        data: { i: String(i), ns },
      })),
      ...Array.from({ length: secrets }, (_, i) => ({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: `s-${i}`, namespace: ns, labels: { e2e: tag } },
        stringData: { password: `${tag}-secret-${n}-${i}` },
      })),
    ];
    await kubectl(kc, ["apply", "-f", "-"], { stdin: JSON.stringify({ apiVersion: "v1", kind: "List", items }) });
  }
}

/** Every labelled object (namespaces, ConfigMaps, Secrets decoded) with its resourceVersion. */
async function readObjects(kc: string, tag?: string): Promise<Objects> {
  const selector = tag ? `e2e=${tag}` : "e2e";
  const list = JSON.parse((await kubectl(kc, ["get", "namespaces,configmaps,secrets", "-A", "-l", selector, "-o", "json"])).stdout) as {
    items: { kind: string; metadata: { name: string; namespace?: string; resourceVersion: string }; data?: Record<string, string> }[];
  };
  const objects: Objects = new Map();
  for (const o of list.items) {
    const data =
      o.kind === "Secret"
        ? JSON.stringify(Object.fromEntries(Object.entries(o.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString()])))
        : JSON.stringify(o.data ?? {});
    objects.set(`${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`, [Number(o.metadata.resourceVersion), data]);
  }
  return objects;
}

/**
 * The same objects with the same data. After a move (`moved`) every object's resourceVersion is above
 * every version before it (the package writes each object again after the restore); otherwise none
 * changed.
 */
function expectSameData(after: Objects, before: Objects, moved: boolean) {
  expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
  const highest = Math.max(...[...before.values()].map(([v]) => v));
  const wrong: string[] = [];
  const changed: string[] = [];
  for (const [k, [rv, data]] of before) {
    const [rv2, data2] = after.get(k)!;
    if (data2 !== data) changed.push(k);
    if (moved ? rv2 <= highest : rv2 !== rv) wrong.push(`${k} ${rv} → ${rv2}`);
  }
  expect(changed, "objects whose data changed").toEqual([]);
  expect(wrong, moved ? `resourceVersions not above ${highest}` : "resourceVersions that changed").toEqual([]);
}

/** The resourceVersion of a list: the etcd revision the apiserver read at. */
async function listVersion(kc: string): Promise<number> {
  return Number(
    (JSON.parse((await kubectl(kc, ["get", "--raw", "/api/v1/configmaps?limit=1"])).stdout) as { metadata: { resourceVersion: string } })
      .metadata.resourceVersion,
  );
}

/** A write after a move gets a version above every earlier one. */
async function expectNewWritesAbove(kc: string, earlier: Objects, tag: string) {
  const rv = Number(
    (
      await kubectl(kc, [
        "-n",
        "sw-0",
        "create",
        "configmap",
        `probe-${tag}`,
        "--from-literal=x=1",
        "-o",
        "jsonpath={.metadata.resourceVersion}",
      ])
    ).stdout,
  );
  expect(rv).toBeGreaterThan(Math.max(...[...earlier.values()].map(([v]) => v)));
  await kubectl(kc, ["-n", "sw-0", "delete", "configmap", `probe-${tag}`]);
}

const BUMP = 1_000_000_000;

const etcdTls = (out: Out) => ({ caCertPem: out.etcdCaCertPem, certPem: out.etcdAdminCertPem, keyPem: out.etcdAdminKeyPem });

/** An address of the same length as `ip` (so a protobuf copy stays well-formed) that no bed host has. */
function ghostAddress(ip: string): string {
  const parts = ip.split(".");
  parts[3] = { 1: "9", 2: "99", 3: "254" }[parts[3].length]!;
  return parts.join(".");
}

beforeAll(async () => {
  bed = await bedUp(6);
  stack = await kubeTsStack(bed, "switch", ETCD, {
    cpHosts: hostsConfig([0, 1, 2], ["cp1", "cp2", "cp3"]),
    etcdHosts: hostsConfig([3, 4, 5], ["e1", "e2", "e3"]),
    localLb: "true",
  });
  await up({ etcdMode: "stacked" });
}, 1_800_000);

afterAll(async () => {
  await stack?.pulumi(["destroy", "--yes", "--skip-preview"], { allowFailure: true, timeoutMs: 900_000 });
  await bedDown();
}, 1_200_000);

describe("a stacked control plane switched to external etcd and back, a failed switch, a state, a wipe", () => {
  let kc: string;
  let original: Objects;
  let afterFirstSwitch: Objects;

  it("switches stacked → external in one up: every object, newer resourceVersions, a watcher told to relist, Secrets decrypt", async () => {
    let out = await outputs();
    kc = out.adminKubeconfig;
    await createObjects(kc, "sw");
    original = await readObjects(kc, "sw");
    expect(original.size).toBe(500);
    const rv = (await kubectl(kc, ["-n", "sw-0", "get", "configmaps", "-o", "jsonpath={.metadata.resourceVersion}"])).stdout;
    const watch = watcher(out.endpoint, "sw-0", rv, adminCredentials(out));
    // An identity lease of an apiserver that is gone (a host that left, 10 minutes ago): stale.
    const renewTime = new Date(Date.now() - 600_000).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
    const ghost = {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        name: "apiserver-ghost0e2e",
        namespace: "kube-system",
        labels: { "apiserver.kubernetes.io/identity": "kube-apiserver", "kubernetes.io/hostname": "cp-gone" },
      },
      spec: { holderIdentity: "apiserver-ghost0e2e_0", leaseDurationSeconds: 3600, renewTime },
    };
    await kubectl(kc, ["apply", "-f", "-"], { stdin: JSON.stringify(ghost) });
    // And an apiserver endpoint lease of an address no host has (a copy of cp1's, for an hour), as
    // restored data from other hosts brings: the kubernetes Service's Endpoints list it.
    const ghostIp = ghostAddress(bed.hosts[0].ip);
    await withClient(out.etcdEndpoints, etcdTls(out), async (c) => {
      const value = await c.get(`/registry/masterleases/${bed.hosts[0].ip}`).buffer();
      expect(value).not.toBeNull();
      const patched = Buffer.from(value!.toString("latin1").split(bed.hosts[0].ip).join(ghostIp), "latin1");
      const { ID } = await c.leaseClient.leaseGrant({ TTL: 3600 });
      await c.put(`/registry/masterleases/${ghostIp}`).value(patched).lease(ID);
    });
    let listed = "";
    for (let t = 0; t < 60 && !listed.includes(ghostIp); t++) {
      await new Promise((res) => setTimeout(res, 500));
      listed = (await kubectl(kc, ["get", "endpoints", "kubernetes", "-o", "jsonpath={.subsets[*].addresses[*].ip}"])).stdout;
    }
    expect(listed).toContain(ghostIp);

    // Preview: the plan as a warning, and no host touched.
    await stack.setConfig("etcdMode", "external");
    const preview = await stack.pulumi(["preview", "--diff"], { timeoutMs: 600_000 });
    // With --diff pulumi prints the warnings on stderr.
    const plan = preview.stdout + preview.stderr;
    expect(plan).toMatch(/warning: \[data-switch\] cp: switch from stacked:cp-etcd to external:etcd will:/);
    expect(plan).toMatch(/2\. stop kube-apiserver, kube-controller-manager and kube-scheduler on cp1, cp2, cp3/);
    expect(plan).toMatch(/remove the stacked etcd cp-etcd \(its data dirs archived, not wiped\)/);
    const versionBefore = await listVersion(kc);

    const r = await up({ etcdMode: "external" });
    expect(r.stdout).toMatch(/\[data-switch\] cp: components stopped on cp1, cp2, cp3/);
    expect(r.stdout).toMatch(/the data under the apiservers was replaced/);
    out = await outputs();
    expect(out.etcdEndpoints).toEqual([3, 4, 5].map((i) => `https://${bed.hosts[i].ip}:2379`));
    afterFirstSwitch = await readObjects(kc, "sw");
    expectSameData(afterFirstSwitch, original, true);
    expect(await listVersion(kc)).toBeGreaterThanOrEqual(versionBefore + BUMP);
    await expectNewWritesAbove(kc, original, "1");

    // The watcher's next watch from its old resourceVersion is refused as too old: it relists.
    await kubectl(kc, ["-n", "sw-0", "create", "configmap", "after-switch", "--from-literal=x=1"]);
    for (let t = 0; t < 100 && watch.seen.expired === 0; t++) await new Promise((res) => setTimeout(res, 200));
    await watch.stop();
    expect(watch.seen.expired, JSON.stringify(watch.seen)).toBe(1);
    await kubectl(kc, ["-n", "sw-0", "delete", "configmap", "after-switch"]);

    // The data is on the external etcd, Secrets still encrypted there.
    const raw = await withClient(out.etcdEndpoints, etcdTls(out), (c) => c.get("/registry/secrets/sw-3/s-4").buffer());
    expect(raw!.subarray(0, 8).toString()).toBe("k8s:enc:");
    const secret = (await kubectl(kc, ["-n", "sw-3", "get", "secret", "s-4", "-o", "jsonpath={.data.password}"])).stdout;
    expect(Buffer.from(secret, "base64").toString()).toBe("sw-secret-3-4");
    // The stacked etcd is gone from the control-plane hosts, its data archived.
    expect(await onHost(1, "systemctl is-active etcd.service || true")).toMatch(/inactive|unknown/);
    expect(await onHost(1, "ls -d /var/lib/etcd.* | wc -l")).not.toBe("0\n");
    expect((await onHost(1, "ls /var/lib/pulumi-etcd/kube-states")).trim().split("\n")).toHaveLength(1);
    expect(out.states).toHaveLength(1);
    expect(out.states[0].etcd).toBe("stacked:cp-etcd");
    const readyz = (await kubectl(kc, ["get", "--raw", "/readyz?verbose"])).stdout;
    expect(readyz).not.toMatch(/\[-\]/);
    // The endpoint lease that came with the data is gone: the Service lists exactly the apiservers.
    const endpoints = (await kubectl(kc, ["get", "endpoints", "kubernetes", "-o", "jsonpath={.subsets[*].addresses[*].ip}"])).stdout;
    expect(endpoints.split(" ").sort()).toEqual([0, 1, 2].map((i) => bed.hosts[i].ip).sort());
    // One apiserver identity lease per host; the stale one that came with the data is deleted.
    const leases = (
      await kubectl(kc, ["-n", "kube-system", "get", "leases", "-l", "apiserver.kubernetes.io/identity=kube-apiserver", "-o", "name"])
    ).stdout;
    expect(leases.trim().split("\n")).toHaveLength(3);
    expect(leases).not.toMatch(/apiserver-ghost0e2e/);
  }, 1_800_000);

  it("switches back to stacked with the objects made on the external etcd", async () => {
    await createObjects(kc, "ext", 5, 0);
    const before = await readObjects(kc);
    expect(before.size).toBe(500 + 60);
    const versionBefore = await listVersion(kc);
    await up({ etcdMode: "stacked" });
    expectSameData(await readObjects(kc), before, true);
    expect(await listVersion(kc)).toBeGreaterThanOrEqual(versionBefore + BUMP);
    await expectNewWritesAbove(kc, before, "2");
    const out = await outputs();
    expect(out.etcdEndpoints).toEqual([0, 1, 2].map((i) => `https://${bed.hosts[i].ip}:2379`));
    expect(out.states.map((s) => s.etcd)).toEqual(["stacked:cp-etcd", "external:etcd"]);
  }, 1_800_000);

  it("a switch whose target cannot be reached at the restore leaves the control plane on its etcd, serving everything", async () => {
    const before = await readObjects(kc);
    // e3's SSH server stops (its etcd keeps serving: the checks pass); the restore cannot reach it.
    await onHost(6, "systemctl stop ssh.socket ssh.service 2>/dev/null || systemctl stop ssh.service");
    try {
      const r = await up({ etcdMode: "external", allowEtcdOverwrite: "true" }, true);
      expect(r.code).not.toBe(0);
      const text = r.stdout + r.stderr;
      expect(text).toMatch(/switch of cp from stacked:cp-etcd to external:etcd failed/);
      expect(text).toMatch(/e3/);
      expect(text).toMatch(
        /The apiservers were not pointed at external:etcd: the control plane was started again, unchanged on stacked:cp-etcd/,
      );
    } finally {
      const pid = (await run("bash", ["-c", `pgrep -P ${bed.hosts[5].nspawnPid} | head -n1`])).stdout.trim();
      await run("nsenter", ["-t", pid, "-a", "systemctl", "start", "ssh.service"]);
    }
    expectSameData(await readObjects(kc), before, false);
    const readyz = (await kubectl(kc, ["get", "--raw", "/readyz?verbose"])).stdout;
    expect(readyz).not.toMatch(/\[-\]/);
    // Declared back as it runs.
    await stack.setConfig("etcdMode", "stacked");
    await stack.setConfig("allowEtcdOverwrite", "false");
  }, 1_800_000);

  it("brings back the state from before the first switch: exactly its objects", async () => {
    const out = await outputs();
    const first = out.states[0];
    const versionBefore = await listVersion(kc);
    await up({ restoreState: first.name });
    expectSameData(await readObjects(kc), original, true);
    // The state is older than the data it replaced: revisions still go on above everything seen.
    expect(await listVersion(kc)).toBeGreaterThanOrEqual(versionBefore + BUMP);
    await expectNewWritesAbove(kc, original, "3");
    expect((await outputs()).states.length).toBe(out.states.length + 1);
  }, 1_800_000);

  it("restores after the stacked etcd was wiped on every host", async () => {
    const before = await readObjects(kc);
    const versionBefore = await listVersion(kc);
    // A backup of the data as it is (an etcdctl snapshot on cp1), then total annihilation.
    const sha256 = (
      await onHost(
        1,
        "etcdctl --endpoints https://127.0.0.1:2379 --cacert /etc/etcd/pki/ca.crt --cert /etc/etcd/pki/server.crt --key /etc/etcd/pki/server.key snapshot save /root/backup.db >/dev/null && sha256sum /root/backup.db",
      )
    ).split(" ")[0];
    for (const h of [1, 2, 3]) await onHost(h, "systemctl stop etcd.service; rm -rf /var/lib/etcd/member");
    const r = await up({
      restore: JSON.stringify({ generation: 1, source: { host: { member: "cp1", path: "/root/backup.db" } }, sha256 }),
    });
    expect(r.stdout + r.stderr).toMatch(/no state saved before restore generation 1: no snapshot of stacked:cp-etcd could be taken/);
    expectSameData(await readObjects(kc), before, true);
    expect(await listVersion(kc)).toBeGreaterThanOrEqual(versionBefore + BUMP);
    await expectNewWritesAbove(kc, before, "4");
    const readyz = (await kubectl(kc, ["get", "--raw", "/readyz?verbose"])).stdout;
    expect(readyz).not.toMatch(/\[-\]/);
  }, 1_800_000);
});
