// TrustedCaFile: puts a CA certificate on hosts (the first slice through SSH, host scripts and state;
// EtcdMember lays out its PKI the same way).
import * as pulumi from "@pulumi/pulumi";
import { HostConnection } from "../common/connection";
import { HostScript } from "../common/customResources";

export interface TrustedCaFileArgs {
  /** The CA certificate (PEM) to put on the hosts. */
  certPem: pulumi.Input<string>;
  /** The hosts to put it on. */
  hosts: HostConnection[];
  /** The file's path; default /etc/etcd/pki/ca.crt. */
  path?: pulumi.Input<string>;
  /** The file's mode, octal; default 0644. */
  mode?: pulumi.Input<string>;
  /** The file's owner; default root. */
  owner?: pulumi.Input<string>;
  /** The file's group; default root. */
  group?: pulumi.Input<string>;
}

/** Puts a CA certificate on hosts, atomically, with mode and owner. */
export class TrustedCaFile extends pulumi.ComponentResource {
  /** sha256 of the file as written on each host, in the order of `hosts`. */
  readonly sha256: pulumi.Output<string[]>;

  constructor(name: string, args: TrustedCaFileArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etcd:index:TrustedCaFile", name, {}, opts);
    const env = {
      PE_PATH: args.path ?? "/etc/etcd/pki/ca.crt",
      PE_MODE: args.mode ?? "0644",
      PE_OWNER: args.owner ?? "root",
      PE_GROUP: args.group ?? "root",
    };
    const files = args.hosts.map(
      (host, i) =>
        new HostScript(
          `${name}-${i}`,
          {
            connection: host,
            create: { script: "install-file", env, stdin: args.certPem },
            delete: { script: "remove-file", env: { PE_PATH: env.PE_PATH } },
          },
          { parent: this },
        ),
    );
    this.sha256 = pulumi.all(files.map((f) => f.outputs.apply((o) => o.sha256)));
    this.registerOutputs({ sha256: this.sha256 });
  }
}
