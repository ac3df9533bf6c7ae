// Entry point of the pulumi-resource-etcd plugin (bin/pulumi-resource-etcd runs this).
import * as provider from "@pulumi/pulumi/provider";
import { connectEngine } from "./common/engineLog";
import { etcdProvider } from "./provider";

// When the engine dies without closing us (a second Ctrl-C), this process would be orphaned and go
// on changing a cluster that the next `pulumi up` is also changing. Exit as soon as the engine is
// gone: an operation cut short is found and finished by the next up (see resources/member.ts).
const engine = process.ppid;
setInterval(() => {
  if (process.ppid !== engine) process.exit(1);
}, 250).unref();

const args = process.argv.slice(2);
connectEngine(args.find((a) => !a.startsWith("-")));
provider.main(etcdProvider, args).catch((e: Error) => {
  process.stderr.write(`pulumi-resource-etcd: ${e.stack ?? e.message}\n`);
  process.exit(1);
});
