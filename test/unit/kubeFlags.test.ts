// The control-plane components' flags (planning/kube/flags.ts) and their systemd units
// (planning/kube/units.ts): what is managed, where extra args go, what is on only with a feature.
import { describe, expect, it } from "vitest";
import {
  apiserverFlags,
  ControlPlaneSettings,
  controllerManagerFlags,
  extraArgsProblems,
  Flags,
  managedFlagNames,
  schedulerFlags,
} from "../../planning/kube/flags";
import { KUBE_COMPONENTS, KubeComponent } from "../../planning/kube/layout";
import { binaryPath, renderKubeUnit } from "../../planning/kube/units";

const settings: ControlPlaneSettings = {
  clusterName: "prod",
  dnsDomain: "corp.example",
  serviceCidr: "10.96.0.0/12",
  etcdServers: ["https://10.0.0.11:2379", "https://[fd00::12]:2379"],
  encryptionAtRest: false,
  audit: false,
  apiserverPort: 6443,
  shutdownDelaySeconds: 5,
};
const host = { advertiseAddress: "10.0.0.21", bindAddress: "10.0.0.21" };
const asMap = (f: Flags) => Object.fromEntries(f);
const names = (f: Flags) => f.map(([n]) => n);

describe("managedFlagNames", () => {
  const managed = managedFlagNames();

  it.each([
    "authorization-mode",
    "anonymous-auth",
    "client-ca-file",
    "tls-min-version",
    "tls-cert-file",
    "tls-private-key-file",
    "encryption-provider-config",
    "service-account-issuer",
    "service-account-key-file",
    "service-account-signing-key-file",
    "etcd-cafile",
    "etcd-certfile",
    "etcd-keyfile",
    "etcd-servers",
    "enable-admission-plugins",
    "enable-bootstrap-token-auth",
    "requestheader-client-ca-file",
    "requestheader-allowed-names",
    "kubelet-client-certificate",
    "kubelet-client-key",
    "proxy-client-cert-file",
    "proxy-client-key-file",
    "audit-policy-file",
    "audit-log-path",
    "profiling",
    "secure-port",
    "bind-address",
    "advertise-address",
    "service-cluster-ip-range",
    "shutdown-delay-duration",
  ])("kube-apiserver manages --%s", (flag) => {
    expect(managed["kube-apiserver"]).toContain(flag);
  });

  it.each([
    "authentication-kubeconfig",
    "authorization-kubeconfig",
    "client-ca-file",
    "cluster-signing-cert-file",
    "cluster-signing-key-file",
    "controllers",
    "kubeconfig",
    "leader-elect",
    "root-ca-file",
    "service-account-private-key-file",
    "use-service-account-credentials",
    "tls-min-version",
    "profiling",
    "bind-address",
  ])("kube-controller-manager manages --%s", (flag) => {
    expect(managed["kube-controller-manager"]).toContain(flag);
  });

  it.each(["authentication-kubeconfig", "authorization-kubeconfig", "config", "tls-min-version", "bind-address", "secure-port"])(
    "kube-scheduler manages --%s",
    (flag) => {
      expect(managed["kube-scheduler"]).toContain(flag);
    },
  );

  it("lists each flag once per component, and no flag of one component as another's", () => {
    for (const c of KUBE_COMPONENTS) expect(new Set(managed[c]).size, c).toBe(managed[c].length);
    expect(managed["kube-scheduler"]).not.toContain("service-account-private-key-file");
    expect(managed["kube-controller-manager"]).not.toContain("etcd-servers");
  });

  it("refuses every managed flag as an extra arg, with or without the leading dashes", () => {
    const keys: Record<KubeComponent, "apiserver" | "controllerManager" | "scheduler"> = {
      "kube-apiserver": "apiserver",
      "kube-controller-manager": "controllerManager",
      "kube-scheduler": "scheduler",
    };
    for (const c of KUBE_COMPONENTS)
      for (const flag of managed[c])
        for (const spelled of [flag, `--${flag}`]) {
          const problems = extraArgsProblems({ [keys[c]]: { [spelled]: "x" } }, managed);
          expect(problems, `${c} ${spelled}`).toEqual([
            `extraArgs.${keys[c]}: --${flag} is managed by the package (${c} needs the value it sets); use the component's input for it, or leave it out`,
          ]);
        }
  });

  // BUG: with --config, kube-scheduler takes leader election from the file unless a leader-elect*
  // flag is given, and then the flag wins (ApplyLeaderElectionTo in cmd/kube-scheduler/app/options).
  // The package sets leaderElect: true in scheduler-config.yaml, but the leader-elect flags are
  // neither managed nor refused for the scheduler: extraArgs.scheduler { "leader-elect": "false" }
  // passes and turns leader election off (two schedulers scheduling at once).
  it("refuses turning the scheduler's leader election off through an extra arg", () => {
    expect(extraArgsProblems({ scheduler: { "leader-elect": "false" } }, managedFlagNames())).toHaveLength(1);
  });
});

