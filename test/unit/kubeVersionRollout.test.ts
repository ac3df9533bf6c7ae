// A control plane's version change (issue 13, point 5): the skew rules, the restart order, the etcd a
// target needs, the preview lines, and what the provider's etcd:kube:Rollout refuses at preview (check)
// and shows (diff) without contacting any host.
import { describe, expect, it, vi } from "vitest";

vi.mock("../../provider/common/hostStep", async (original) => ({
  ...(await original<typeof import("../../provider/common/hostStep")>()),
  runHostStep: vi.fn(),
}));
import {
  etcdRequirementProblem,
  memberChangeProblem,
  MIN_ETCD_FOR_KUBE,
  versionChangeProblem,
  versionRolloutPlan,
  versionRolloutPreviewLines,
} from "../../planning/kube/versionRollout";
import { validateControlPlane } from "../../planning/kube/controlPlaneSpec";
import { kubeRolloutResource } from "../../provider/kube/rolloutHandler";
import type { Context } from "../../provider/common/handler";

const HOSTS = ["cp1", "cp2", "cp3"];

describe("version-skew rules", () => {
  it("allows a patch (up or down) and one minor up", () => {
    expect(versionChangeProblem("1.36.3", "1.36.5")).toBeUndefined();
    expect(versionChangeProblem("1.37.2", "1.37.1")).toBeUndefined();
    expect(versionChangeProblem("1.36.3", "1.37.2")).toBeUndefined();
    expect(versionChangeProblem("v1.36.3", "1.37.2")).toBeUndefined();
  });

  it("refuses a skipped minor, saying which steps to take", () => {
    const p = versionChangeProblem("1.35.4", "1.37.2", [35, 36, 37]);
    expect(p).toMatch(/1\.35\.4 → 1\.37\.2 skips 1 minor version/);
    expect(p).toMatch(/one minor at a time/);
    expect(p).toMatch(/1\.36\.x, then 1\.37\.x/);
  });

  it("refuses a downgrade of the minor, saying what to keep", () => {
    const p = versionChangeProblem("1.37.2", "1.36.3");
    expect(p).toMatch(/1\.37\.2 → 1\.36\.3 is a downgrade of the minor version/);
    expect(p).toMatch(/keep version 1\.37\.2/);
  });

  it("refuses a minor the release does not support, and a major change", () => {
    expect(versionChangeProblem("1.37.2", "1.38.0")).toMatch(/1\.38 is not supported by this release \(supported: 1\.36\.x, 1\.37\.x\)/);
    expect(versionChangeProblem("1.37.2", "2.37.0", [37])).toMatch(/major version/);
    expect(versionChangeProblem("1.37.2", "latest")).toMatch(/not a Kubernetes release version/);
  });

  it("refuses a version change in the same up as a change of hosts", () => {
    expect(memberChangeProblem("1.36.3", "1.37.2", HOSTS, [...HOSTS, "cp4"])).toMatch(
      /1\.36\.3 → 1\.37\.2 in the same up that adds cp4: one kind of change at a time/,
    );
    expect(memberChangeProblem("1.36.3", "1.37.2", HOSTS, ["cp1", "cp2"])).toMatch(/removes cp3/);
    expect(memberChangeProblem("1.36.3", "1.36.3", HOSTS, ["cp1"])).toBeUndefined();
    expect(memberChangeProblem("1.36.3", "1.37.2", HOSTS, [...HOSTS])).toBeUndefined();
  });
});

describe("restart order", () => {
  it("every apiserver first, then every controller-manager, then every scheduler, hosts in order", () => {
    const plan = versionRolloutPlan("1.36.3", "1.37.2", HOSTS);
    expect(plan.kind).toBe("minor");
    expect(plan.steps.map((s) => `${s.component}@${s.host}`)).toEqual([
      "kube-apiserver@cp1",
      "kube-apiserver@cp2",
      "kube-apiserver@cp3",
      "kube-controller-manager@cp1",
      "kube-controller-manager@cp2",
      "kube-controller-manager@cp3",
      "kube-scheduler@cp1",
      "kube-scheduler@cp2",
      "kube-scheduler@cp3",
    ]);
    expect(versionRolloutPlan("1.37.1", "1.37.2", HOSTS).kind).toBe("patch");
    expect(versionRolloutPlan("1.37.2", "v1.37.2", HOSTS)).toEqual({ kind: "none", steps: [] });
  });

  it("preview lines: the order, the readiness gate, the settle time; a refusal in one line", () => {
    const lines = versionRolloutPreviewLines("1.36.3", "1.37.2", HOSTS, { settleSeconds: 3 });
    expect(lines[0]).toBe(
      "Kubernetes 1.36.3 → 1.37.2 (upgrade 1.36 → 1.37): 9 restarts, one at a time, in the order the version-skew policy needs:",
    );
    const text = lines.join("\n");
    expect(text.indexOf("kube-apiserver on cp1, cp2, cp3")).toBeLessThan(text.indexOf("kube-controller-manager on cp1, cp2, cp3"));
    expect(text.indexOf("kube-controller-manager on")).toBeLessThan(text.indexOf("kube-scheduler on cp1, cp2, cp3"));
    expect(text).toMatch(/\/readyz through its own address, \/version 1\.37\.2\), then 3 s for the load balancer/);
    expect(versionRolloutPreviewLines("1.37.2", "1.36.3", HOSTS, { refusal: "no" })).toEqual(["Kubernetes 1.37.2 → 1.36.3: refused: no"]);
    expect(versionRolloutPreviewLines("1.37.2", "1.37.2", HOSTS)).toEqual([]);
  });
});

