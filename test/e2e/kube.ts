// Helpers for E2E tests of KubeControlPlane that look at the live control plane from outside, the
// way a user would: kubectl with the admin kubeconfig (through the load balancer), plain HTTPS,
// etcd3 over mTLS to read what the apiservers stored.
import { createHmac, webcrypto } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import * as https from "node:https";
import * as path from "node:path";
import { bedTarballSha256 } from "./cluster";
import { Bed, run, repo, Stack, toolchainBin } from "./harness";

export const KUBE_VERSION =
  /^KUBE_VERSIONS="?([0-9.]+)/m.exec(readFileSync(path.join(repo, "toolchain", "versions.env"), "utf8"))?.[1] ?? "1.37.2";

export interface KubeOutputs {
  endpoint: string;
  adminKubeconfig: string;
  caCertPem: string;
  joinToken: string;
  caCertHash: string;
  joinTokenExpiresAt: string;
  certificatesNotAfter: Record<string, string>;
  etcdEndpoints: string[];
  leaders: Record<string, string>;
  apiserverReadySeconds: Record<string, string>;
  etcdCaCertPem: string;
  etcdAdminCertPem: string;
  etcdAdminKeyPem: string;
}

/** The admin's client certificate and key, from the admin kubeconfig. */
export function adminCredentials(out: KubeOutputs): { ca: string; cert: string; key: string } {
  const field = (k: string) => Buffer.from(new RegExp(`${k}: (\\S+)`).exec(out.adminKubeconfig)![1], "base64").toString();
  return { ca: out.caCertPem, cert: field("client-certificate-data"), key: field("client-key-data") };
}

export async function kubeOutputs(stack: Stack): Promise<KubeOutputs> {
  return (await stack.outputs()) as unknown as KubeOutputs;
}

/** The bed mirror's Kubernetes binaries (dl.k8s.io's layout): their sha256 files. */
export function bedKubeSha256(bed: Bed, version = KUBE_VERSION): Record<string, string> {
  const dir = path.join(path.dirname(bed.etcdDist), "kube", "release", `v${version}`, "bin", "linux", "amd64");
  return Object.fromEntries(
    ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl"].map((b) => [
      b,
      readFileSync(path.join(dir, `${b}.sha256`), "utf8")
        .trim()
        .split(/\s+/)[0],
    ]),
  );
}

export function bedKubeDownloadUrl(bed: Bed): string {
  return `${bed.mirror}/kube/release/v{version}/bin/linux/{arch}/{binary}`;
}

mkdirSync(path.join(repo, "test", ".work"), { recursive: true });
const scratch = mkdtempSync(path.join(repo, "test", ".work", "kubectl-"));
let n = 0;

/** kubectl (the toolchain's) with a kubeconfig; throws with its output on failure unless allowFailure. */
export async function kubectl(kubeconfig: string, args: string[], opts: { stdin?: string; allowFailure?: boolean } = {}) {
  const file = path.join(scratch, `kubeconfig-${n++}`);
  writeFileSync(file, kubeconfig, { mode: 0o600 });
  const r = await run(path.join(toolchainBin(), "kubectl"), ["--kubeconfig", file, "--request-timeout=20s", ...args], {
    stdin: opts.stdin,
    timeoutMs: 120_000,
  });
  if (r.code !== 0 && !opts.allowFailure) throw new Error(`kubectl ${args.join(" ")} failed (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  return r;
}

/** A kubeconfig that authenticates with a bearer token (a joining kubelet's bootstrap token). */
export function tokenKubeconfig(out: KubeOutputs, token: string): string {
  const ca = Buffer.from(out.caCertPem).toString("base64");
  return `apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: ${ca}\n    server: ${out.endpoint}\n  name: c\ncontexts:\n- context:\n    cluster: c\n    user: u\n  name: c\ncurrent-context: c\nusers:\n- name: u\n  user:\n    token: ${token}\n`;
}

/** GET over HTTPS without any credentials (what token discovery does); throws unless 200. */
export async function anonymousGet(url: string, caCertPem: string): Promise<string> {
  const r = await httpsGet(url, caCertPem);
  if (r.status !== 200) throw new Error(`GET ${url}: HTTP ${r.status}: ${r.body}`);
  return r.body;
}

/** GET over HTTPS, with a bearer token when given, else no credentials at all: the status and body. */
export function httpsGet(url: string, caCertPem: string, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = token ? { authorization: `Bearer ${token}` } : undefined;
    https
      .get(url, { ca: caCertPem, timeout: 10_000, headers }, (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on("error", reject);
  });
}

/** A PKCS#10 request as a kubelet makes it for its client certificate (CN=system:node:NAME, O=system:nodes). */
export async function nodeCsrPem(node: string): Promise<string> {
  await import("reflect-metadata");
  const x509 = await import("@peculiar/x509");
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=system:node:${node}, O=system:nodes`,
    keys,
    signingAlgorithm: alg,
  });
  return csr.toString("pem");
}