describe("apiserverFlags", () => {
  it("sets kubeadm's security flags", () => {
    const f = asMap(apiserverFlags(settings, host));
    expect(f).toMatchObject({
      "advertise-address": "10.0.0.21",
      "bind-address": "10.0.0.21",
      "secure-port": "6443",
      "anonymous-auth": "true",
      "authorization-mode": "Node,RBAC",
      "client-ca-file": "/etc/kubernetes/pki/ca.crt",
      "enable-admission-plugins": "NodeRestriction",
      "enable-bootstrap-token-auth": "true",
      "etcd-cafile": "/etc/kubernetes/pki/etcd/ca.crt",
      "etcd-certfile": "/etc/kubernetes/pki/apiserver-etcd-client.crt",
      "etcd-keyfile": "/etc/kubernetes/pki/apiserver-etcd-client.key",
      profiling: "false",
      "requestheader-allowed-names": "front-proxy-client",
      "requestheader-client-ca-file": "/etc/kubernetes/pki/front-proxy-ca.crt",
      "service-account-key-file": "/etc/kubernetes/pki/sa.pub",
      "service-account-signing-key-file": "/etc/kubernetes/pki/sa.key",
      "tls-cert-file": "/etc/kubernetes/pki/apiserver.crt",
      "tls-private-key-file": "/etc/kubernetes/pki/apiserver.key",
      "tls-min-version": "VersionTLS12",
    });
  });

  it("takes the etcd servers, service range, issuer and port from the settings", () => {
    const f = asMap(apiserverFlags({ ...settings, apiserverPort: 16443 }, { advertiseAddress: "fd00::21", bindAddress: "::" }));
    expect(f["etcd-servers"]).toBe("https://10.0.0.11:2379,https://[fd00::12]:2379");
    expect(f["service-cluster-ip-range"]).toBe("10.96.0.0/12");
    expect(f["service-account-issuer"]).toBe("https://kubernetes.default.svc.corp.example");
    expect(f["secure-port"]).toBe("16443");
    expect(f["advertise-address"]).toBe("fd00::21");
    expect(f["bind-address"]).toBe("::");
  });

  it("renders the drain before a stop: shutdown-delay-duration in seconds with shutdown-send-retry-after", () => {
    expect(asMap(apiserverFlags(settings, host))).toMatchObject({ "shutdown-delay-duration": "5s", "shutdown-send-retry-after": "true" });
    expect(asMap(apiserverFlags({ ...settings, shutdownDelaySeconds: 12 }, host))["shutdown-delay-duration"]).toBe("12s");
  });

  it("sets the encryption config flag only when encryption at rest is on", () => {
    expect(names(apiserverFlags(settings, host))).not.toContain("encryption-provider-config");
    expect(asMap(apiserverFlags({ ...settings, encryptionAtRest: true }, host))["encryption-provider-config"]).toBe(
      "/etc/kubernetes/encryption-config.yaml",
    );
  });

  it("sets the audit flags only when audit is on", () => {
    expect(names(apiserverFlags(settings, host)).filter((n) => n.startsWith("audit-"))).toEqual([]);
    const f = asMap(apiserverFlags({ ...settings, audit: true }, host));
    expect(f).toMatchObject({
      "audit-policy-file": "/etc/kubernetes/audit-policy.yaml",
      "audit-log-path": "/var/log/kubernetes/audit.log",
      "audit-log-maxage": "30",
      "audit-log-maxbackup": "10",
      "audit-log-maxsize": "100",
    });
  });

  it("appends the extra args after the managed flags, sorted by name", () => {
    const managed = apiserverFlags(settings, host);
    const extraArgs = { apiserver: { "service-node-port-range": "30000-31000", "event-ttl": "2h", "audit-log-compress": "true" } };
    const f = apiserverFlags({ ...settings, extraArgs }, host);
    expect(f.slice(0, managed.length)).toEqual(managed);
    expect(f.slice(managed.length)).toEqual([
      ["audit-log-compress", "true"],
      ["event-ttl", "2h"],
      ["service-node-port-range", "30000-31000"],
    ]);
  });

  it("renders each flag once", () => {
    const f = apiserverFlags({ ...settings, encryptionAtRest: true, audit: true, extraArgs: { apiserver: { "event-ttl": "2h" } } }, host);
    expect(new Set(names(f)).size).toBe(f.length);
  });

  // BUG: extraArgsProblems strips a leading "--" before checking the name (so "--feature-gates"
  // passes validation), but withExtra (flags.ts) appends the raw key, so the unit renders
  // "----feature-gates=..." and kube-apiserver refuses to start on the unknown flag.
  it('renders an extra arg given with its leading "--" as one flag', () => {
    const extraArgs = { apiserver: { "--feature-gates": "SomeGate=true" } };
    expect(extraArgsProblems(extraArgs, managedFlagNames())).toEqual([]);
    const unit = renderKubeUnit("kube-apiserver", "1.37.2", apiserverFlags({ ...settings, extraArgs }, host));
    expect(unit).toContain("\n  --feature-gates=SomeGate=true\n");
    expect(unit).not.toContain("----");
  });
});