describe("the etcd a Kubernetes version needs", () => {
  it("kubeadm's minimum (3.5.24) for 1.36 and 1.37", () => {
    expect(MIN_ETCD_FOR_KUBE[36]).toBe("3.5.24");
    expect(MIN_ETCD_FOR_KUBE[37]).toBe("3.5.24");
    expect(etcdRequirementProblem("1.37.2", "3.5.21")).toMatch(
      /Kubernetes 1\.37\.2 needs etcd 3\.5\.24 or newer .*the control plane's etcd is 3\.5\.21: upgrade the etcd first/,
    );
    expect(etcdRequirementProblem("1.36.3", "3.5.23")).toMatch(/needs etcd 3\.5\.24/);
    for (const ok of ["3.5.24", "3.5.35", "3.6.9", "3.6.16", "3.7.3"]) expect(etcdRequirementProblem("1.37.2", ok)).toBeUndefined();
    // Not known to the component (etcd by endpoints): not checked.
    expect(etcdRequirementProblem("1.37.2", undefined)).toBeUndefined();
    expect(etcdRequirementProblem("1.37.2", "")).toBeUndefined();
  });

  it("is refused when the control plane is validated, before any host is touched", () => {
    const base = {
      hosts: [{ name: "cp1", host: "10.0.0.1" }],
      version: "1.36.3",
      etcd: { stacked: true },
    };
    expect(validateControlPlane({ ...base, etcdVersion: "3.5.21" }).errors.join("\n")).toMatch(/needs etcd 3\.5\.24 or newer/);
    expect(validateControlPlane({ ...base, etcdVersion: "3.6.16" }).errors).toEqual([]);
  });
});

describe("etcd:kube:Rollout at preview (no host contacted)", () => {
  const conn = (ip: string) => ({ host: ip, user: "root", privateKey: "KEY" });
  const inputs = (version: string, names = HOSTS) => ({
    controlPlane: "cp",
    version,
    hosts: names.map((n, i) => ({
      name: n,
      connection: conn(`10.0.0.${i + 1}`),
      readyzUrl: `https://10.0.0.${i + 1}:6443/readyz`,
      units: { apiserver: "A", controllerManager: "C", scheduler: "S" },
    })),
    settleSeconds: 3,
  });
  const recorder = () => {
    const warnings: string[] = [];
    const ctx: Context = {
      urn: "urn",
      log: async () => undefined,
      warn: async (phase, subject, message) => void warnings.push(`[${phase}] ${subject}: ${message}`),
    };
    return { ctx, warnings };
  };

  it("check refuses a skipped minor, a minor downgrade and a version change with a host change", async () => {
    const down = await kubeRolloutResource.check(inputs("1.36.3"), inputs("1.37.2"));
    expect(down.failures?.[0].reason).toMatch(/downgrade of the minor version/);
    const skip = await kubeRolloutResource.check(inputs("1.37.2"), { ...inputs("1.36.3"), version: "1.35.9" });
    expect(skip.failures?.[0].reason).toMatch(/not supported by this release|skips/);
    const both = await kubeRolloutResource.check(inputs("1.37.2", [...HOSTS, "cp4"]), inputs("1.36.3"));
    expect(both.failures?.[0].reason).toMatch(/one kind of change at a time/);
    expect((await kubeRolloutResource.check(inputs("1.37.2"), inputs("1.36.3"))).failures).toBeUndefined();
    expect((await kubeRolloutResource.check(inputs("1.36.3", [...HOSTS, "cp4"]), inputs("1.36.3"))).failures).toBeUndefined();
    expect((await kubeRolloutResource.check(inputs("1.36.3"), {})).failures).toBeUndefined();
  });

  it("diff: a version change is an update with the plan as a warning; any other change is not the rollout's", async () => {
    const { ctx, warnings } = recorder();
    const d = await kubeRolloutResource.diff({ ...inputs("1.36.3"), running: "1.36.3", lastRollout: "" }, inputs("1.37.2"), ctx);
    expect(d.changes).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^\[kube-upgrade\] cp: Kubernetes 1\.36\.3 → 1\.37\.2 \(upgrade 1\.36 → 1\.37\)/);
    const other = inputs("1.36.3");
    other.hosts[0].units.apiserver = "A2";
    const { ctx: ctx2, warnings: w2 } = recorder();
    const same = await kubeRolloutResource.diff({ ...inputs("1.36.3"), running: "1.36.3", lastRollout: "" }, other, ctx2);
    expect(same.changes).toBe(false);
    expect(w2).toEqual([]);
  });
});

