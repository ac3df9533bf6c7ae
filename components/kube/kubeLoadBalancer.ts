// KubeLoadBalancer: haproxy in front of the apiservers on the hosts given: dedicated load-balancer
// hosts (kubeadm's HA guide), or every control-plane host at 127.0.0.1 (kubespray's local LB).
// TCP passthrough with HTTPS /readyz checks (planning/kube/haproxy.ts). Usable alone, also from YAML
// (the backends as names and addresses, e.g. a KubeControlPlaneMember's advertiseAddress).
import * as pulumi from "@pulumi/pulumi";
import { httpsUrl } from "../../planning/common/addresses";
import { renderHaproxyConfig } from "../../planning/kube/haproxy";
import { HostConnection } from "../common/connection";
import { HostScript } from "../common/customResources";

/** A host that runs haproxy. */
export interface LoadBalancerHost {
  /** The host's name (DNS label). */
  name: string;
  /** How the provider reaches the host. */
  connection: HostConnection;
  /** The address clients reach the load balancer at; default the SSH host. */
  address?: pulumi.Input<string>;
}

/** An apiserver behind the load balancer. */
export interface LoadBalancerBackend {
  /** The backend's name in haproxy's configuration (the host's name). */
  name: string;
  /** The apiserver's address (IPv4, IPv6 or DNS name). */
  address: string;
  /** The apiserver's port (6443). */
  port: number;
}

export interface KubeLoadBalancerArgs {
  /** The hosts that run haproxy (at least one); clients use the first. */
  hosts: LoadBalancerHost[];
  /** The apiservers. */
  backends: pulumi.Input<LoadBalancerBackend[]>;
  /** The cluster CA certificate: the health checks verify the apiservers with it. */
  caCertPem: pulumi.Input<string>;
  /** Where haproxy listens: "0.0.0.0" (default; a dedicated host) or "127.0.0.1" (local on control-plane hosts). */
  bindAddress?: string;
  /** The port haproxy listens on; default 6443. */
  port?: number;
  /** Milliseconds between health checks; default 1000 (a failed apiserver leaves after 2 checks). */
  checkIntervalMs?: number;
  /** Resources the haproxy steps wait for (preflights); TypeScript only (other languages: the dependsOn option). */
  after?: pulumi.Resource[];
}

/** haproxy in front of the apiservers, on each host given. */
export class KubeLoadBalancer extends pulumi.ComponentResource {
  /** The URL clients use (the first host's address, or 127.0.0.1 for a local load balancer). */
  readonly url: pulumi.Output<string>;
  /** TypeScript only: the haproxy step of each host. */
  readonly steps: HostScript[];

  constructor(name: string, args: KubeLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etcd:index:KubeLoadBalancer", name, {}, opts);
    if (!args.hosts?.length) throw new Error(`KubeLoadBalancer ${name}: give at least one host in hosts`);
    const bind = args.bindAddress ?? "0.0.0.0";
    const port = args.port ?? 6443;
    const config = pulumi
      .output(args.backends)
      .apply((backends) => renderHaproxyConfig({ bindAddress: bind, port, backends, checkIntervalMs: args.checkIntervalMs ?? 1000 }));
    this.steps = args.hosts.map(
      (h) =>
        new HostScript(
          `${name}-${h.name}-haproxy`,
          {
            connection: h.connection,
            create: { script: "haproxy", env: { PE_CONFIG: config, PE_CA_CERT: args.caCertPem, PE_LISTEN: `${bind}:${port}` } },
            delete: { script: "haproxy-remove" },
            timeoutSeconds: 900,
          },
          { parent: this, dependsOn: args.after },
        ),
    );
    const first = args.hosts[0];
    const address = bind === "127.0.0.1" ? pulumi.output("127.0.0.1") : pulumi.output(first.address ?? first.connection.host);
    this.url = address.apply((a) => httpsUrl(a, port));
    this.registerOutputs({ url: this.url });
  }
}