describe("controllerManagerFlags and schedulerFlags", () => {
  it("runs the controller-manager with leader election, its own kubeconfig and the bootstrap controllers", () => {
    const f = asMap(controllerManagerFlags(settings));
    expect(f).toMatchObject({
      kubeconfig: "/etc/kubernetes/controller-manager.conf",
      "authentication-kubeconfig": "/etc/kubernetes/controller-manager.conf",
      "authorization-kubeconfig": "/etc/kubernetes/controller-manager.conf",
      "bind-address": "127.0.0.1",
      "cluster-name": "prod",
      "cluster-signing-cert-file": "/etc/kubernetes/pki/ca.crt",
      "cluster-signing-key-file": "/etc/kubernetes/pki/ca.key",
      controllers: "*,bootstrapsigner,tokencleaner",
      "leader-elect": "true",
      profiling: "false",
      "root-ca-file": "/etc/kubernetes/pki/ca.crt",
      "secure-port": "10257",
      "service-account-private-key-file": "/etc/kubernetes/pki/sa.key",
      "service-cluster-ip-range": "10.96.0.0/12",
      "use-service-account-credentials": "true",
    });
  });

  it("runs the scheduler from its config file on 127.0.0.1:10259", () => {
    expect(asMap(schedulerFlags(settings))).toEqual({
      "authentication-kubeconfig": "/etc/kubernetes/scheduler.conf",
      "authorization-kubeconfig": "/etc/kubernetes/scheduler.conf",
      "bind-address": "127.0.0.1",
      config: "/etc/kubernetes/scheduler-config.yaml",
      profiling: "false",
      "secure-port": "10259",
      "tls-min-version": "VersionTLS12",
    });
  });

  it("gives each component only its own extra args, sorted, after the managed flags", () => {
    const extraArgs = {
      apiserver: { "event-ttl": "2h" },
      controllerManager: { "terminated-pod-gc-threshold": "100", "node-monitor-grace-period": "50s" },
      scheduler: { v: "2" },
    };
    const cm = controllerManagerFlags({ ...settings, extraArgs });
    expect(cm.slice(-2)).toEqual([
      ["node-monitor-grace-period", "50s"],
      ["terminated-pod-gc-threshold", "100"],
    ]);
    expect(names(cm)).not.toContain("event-ttl");
    const s = schedulerFlags({ ...settings, extraArgs });
    expect(s.slice(-1)).toEqual([["v", "2"]]);
    expect(names(s)).not.toContain("node-monitor-grace-period");
  });
});