describe("etcd:kube:Rollout at up (host steps faked)", () => {
  it("restarts in plan order, logs one line per step, and stops at the first failure naming the host and why", async () => {
    const { runHostStep, HostStepError } = await import("../../provider/common/hostStep");
    const calls: string[] = [];
    let failAt = "";
    let notReady = "";
    const checked: string[] = [];
    vi.mocked(runHostStep).mockImplementation(async (_p, conn, step) => {
      if (step.env!.PE_CHECK_ONLY === "1") {
        checked.push(conn.host);
        return conn.host === notReady
          ? { outputs: { ready: "no", why: "kube-apiserver is not running" }, stdout: "" }
          : { outputs: { ready: "yes" }, stdout: "" };
      }
      const who = `${step.env!.PE_COMPONENT}@${conn.host}`;
      calls.push(who);
      if (who === failAt) throw new HostStepError(`kube-upgrade failed on ${conn.host} (exit 1): not ready`, "kube-upgrade", conn.host, 1);
      return { outputs: { state: "restarted", seconds: "4.1", pid: "1" }, stdout: "" };
    });
    const logs: string[] = [];
    const ctx: Context = {
      urn: "urn",
      log: async (phase, subject, message) => void logs.push(`[${phase}] ${subject}: ${message}`),
      warn: async () => undefined,
    };
    const hosts = HOSTS.map((n, i) => ({
      name: n,
      connection: { host: `10.0.0.${i + 1}`, user: "root", privateKey: "KEY" },
      readyzUrl: `https://10.0.0.${i + 1}:6443/readyz`,
      units: { apiserver: "A", controllerManager: "C", scheduler: "S" },
    }));
    const olds = { controlPlane: "cp", version: "1.36.3", hosts, running: "1.36.3", lastRollout: "" };
    const news = { controlPlane: "cp", version: "1.37.2", hosts, settleSeconds: 3 };
    const r = await kubeRolloutResource.update(ctx, "id", olds, news);
    expect(calls).toEqual(
      ["kube-apiserver", "kube-controller-manager", "kube-scheduler"].flatMap((c) => ["1", "2", "3"].map((k) => `${c}@10.0.0.${k}`)),
    );
    expect(logs).toContain("[kube-upgrade] cp1: kube-apiserver 1.37.2 ready (4.1 s)");
    expect(r.outs).toMatchObject({ running: "1.37.2", apiserverReadySeconds: { cp1: "4.1", cp2: "4.1", cp3: "4.1" } });

    calls.length = 0;
    failAt = "kube-apiserver@10.0.0.2";
    await expect(kubeRolloutResource.update(ctx, "id", olds, news)).rejects.toThrow(
      /stopped at cp2: kube-apiserver did not come up on 1\.37\.2: .*not ready\nDone so far: kube-apiserver@cp1\. The other hosts keep running/,
    );
    expect(calls).toEqual(["kube-apiserver@10.0.0.1", "kube-apiserver@10.0.0.2"]);

    // Every apiserver is checked before the first restart: one not ready refuses, nothing restarted.
    expect(checked).toEqual(["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.1", "10.0.0.2", "10.0.0.3"]);
    calls.length = 0;
    notReady = "10.0.0.3";
    await expect(kubeRolloutResource.update(ctx, "id", olds, news)).rejects.toThrow(
      /refused, nothing was restarted: every apiserver must be ready .*\n {2}- cp3: kube-apiserver is not running/,
    );
    expect(calls).toEqual([]);
    notReady = "";

    // Refused at up too (a state written by hand, or a check skipped): nothing runs.
    calls.length = 0;
    await expect(kubeRolloutResource.update(ctx, "id", { ...olds, running: "1.37.2" }, { ...news, version: "1.36.3" })).rejects.toThrow(
      /downgrade.*nothing was restarted/,
    );
    expect(calls).toEqual([]);
  });
});
