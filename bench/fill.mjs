// Fills the benchmark's cluster: N values of 1 MiB, 8 writes in flight.
//   node bench/fill.mjs REPO OUTPUTS_JSON MIB constant|random
// "random" values are incompressible, like real data (a gzip'd snapshot stays as large).
import { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const [repo, outputs, mib, kind] = process.argv.slice(2);
const { etcdClient } = createRequire(import.meta.url)(`${repo}/dist/provider/etcd/client.js`);
const o = JSON.parse(readFileSync(outputs, "utf8"));
const c = etcdClient(o.clientEndpoints, { caCertPem: o.caCertPem, certPem: o.adminCertPem, keyPem: o.adminKeyPem }, 60000);
const total = Number(mib);
const constant = Buffer.alloc(1 << 20, 7);
let next = 0;
const worker = async () => {
  while (next < total) {
    const k = next++;
    await c.put(`bench/${k}`).value(kind === "random" ? randomBytes(1 << 20) : constant);
  }
};
Promise.all(Array.from({ length: 8 }, worker)).then(
  async () => {
    const s = await c.maintenance.status();
    console.error(`filled: ${total} MiB of ${kind} values, db size ${(Number(s.dbSize) / 2 ** 20).toFixed(0)} MiB`);
    c.close();
  },
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