describe("renderKubeUnit", () => {
  it("puts each flag on its own continuation line of ExecStart, from the versioned binary", () => {
    const flags = apiserverFlags(settings, host);
    const unit = renderKubeUnit("kube-apiserver", "1.37.2", flags);
    const lines = unit.split("\n");
    const start = lines.indexOf("ExecStart=/opt/kubernetes/v1.37.2/kube-apiserver \\");
    expect(start).toBeGreaterThan(0);
    const flagLines = lines.slice(start + 1, start + 1 + flags.length);
    expect(flagLines).toEqual(flags.map(([k, v], i) => `  --${k}=${v}${i < flags.length - 1 ? " \\" : ""}`));
    expect(lines[start + 1 + flags.length]).toBe("Restart=always");
    expect(binaryPath("1.37.2", "kubectl")).toBe("/opt/kubernetes/v1.37.2/kubectl");
  });

  it("restarts always, lets the apiserver drain on stop and orders the others after it", () => {
    const api = renderKubeUnit("kube-apiserver", "1.36.3", apiserverFlags(settings, host));
    const cm = renderKubeUnit("kube-controller-manager", "1.36.3", controllerManagerFlags(settings));
    const sched = renderKubeUnit("kube-scheduler", "1.36.3", schedulerFlags(settings));
    for (const u of [api, cm, sched]) {
      expect(u).toContain("\nRestart=always\n");
      expect(u).toContain("\nWantedBy=multi-user.target\n");
      expect(u.endsWith("\n")).toBe(true);
    }
    expect(api).toContain("\nDescription=Kubernetes API server 1.36.3\n");
    expect(api).toContain("\nAfter=network-online.target\n");
    expect(api).toContain("\nTimeoutStopSec=70\n");
    expect(cm).toContain("\nExecStart=/opt/kubernetes/v1.36.3/kube-controller-manager \\\n");
    expect(cm).toContain("\nAfter=network-online.target kube-apiserver.service\n");
    expect(cm).toContain("\nTimeoutStopSec=30\n");
    expect(sched).toContain("\nExecStart=/opt/kubernetes/v1.36.3/kube-scheduler \\\n");
    expect(sched).toContain("\nAfter=network-online.target kube-apiserver.service\n");
  });

  it("has no character systemd would expand in what the package renders", () => {
    const all = { ...settings, encryptionAtRest: true, audit: true };
    for (const u of [
      renderKubeUnit("kube-apiserver", "1.37.2", apiserverFlags(all, host)),
      renderKubeUnit("kube-controller-manager", "1.37.2", controllerManagerFlags(all)),
      renderKubeUnit("kube-scheduler", "1.37.2", schedulerFlags(all)),
    ]) {
      expect(u).not.toMatch(/[$%]/);
      const flagLines = u.split("\n").filter((l) => l.startsWith("  --"));
      expect(flagLines.length).toBeGreaterThan(5);
      for (const l of flagLines) expect(l).toMatch(/^ {2}--[a-z][a-z0-9-]*=[^\s"'`;\\]*( \\)?$/);
    }
  });
});
