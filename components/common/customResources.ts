// Client-side class of the provider's HostScript resource (provider/common/hostScriptHandler.ts).
import * as pulumi from "@pulumi/pulumi";
import { HostConnection, secretConnection } from "./connection";

export interface HostScriptStep {
  /** A script name from the package's hosts/ directory. */
  script: pulumi.Input<string>;
  env?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Secret content for the script, sent on stdin only. */
  stdin?: pulumi.Input<string>;
}

export interface HostScriptArgs {
  connection: HostConnection;
  create: pulumi.Input<HostScriptStep>;
  update?: pulumi.Input<HostScriptStep>;
  delete?: pulumi.Input<HostScriptStep>;
  unreachableOnDelete?: pulumi.Input<"fail" | "skip">;
  timeoutSeconds?: pulumi.Input<number>;
}

export class HostScript extends pulumi.CustomResource {
  /** `::output key=value` lines the create/update script printed. */
  declare readonly outputs: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: HostScriptArgs, opts?: pulumi.CustomResourceOptions) {
    super("etcd:host:HostScript", name, { ...args, connection: secretConnection(args.connection), outputs: undefined }, opts);
  }
}
