// Issue 13 (point 5) end to end: a control plane on Kubernetes 1.36.3 (3 hosts, stacked etcd, a
// dedicated haproxy host) upgraded to 1.37.2 in ONE `pulumi up` while a reader GETs through the load
// balancer every 100 ms and a writer creates ConfigMaps: no failed request, every kube-apiserver
// restarted (one at a time, each ready before the next) before any kube-controller-manager, those
// before any kube-scheduler, /version 1.37.2 on every apiserver, objects intact. Its preview shows the
// order and contacts no host; a downgrade of the minor and a skipped minor are refused at preview.
//
// 1.36.3 is not built on a cold CI machine (about 12 minutes): the suite runs only when the toolchain
// selection (PULUMI_ETCD_KUBE_VERSIONS) includes 1.36.3 and its binaries are in the cache:
// `npm run test:kube-upgrade` (scripts/test.sh kube-upgrade).
import { existsSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sshSessions } from "./cluster";
import { Bed, bedDown, bedUp, onHost, Stack } from "./harness";
import { adminCredentials, bedKubeSha256, httpsGet, kubectl, kubeOutputs, KubeOutputs, kubeTsStack, reader, requestLoop } from "./kube";

const FROM = "1.36.3";
const TO = "1.37.2";
const ETCD = "3.6.16";
const CP = [1, 2, 3]; // bed hosts (1-based) of s1, s2, s3
const LB = 4;
const COMPONENTS = ["kube-apiserver", "kube-controller-manager", "kube-scheduler"];

/** The 1.36.3 binaries the bed's mirror serves: in the toolchain's cache, and selected. */
function olderKubeAvailable(): boolean {
  const bin = process.env.PULUMI_ETCD_BIN;
  const selected = (process.env.PULUMI_ETCD_KUBE_VERSIONS ?? "").split(/\s+/).includes(FROM);
  if (!bin || !selected) return false;
  return existsSync(path.join(path.dirname(bin), "dist", "kube", "release", `v${FROM}`, "bin", "linux", "amd64", "kube-apiserver"));
}

