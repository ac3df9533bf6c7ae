// Entry point of the pulumi-resource-etcd plugin (bin/pulumi-resource-etcd runs this).
import * as provider from "@pulumi/pulumi/provider";
import { connectEngine } from "./engineLog";
import { etcdProvider } from "./provider";

const args = process.argv.slice(2);
connectEngine(args.find((a) => !a.startsWith("-")));
provider.main(etcdProvider, args).catch((e: Error) => {
  process.stderr.write(`pulumi-resource-etcd: ${e.stack ?? e.message}\n`);
  process.exit(1);
});
