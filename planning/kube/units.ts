// systemd units of the control-plane components. Flags are rendered one per line; their values were
// validated (flags.ts) so that none holds a space, quote or a character systemd expands.
import { Flags } from "./flags";
import { BIN_DIR, KubeComponent } from "./layout";

const DESCRIPTIONS: Record<KubeComponent, string> = {
  "kube-apiserver": "Kubernetes API server",
  "kube-controller-manager": "Kubernetes controller manager",
  "kube-scheduler": "Kubernetes scheduler",
};

export function binaryPath(version: string, binary: string): string {
  return `${BIN_DIR}/v${version}/${binary}`;
}

export function renderKubeUnit(component: KubeComponent, version: string, flags: Flags): string {
  const lines = flags.map(([k, v]) => `  --${k}=${v}`);
  const after = component === "kube-apiserver" ? "network-online.target" : "network-online.target kube-apiserver.service";
  return [
    "# Managed by pulumi-etcd (KubeControlPlane); changes are overwritten.",
    "[Unit]",
    `Description=${DESCRIPTIONS[component]} ${version}`,
    "Documentation=https://kubernetes.io/docs/reference/command-line-tools-reference/",
    `After=${after}`,
    "Wants=network-online.target",
    "",
    "[Service]",
    `ExecStart=${binaryPath(version, component)} \\`,
    lines.join(" \\\n"),
    // The controller-manager and scheduler exit on purpose when they lose their lease: always restart.
    "Restart=always",
    "RestartSec=2",
    "LimitNOFILE=65536",
    // The apiserver drains for --shutdown-delay-duration, then finishes in-flight requests.
    component === "kube-apiserver" ? "TimeoutStopSec=70" : "TimeoutStopSec=30",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}
