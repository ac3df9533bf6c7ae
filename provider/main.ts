// Entry point of the pulumi-resource-etcd plugin (bin/pulumi-resource-etcd runs this).
import * as provider from "@pulumi/pulumi/provider";
import { appendFileSync } from "node:fs";
import { connectEngine } from "./common/engineLog";
import { etcdProvider } from "./provider";

// PULUMI_ETCD_TRACE=<file>: appends when this process started, when its modules were loaded, when
// it listened, and each RPC's start and duration (wall-clock ms, to line up with other processes).
const traceFile = process.env.PULUMI_ETCD_TRACE;
const origin = performance.timeOrigin;
function trace(what: string): void {
  if (traceFile) appendFileSync(traceFile, `${(origin + performance.now()).toFixed(0)} pid=${process.pid} ${what}\n`);
}
trace(`started at ${origin.toFixed(0)}; modules loaded after ${performance.now().toFixed(0)} ms`);
const served: provider.Provider = traceFile ? traced(etcdProvider) : etcdProvider;

function traced(p: provider.Provider): provider.Provider {
  const out: Record<string, unknown> = { ...p };
  for (const [name, fn] of Object.entries(p)) {
    if (typeof fn !== "function") continue;
    out[name] = async (...args: unknown[]) => {
      const t = performance.now();
      const subject = typeof args[1] === "string" && args[1].startsWith("urn:") ? args[1] : String(args[0]).slice(0, 120);
      try {
        return await (fn as (...a: unknown[]) => Promise<unknown>).apply(p, args);
      } finally {
        trace(`${name} ${(performance.now() - t).toFixed(1)} ms ${subject}`);
      }
    };
  }
  return out as unknown as provider.Provider;
}

// When the engine dies without closing us (a second Ctrl-C), this process would be orphaned and go
// on changing a cluster that the next `pulumi up` is also changing. Exit as soon as the engine is
// gone: an operation cut short is found and finished by the next up (see resources/member.ts).
const engine = process.ppid;
setInterval(() => {
  if (process.ppid !== engine) process.exit(1);
}, 250).unref();

const args = process.argv.slice(2);
connectEngine(args.find((a) => !a.startsWith("-")));
provider.main(served, args).then(
  () => trace(`listening after ${performance.now().toFixed(0)} ms`),
  (e: Error) => {
    process.stderr.write(`pulumi-resource-etcd: ${e.stack ?? e.message}\n`);
    process.exit(1);
  },
);
