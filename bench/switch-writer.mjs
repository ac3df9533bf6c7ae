// The writer of bench/switch: every 100 ms (started on a timer, not after the previous one ends, so a
// hanging request does not hide the recovery) a merge-patch of one ConfigMap through the API endpoint,
// over a new TLS connection each time (the apiserver behind it restarts). One line per write, when it
// ends: `ok <epoch ms> <n>` or `fail <epoch ms> <n> <reason>`. Runs until SIGTERM, then waits for the
// writes in flight (each times out after 3 s) and exits.
//   node bench/switch-writer.mjs ENDPOINT CA_FILE CERT_FILE KEY_FILE NAMESPACE NAME
import { readFileSync } from "node:fs";
import * as https from "node:https";
import { clearInterval, setInterval } from "node:timers";

const [endpoint, caFile, certFile, keyFile, namespace, name] = process.argv.slice(2);
const agent = new https.Agent({
  ca: readFileSync(caFile),
  cert: readFileSync(certFile),
  key: readFileSync(keyFile),
  keepAlive: false,
  maxSockets: 64,
});
const base = `${endpoint}/api/v1/namespaces/${namespace}/configmaps`;
const INTERVAL_MS = 100;
const TIMEOUT_MS = 3000;

function request(method, url, body, type) {
  return new Promise((resolve) => {
    const req = https.request(
      url,
      { method, agent, timeout: TIMEOUT_MS, headers: { "content-type": type, accept: "application/json" } },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode === 200 || res.statusCode === 201 ? "" : `HTTP ${res.statusCode}`));
        res.on("error", (e) => resolve(e.message));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e) => resolve(e.code ?? e.message));
    req.end(body);
  });
}

let inFlight = 0;
async function write(n) {
  inFlight++;
  const data = { data: { n: String(n), at: new Date().toISOString() } };
  let error = await request("PATCH", `${base}/${name}`, JSON.stringify(data), "application/merge-patch+json");
  if (error === "HTTP 404")
    error = await request(
      "POST",
      base,
      JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, ...data }),
      "application/json",
    );
  process.stdout.write(error ? `fail ${Date.now()} ${n} ${error.replace(/\s+/g, "_")}\n` : `ok ${Date.now()} ${n}\n`);
  inFlight--;
}

let n = 0;
const timer = setInterval(() => void write(n++), INTERVAL_MS);
process.on("SIGTERM", () => {
  clearInterval(timer);
  const deadline = Date.now() + TIMEOUT_MS + 1000;
  const done = setInterval(() => {
    if (inFlight === 0 || Date.now() > deadline) {
      clearInterval(done);
      agent.destroy();
      process.exit(0);
    }
  }, 50);
});
