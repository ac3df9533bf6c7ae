// Golden files: the exact systemd units, haproxy config and config files a KubeControlPlane puts on
// its hosts. A change to the units or config files restarts the control-plane components on every
// existing cluster after an upgrade of the package (one host at a time), and a change to the haproxy
// config reloads every load balancer: it must be deliberate, and the diff shows here first. Also
// the ClusterConfiguration and KubeletConfiguration stored for `kubeadm join` (kubeadm-config,
// kubelet-config): every node that joins afterwards gets what they say.
//   UPDATE_GOLDEN=1 npx vitest run test/unit/kubeGolden.test.ts      rewrites test/unit/golden/kube-*.txt
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { renderEncryptionConfig, renderSchedulerConfig } from "../../planning/kube/configFiles";
import { apiserverFlags, ControlPlaneSettings, controllerManagerFlags, schedulerFlags } from "../../planning/kube/flags";
import { renderHaproxyConfig } from "../../planning/kube/haproxy";
import { renderClusterConfiguration, renderKubeletConfiguration } from "../../planning/kube/kubeadmConfig";
import { renderKubeUnit } from "../../planning/kube/units";

const GOLDEN = path.join(__dirname, "golden");

// 2 control-plane hosts on a 3-member external etcd, Secrets encrypted at rest, audit on, one extra
// apiserver arg; the settings KubeControlPlane derives with its defaults. Rendered for the first host.
const settings: ControlPlaneSettings = {
  clusterName: "kubernetes",
  dnsDomain: "cluster.local",
  serviceCidr: "10.96.0.0/12",
  etcdServers: ["https://10.0.0.11:2379", "https://10.0.0.12:2379", "https://10.0.0.13:2379"],
  encryptionAtRest: true,
  audit: true,
  apiserverPort: 6443,
  shutdownDelaySeconds: 5,
  extraArgs: { apiserver: { "event-ttl": "2h" } },
};
const cp1 = { advertiseAddress: "10.0.0.21", bindAddress: "10.0.0.21" };
const VERSION = "1.37.2";
// A fixed key: bytes 0..31.
const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString("base64");

const CASES: Record<string, () => string> = {
  "kube-apiserver-unit.txt": () => renderKubeUnit("kube-apiserver", VERSION, apiserverFlags(settings, cp1)),
  "kube-controller-manager-unit.txt": () => renderKubeUnit("kube-controller-manager", VERSION, controllerManagerFlags(settings)),
  "kube-scheduler-unit.txt": () => renderKubeUnit("kube-scheduler", VERSION, schedulerFlags(settings)),
  // A dedicated load balancer host in front of 2 apiservers, one of them on IPv6.
  "kube-haproxy-cfg.txt": () =>
    renderHaproxyConfig({
      bindAddress: "0.0.0.0",
      port: 6443,
      backends: [
        { name: "cp1", address: "10.0.0.21", port: 6443 },
        { name: "cp2", address: "fd00::22", port: 6443 },
      ],
      checkIntervalMs: 1000,
    }),
  "kube-scheduler-config.txt": () => renderSchedulerConfig(),
  "kube-encryption-config.txt": () => renderEncryptionConfig(KEY),
  // Joining nodes reach the apiservers through the load balancer host.
  "kube-kubeadm-cluster-configuration.txt": () =>
    renderClusterConfiguration({
      kubernetesVersion: VERSION,
      controlPlaneEndpoint: "https://10.0.0.30:6443",
      clusterName: settings.clusterName,
      serviceCidr: settings.serviceCidr,
      dnsDomain: settings.dnsDomain,
      etcdEndpoints: settings.etcdServers,
      keyAlgorithm: "ECDSA-P256",
    }),
  "kube-kubelet-configuration.txt": () => renderKubeletConfiguration(settings),
};

describe("golden files: control-plane units, haproxy config and config files as rendered", () => {
  for (const [file, render] of Object.entries(CASES)) {
    it(file, () => {
      const text = render();
      const golden = path.join(GOLDEN, file);
      if (process.env.UPDATE_GOLDEN === "1") {
        mkdirSync(GOLDEN, { recursive: true });
        writeFileSync(golden, text);
      }
      expect(text).toBe(readFileSync(golden, "utf8"));
    });
  }
});