function log(message: string): void {
  console.log(`[kube-upgrade ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

/** Creates a ConfigMap through the load balancer every intervalMs; counts acknowledged and failed creates. */
function configMapWriter(endpoint: string, namespace: string, tls: { ca: string; cert: string; key: string }, intervalMs = 250) {
  const acked: string[] = [];
  const loop = requestLoop(tls, intervalMs, (n) => {
    const name = `w-${String(n).padStart(5, "0")}`;
    return {
      url: `${endpoint}/api/v1/namespaces/${namespace}/configmaps`,
      method: "POST",
      body: JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { n: name } }),
      status: 201,
      timeoutMs: 5000,
      onOk: () => acked.push(name),
    };
  });
  return { acked, failures: loop.failures, stop: () => loop.stop() };
}

interface UnitFacts {
  pid: string;
  /** ExecMainStartTimestampMonotonic: microseconds; the hosts share one kernel, so one clock. */
  startedUs: number;
}

async function unitFacts(host: number): Promise<Record<string, UnitFacts>> {
  const out: Record<string, UnitFacts> = {};
  for (const c of COMPONENTS) {
    const props = Object.fromEntries(
      (await onHost(host, `systemctl show -p MainPID -p ExecMainStartTimestampMonotonic ${c}`))
        .trim()
        .split("\n")
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    out[c] = { pid: props.MainPID, startedUs: Number(props.ExecMainStartTimestampMonotonic) };
  }
  return out;
}

describe.skipIf(!olderKubeAvailable())(`a control plane upgraded ${FROM} → ${TO} in one up`, () => {
  let bed: Bed;
  let stack: Stack;
  let out: KubeOutputs;
  const hostsConfig = () =>
    JSON.stringify(CP.map((h, k) => ({ name: `s${k + 1}`, ip: bed.hosts[h - 1].ip, hostKey: bed.hosts[h - 1].hostKey })));
  const setVersion = async (v: string) => {
    await stack.setConfig("version", v);
    await stack.setConfig("sha256", JSON.stringify(bedKubeSha256(bed, v)));
  };
  const sessions = () => Promise.all([...CP, LB].map(sshSessions));

  beforeAll(async () => {
    bed = await bedUp(4);
    stack = await kubeTsStack(bed, "upgrade", ETCD, {
      cpHosts: hostsConfig(),
      lbHosts: JSON.stringify([{ name: "lb1", ip: bed.hosts[LB - 1].ip, hostKey: bed.hosts[LB - 1].hostKey }]),
    });
    await setVersion(FROM);
    const started = Date.now();
    await stack.pulumi(["up", "--yes", "--skip-preview"], { timeoutMs: 1_500_000 });
    log(`control plane on ${FROM} up in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    out = await kubeOutputs(stack);
  }, 1_800_000);

  afterAll(async () => {
    await stack?.pulumi(["destroy", "--yes", "--skip-preview"], { allowFailure: true, timeoutMs: 900_000 });
    await bedDown();
  }, 1_200_000);

  it(`runs ${FROM} on every apiserver`, async () => {
    for (const h of CP) {
      const v = JSON.parse((await httpsGet(`https://${bed.hosts[h - 1].ip}:6443/version`, out.caCertPem)).body) as { gitVersion: string };
      expect(v.gitVersion).toBe(`v${FROM}`);
    }
  });

  it("a skipped minor is refused at preview (the control plane recorded on 1.35), no host contacted", async () => {
    // No 1.35 is built or supported here: the state says the control plane was rolled out to 1.35.9.
    const original = await stack.exportState();
    const state = JSON.parse(original) as {
      deployment: { resources: { type: string; inputs: Record<string, unknown>; outputs: Record<string, unknown> }[] };
    };
    const rollout = state.deployment.resources.find((r) => r.type === "etcd:kube:Rollout")!;
    expect(rollout, "the etcd:kube:Rollout resource").toBeDefined();
    rollout.inputs.version = "1.35.9";
    rollout.outputs.version = "1.35.9";
    rollout.outputs.running = "1.35.9";
    try {
      await stack.pulumi(["stack", "import"], { stdin: JSON.stringify(state) });
      await setVersion(TO);
      const before = await sessions();
      const r = await stack.pulumi(["preview", "--diff"], { allowFailure: true });
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(/Kubernetes 1\.35\.9 → 1\.37\.2 skips 1 minor version\(s\).*one minor at a time/);
      expect(r.stdout + r.stderr).toMatch(/1\.36\.x, then 1\.37\.x/);
      expect((await sessions()).map((a, i) => a - before[i])).toEqual([1, 1, 1, 1]);
    } finally {
      await stack.pulumi(["stack", "import"], { stdin: original });
      await setVersion(FROM);
    }
  }, 300_000);

  it("the preview shows the order as a warning and contacts no host", async () => {
    await setVersion(TO);
    const before = await sessions();
    const r = await stack.pulumi(["preview", "--diff"]);
    const text = r.stdout + r.stderr;
    log(
      `preview:\n${text
        .split("\n")
        .filter((l) => /kube-upgrade|^\s+\d\.|one at a time/.test(l))
        .join("\n")}`,
    );
    expect(text).toMatch(/\[kube-upgrade\] cp: Kubernetes 1\.36\.3 → 1\.37\.2 \(upgrade 1\.36 → 1\.37\): 9 restarts, one at a time/);
    const a = text.indexOf("1. kube-apiserver on s1, s2, s3");
    const c = text.indexOf("2. kube-controller-manager on s1, s2, s3");
    const s = text.indexOf("3. kube-scheduler on s1, s2, s3");
    expect(a).toBeGreaterThan(0);
    expect(c).toBeGreaterThan(a);
    expect(s).toBeGreaterThan(c);
    expect((await sessions()).map((x, i) => x - before[i])).toEqual([1, 1, 1, 1]);
  }, 300_000);

  it(`one up: apiservers one at a time, then controller-managers, then schedulers; 0 failed requests; /version ${TO}`, async () => {
    const creds = adminCredentials(out);
    const ns = "upgrade-e2e";
    await kubectl(out.adminKubeconfig, ["create", "namespace", ns]);
    const items = Array.from({ length: 50 }, (_, i) => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `cm-${i}`, namespace: ns },
      data: { i: String(i) },
    }));
    await kubectl(out.adminKubeconfig, ["apply", "-f", "-"], { stdin: JSON.stringify({ apiVersion: "v1", kind: "List", items }) });
    const before: Record<number, Record<string, UnitFacts>> = {};
    for (const h of CP) before[h] = await unitFacts(h);

    await setVersion(TO);
    const r = reader(`${out.endpoint}/api/v1/namespaces/default`, creds, 100);
    const w = configMapWriter(out.endpoint, ns, creds, 250);
    const started = Date.now();
    const up = (await stack.pulumi(["up", "--yes", "--skip-preview"], { timeoutMs: 1_500_000 })).stdout;
    const seconds = (Date.now() - started) / 1000;
    await r.stop();
    await w.stop();
    log(
      `up ${seconds.toFixed(1)} s; reader ${r.ok} ok, ${r.failures.length} failed ${JSON.stringify(r.failures.slice(0, 5))}; ` +
        `writer ${w.acked.length} created, ${w.failures.length} failed ${JSON.stringify(w.failures.slice(0, 5))}`,
    );

    // The progress lines, in order (each appears twice in up's stdout).
    const lines = [...up.matchAll(/\[kube-upgrade\] (s\d): (kube-[a-z-]+) 1\.37\.2 ready \(([\d.]+) s\)/g)].map(
      (m) => `${m[2]}@${m[1]} ${m[3]}`,
    );
    const ordered = lines.filter((l, i) => lines.indexOf(l) === i);
    log(`progress:\n  ${ordered.join("\n  ")}`);
    expect(ordered.map((l) => l.split(" ")[0])).toEqual(COMPONENTS.flatMap((c) => ["s1", "s2", "s3"].map((h) => `${c}@${h}`)));

    // Every component restarted once, in that order (start times on the hosts' one clock).
    const after: Record<number, Record<string, UnitFacts>> = {};
    for (const h of CP) after[h] = await unitFacts(h);
    const starts = COMPONENTS.flatMap((c) => CP.map((h) => ({ what: `${c}@s${h}`, ...after[h][c], was: before[h][c].pid })));
    for (const s of starts) expect(s.pid, `${s.what} restarted`).not.toBe(s.was);
    const t0 = starts[0].startedUs;
    log(`restart order (s after the first start): ${starts.map((s) => `${s.what} +${((s.startedUs - t0) / 1e6).toFixed(1)}`).join(", ")}`);
    for (let k = 1; k < starts.length; k++)
      expect(starts[k].startedUs, `${starts[k].what} after ${starts[k - 1].what}`).toBeGreaterThan(starts[k - 1].startedUs);

    // Each apiserver ready before the next began to stop: stop began + restart-to-ready (the progress
    // line's seconds) < the next one's stop (journal times, one clock for all hosts).
    const stopping = async (h: number, unit = "kube-apiserver") =>
      Number(
        (
          await onHost(h, `journalctl -u ${unit} -o short-unix --no-pager | grep -F ': Stopping ${unit}' | tail -n1 | cut -d' ' -f1`)
        ).trim(),
      );
    const readySeconds = Object.fromEntries(ordered.map((l) => [l.split(" ")[0], Number(l.split(" ")[1])]));
    for (let k = 1; k < CP.length; k++) {
      const prevReady = (await stopping(CP[k - 1])) + readySeconds[`kube-apiserver@s${k}`];
      const next = await stopping(CP[k]);
      log(`s${k + 1}'s apiserver began to stop ${(next - prevReady).toFixed(2)} s after s${k}'s was ready`);
      expect(next, `s${k + 1} stops after s${k} is ready`).toBeGreaterThan(prevReady);
    }
    // ...and the first controller-manager began to stop after the last apiserver was ready.
    const lastReady = (await stopping(CP[CP.length - 1])) + readySeconds[`kube-apiserver@s${CP.length}`];
    const firstCm = await stopping(CP[0], "kube-controller-manager");
    log(`s1's controller-manager began to stop ${(firstCm - lastReady).toFixed(2)} s after the last apiserver was ready`);
    expect(firstCm).toBeGreaterThan(lastReady);

    expect(r.failures).toEqual([]);
    expect(w.failures).toEqual([]);
    expect(r.ok).toBeGreaterThan(100);
    for (const h of CP) {
      const v = JSON.parse((await httpsGet(`https://${bed.hosts[h - 1].ip}:6443/version`, out.caCertPem)).body) as { gitVersion: string };
      expect(v.gitVersion, `s${h}`).toBe(`v${TO}`);
    }
    // Objects intact: the 50 from before and every ConfigMap the writer was told was created.
    const listed = JSON.parse((await kubectl(out.adminKubeconfig, ["-n", ns, "get", "configmaps", "-o", "json"])).stdout) as {
      items: { metadata: { name: string } }[];
    };
    const names = new Set(listed.items.map((i) => i.metadata.name));
    expect(Array.from({ length: 50 }, (_, i) => `cm-${i}`).filter((n) => !names.has(n))).toEqual([]);
    expect(w.acked.filter((n) => !names.has(n))).toEqual([]);
    expect(w.acked.length).toBeGreaterThan(20);
    expect((await kubectl(out.adminKubeconfig, ["get", "--raw", "/readyz"])).stdout.trim()).toBe("ok");
  }, 1_800_000);

  it("a second up restarts nothing", async () => {
    const before: Record<number, Record<string, UnitFacts>> = {};
    for (const h of CP) before[h] = await unitFacts(h);
    await stack.pulumi(["up", "--yes", "--skip-preview"], { timeoutMs: 900_000 });
    for (const h of CP) {
      const now = await unitFacts(h);
      for (const c of COMPONENTS) expect(now[c].pid, `${c}@s${h}`).toBe(before[h][c].pid);
    }
  }, 900_000);

  it("a downgrade of the minor is refused at preview, no host contacted, every component keeps running", async () => {
    await setVersion(FROM);
    const before = await sessions();
    const r = await stack.pulumi(["preview", "--diff"], { allowFailure: true });
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/Kubernetes 1\.37\.2 → 1\.36\.3 is a downgrade of the minor version.*keep version 1\.37\.2/);
    expect((await sessions()).map((a, i) => a - before[i])).toEqual([1, 1, 1, 1]);
    await setVersion(TO);
  }, 300_000);

  it("a Kubernetes version whose etcd is too old (stacked 3.5.21 < 3.5.24) is refused at preview, no host contacted", async () => {
    const other = await kubeTsStack(bed, "old-etcd", "3.5.21", { cpHosts: hostsConfig(), localLb: "true" });
    const before = await sessions();
    const r = await other.pulumi(["preview"], { allowFailure: true });
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/Kubernetes 1\.37\.2 needs etcd 3\.5\.24 or newer .*etcd is 3\.5\.21: upgrade the etcd first/);
    expect((await sessions()).map((a, i) => a - before[i])).toEqual([1, 1, 1, 1]);
  }, 300_000);
});