/**
 * Verifies a cluster-info signature the way kubeadm's token discovery does: a detached JWS (HS256,
 * kid = token id) over the kubeconfig, keyed with the token secret.
 */
export function validClusterInfoSignature(kubeconfig: string, jws: string, token: string): boolean {
  const [id, secret] = token.split(".");
  const [header, payload, signature] = jws.split(".");
  if (payload !== "") return false;
  const h = JSON.parse(Buffer.from(header, "base64url").toString()) as { alg?: string; kid?: string };
  if (h.alg !== "HS256" || h.kid !== id) return false;
  const expected = createHmac("sha256", secret)
    .update(`${header}.${Buffer.from(kubeconfig).toString("base64url")}`)
    .digest("base64url");
  return expected === signature;
}

/** One request of a requestLoop: what to send and the status that counts as success. */
export interface LoopRequest {
  url: string;
  method?: string;
  /** A JSON body. */
  body?: string;
  status: number;
  timeoutMs: number;
  onOk?: () => void;
}

/** Sends next(n) every intervalMs until stop(); counts successes and records failures with when they happened. */
export function requestLoop(tls: { ca: string; cert?: string; key?: string }, intervalMs: number, next: (n: number) => LoopRequest) {
  const failures: { at: number; error: string }[] = [];
  let ok = 0;
  let n = 0;
  let running = true;
  const agent = new https.Agent({ ...tls, keepAlive: false });
  const once = (r: LoopRequest) =>
    new Promise<void>((resolve) => {
      const headers = r.body === undefined ? {} : { "content-type": "application/json" };
      const req = https.request(r.url, { method: r.method ?? "GET", agent, timeout: r.timeoutMs, headers }, (res) => {
        res.resume();
        res.on("end", () => {
          if (res.statusCode === r.status) {
            ok++;
            r.onOk?.();
          } else failures.push({ at: Date.now(), error: `HTTP ${res.statusCode}` });
          resolve();
        });
      });
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", (e) => {
        failures.push({ at: Date.now(), error: e.message });
        resolve();
      });
      req.end(r.body);
    });
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      await once(next(n++));
      await new Promise((r) => setTimeout(r, Math.max(0, intervalMs - (Date.now() - started))));
    }
  })();
  return {
    failures,
    get ok() {
      return ok;
    },
    async stop() {
      running = false;
      await loop;
      agent.destroy();
    },
  };
}

/** GETs url every intervalMs until stop() and counts failures, with when they happened. */
export function reader(url: string, tls: { ca: string; cert?: string; key?: string }, intervalMs = 100) {
  return requestLoop(tls, intervalMs, () => ({ url, status: 200, timeoutMs: 3000 }));
}

/**
 * Watches a namespace's ConfigMaps from `resourceVersion` the way an informer does: events are
 * followed; when the stream ends it watches again from the last version seen. A 410 (HTTP status or
 * an ERROR event, "too old resource version") is the signal to relist: it is counted in `expired`,
 * and the watcher stops there (a client would relist; the test checks the signal came).
 */
export function watcher(endpoint: string, namespace: string, resourceVersion: string, tls: { ca: string; cert: string; key: string }) {
  const agent = new https.Agent({ ...tls, keepAlive: false });
  let lastRv = resourceVersion;
  let running = true;
  const seen = { events: 0, reconnects: 0, expired: 0 };
  let current: import("node:http").ClientRequest | undefined;
  const once = () =>
    new Promise<"ended" | "expired" | "failed">((resolve) => {
      const url = `${endpoint}/api/v1/namespaces/${namespace}/configmaps?watch=1&resourceVersion=${lastRv}`;
      const req = https.get(url, { agent }, (res) => {
        if (res.statusCode === 410) {
          res.resume();
          return resolve("expired");
        }
        if (res.statusCode !== 200) {
          res.resume();
          return resolve("failed");
        }
        let buf = "";
        let expired = false;
        res.on("data", (chunk: Buffer) => {
          buf += chunk.toString();
          let nl: number;
          while ((nl = buf.indexOf("\n")) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (!line.trim()) continue;
            const ev = JSON.parse(line) as { type: string; object: { code?: number; metadata?: { resourceVersion?: string } } };
            if (ev.type === "ERROR") {
              if (ev.object.code === 410) expired = true;
              continue;
            }
            seen.events++;
            if (ev.object.metadata?.resourceVersion) lastRv = ev.object.metadata.resourceVersion;
          }
        });
        res.on("end", () => resolve(expired ? "expired" : "ended"));
        res.on("error", () => resolve(expired ? "expired" : "ended"));
      });
      current = req;
      req.on("error", () => resolve("failed"));
    });
  const loop = (async () => {
    while (running) {
      const r = await once();
      if (r === "expired") {
        seen.expired++;
        return;
      }
      if (!running) return;
      seen.reconnects++;
      await new Promise((res) => setTimeout(res, 300));
    }
  })();
  return {
    seen,
    get lastRv() {
      return lastRv;
    },
    async stop() {
      running = false;
      current?.destroy();
      await loop;
      agent.destroy();
    },
  };
}

/** A stack of the kube-ts program on the bed: the SSH key, the mirror's Kubernetes and etcd, then `config`. */
export async function kubeTsStack(bed: Bed, name: string, etcdVersion: string, config: Record<string, string>): Promise<Stack> {
  const stack = await Stack.create("kube-ts", name);
  await stack.setConfig("sshKey", readFileSync(bed.key, "utf8"), true);
  await stack.setConfig("version", KUBE_VERSION);
  await stack.setConfig("sha256", JSON.stringify(bedKubeSha256(bed)));
  await stack.setConfig("downloadUrl", bedKubeDownloadUrl(bed));
  await stack.setConfig("etcdVersion", etcdVersion);
  await stack.setConfig("etcdSha256", bedTarballSha256(bed, etcdVersion));
  await stack.setConfig("etcdDownloadUrl", `${bed.mirror}/etcd/etcd-v{version}-linux-{arch}.tar.gz`);
  for (const [k, v] of Object.entries(config)) await stack.setConfig(k, v);
  return stack;
}

/**
 * The stack config of the YAML kube programs (kube-yaml, kube-phases-yaml): the etcd host (bed host
 * 1), the control-plane host (2), optionally a load-balancer host (3), and the mirror's etcd and
 * Kubernetes with their checksums.
 */
export function yamlKubeConfig(bed: Bed, etcdVersion: string, withLb = false): Record<string, string> {
  const sums = bedKubeSha256(bed);
  const host = (key: string, i: number) => ({ [`${key}Host`]: bed.hosts[i].ip, [`${key}HostKey`]: bed.hosts[i].hostKey });
  return {
    ...host("etcd", 0),
    ...host("cp", 1),
    ...(withLb ? host("lb", 2) : {}),
    etcdSha256: bedTarballSha256(bed, etcdVersion),
    etcdDownloadUrl: `${bed.mirror}/etcd/etcd-v{version}-linux-{arch}.tar.gz`,
    version: KUBE_VERSION,
    downloadUrl: bedKubeDownloadUrl(bed),
    shaApiserver: sums["kube-apiserver"],
    shaControllerManager: sums["kube-controller-manager"],
    shaScheduler: sums["kube-scheduler"],
    shaKubectl: sums.kubectl,
  };
}
