// The data switch's plan (planning/kube/dataSwitchPlan.ts): which transition an edit means, what is
// refused before any host is touched, what preview says, and when a saved state cannot come back.
import { describe, expect, it } from "vitest";
import {
  bumpFor,
  keyFingerprint,
  stateName,
  stateProblems,
  transitionOf,
  transitionProblems,
  transitionSteps,
} from "../../planning/kube/dataSwitchPlan";
import { ControlPlaneState, DataSwitchEtcd } from "../../planning/kube/resourceTypes";

const conn = { host: "10.0.0.1", user: "root", privateKey: "k", hostKey: "ssh-ed25519 AAAA" };
const member = (name: string) => ({
  name,
  connection: conn,
  layout: {
    name,
    addresses: ["10.0.0.1"],
    ports: { client: 2379, peer: 2380, metrics: 2381 },
    dataDir: "/var/lib/etcd",
    version: "3.6.16",
  },
  peerUrls: ["https://10.0.0.1:2380"],
  clientUrls: ["https://10.0.0.1:2379"],
});
const etcd = (id: string, members = ["m1"]): DataSwitchEtcd => ({
  id,
  endpoints: ["https://10.0.0.1:2379"],
  adminTls: { caCertPem: "ca", certPem: "c", keyPem: "k" },
  members: members.map(member),
  token: "t",
  version: "3.6.16",
});
const hosts = [
  { name: "cp1", connection: conn },
  { name: "cp2", connection: conn },
];
const base = {
  controlPlane: "cp",
  hosts,
  etcd: etcd("stacked:cp-etcd"),
  kubeVersion: "1.37.2",
  serviceCidr: "10.96.0.0/12",
  encryptionKey: "key-1",
};
const state: ControlPlaneState = {
  name: "s1-20261203T101500Z",
  takenAt: "2026-12-03T10:15:00.000Z",
  reason: "before the switch",
  etcd: "stacked:cp-etcd",
  snapshots: ["cp1:/var/lib/pulumi-etcd/kube-states/s1-20261203T101500Z/snapshot.db"],
  sha256: "a".repeat(64),
  revision: "100",
  configArchives: [],
  etcdArchives: [],
  kubeVersion: "1.37.2",
  serviceCidr: "10.96.0.0/12",
  encryptionKeyFingerprint: keyFingerprint("key-1"),
};

describe("which transition an edit means", () => {
  it("a new control plane: nothing, or a restore (a clone) when it has a restore block", () => {
    expect(transitionOf(undefined, base, []).kind).toBe("none");
    expect(transitionOf(undefined, { ...base, restore: { generation: 1, source: { file: "/s.db" } } }, []).kind).toBe("restore");
  });

  it("another etcd is a switch from the recorded one; a new generation a restore; a new state name a state", () => {
    const ext = { ...base, etcd: etcd("external:etcd") };
    expect(transitionOf(base, ext, [])).toMatchObject({ kind: "switch", from: "stacked:cp-etcd", to: "external:etcd" });
    const r1 = { ...base, restore: { generation: 1, source: { file: "/s.db" } } };
    expect(transitionOf(base, r1, []).kind).toBe("restore");
    expect(transitionOf(r1, r1, []).kind).toBe("none"); // the block stays; nothing happens again
    expect(transitionOf(r1, { ...r1, restore: { ...r1.restore, generation: 2 } }, []).kind).toBe("restore");
    const t = transitionOf(base, { ...base, restoreState: state.name }, [state]);
    expect(t.kind).toBe("restore-state");
    expect(t.state?.name).toBe(state.name);
  });

  it("anything else (hosts, certificates, tuning) is no transition", () => {
    expect(transitionOf(base, { ...base, hosts: [hosts[0]] }, []).kind).toBe("none");
    expect(transitionOf(base, { ...base, etcd: { ...etcd("stacked:cp-etcd"), token: "other" } }, []).kind).toBe("none");
  });
});

describe("refused before any host is touched", () => {
  it("two data changes in one up", () => {
    const news = { ...base, etcd: etcd("external:etcd"), restore: { generation: 1, source: { file: "/s.db" } } };
    const p = transitionProblems(transitionOf(base, news, []), base, news);
    expect(p.join("\n")).toMatch(/etcd and restore.generation changed together: change one per pulumi up/);
  });

  it("a switch together with a change of the control-plane hosts", () => {
    const news = { ...base, etcd: etcd("external:etcd"), hosts: [hosts[0]] };
    expect(transitionProblems(transitionOf(base, news, []), base, news).join("\n")).toMatch(
      /control-plane hosts changed together with a switch/,
    );
  });

  it("moving data onto or off an etcd given by endpoints only", () => {
    const onto = { ...base, etcd: etcd("external:https://10.9.9.9:2379", []) };
    expect(transitionProblems(transitionOf(base, onto, []), base, onto).join("\n")).toMatch(
      /external:https:\/\/10.9.9.9:2379 is given by endpoints only: moving data onto it needs its hosts/,
    );
    const off = { ...base, etcd: etcd("stacked:cp-etcd") };
    const from = { ...base, etcd: etcd("external:x", []) };
    expect(transitionProblems(transitionOf(from, off, []), from, off).join("\n")).toMatch(
      /external:x is given by endpoints only: taking the data off it needs its hosts/,
    );
  });

  it("a state that does not exist, or any state on a new control plane", () => {
    const news = { ...base, restoreState: "s9-20261203T101500Z" };
    expect(transitionProblems(transitionOf(base, news, [state]), base, news).join("\n")).toMatch(/is not a state of this control plane/);
    expect(transitionProblems(transitionOf(undefined, news, []), undefined, news).join("\n")).toMatch(/there is none yet/);
  });

  it("nothing to refuse when nothing moves", () => {
    expect(transitionProblems(transitionOf(base, base, []), base, base)).toEqual([]);
  });
});

describe("a saved state comes back only onto a control plane it fits", () => {
  it("fits the control plane it was taken of", () => {
    expect(stateProblems(state, base)).toEqual([]);
  });
  it("not with a newer Kubernetes than the apiservers, another Service network or another encryption key", () => {
    expect(stateProblems({ ...state, kubeVersion: "1.38.0" }, base).join()).toMatch(/newer than 1.37.2/);
    expect(stateProblems(state, { ...base, kubeVersion: "1.38.1" })).toEqual([]); // an upgrade reads older data
    expect(stateProblems(state, { ...base, serviceCidr: "10.100.0.0/16" }).join()).toMatch(/Service network was 10.96.0.0\/12/);
    expect(stateProblems(state, { ...base, encryptionKey: "key-2" }).join()).toMatch(/would not decrypt/);
    expect(stateProblems(state, { ...base, encryptionKey: "" }).join()).toMatch(/now no key/);
  });
  it("a state's key is known by a fingerprint only", () => {
    expect(keyFingerprint("key-1")).toMatch(/^[0-9a-f]{16}$/);
    expect(keyFingerprint("key-1")).not.toBe(keyFingerprint("key-2"));
    expect(keyFingerprint("")).toBe("");
  });
});

describe("what preview says", () => {
  it("a switch from stacked: checks, stop, state, restore, objects written again, the way back, restart, the stacked etcd archived", () => {
    const news = { ...base, etcd: etcd("external:etcd") };
    const steps = transitionSteps(transitionOf(base, news, []), news, true);
    expect(steps[0]).toMatch(/check that external:etcd is healthy, holds no Kubernetes data \(or allowOverwrite\)/);
    expect(steps[1]).toMatch(/stop kube-apiserver, kube-controller-manager and kube-scheduler on cp1, cp2 \(writes stop/);
    expect(steps[2]).toMatch(/save a state/);
    expect(steps[3]).toMatch(/restore external:etcd from a snapshot of stacked:cp-etcd .* revisions bumped and marked compacted/);
    expect(steps[4]).toMatch(/write every Kubernetes object again, unchanged, so each resourceVersion is above any a client saw/);
    expect(steps[5]).toMatch(/on any failure so far: start the components again on stacked:cp-etcd, unchanged/);
    expect(steps[6]).toMatch(/rewrite the apiservers' etcd flags and certificates for external:etcd/);
    expect(steps[7]).toMatch(/remove the stacked etcd cp-etcd \(its data dirs archived, not wiped\)/);
  });
  it("a restore on a new control plane (a clone) has nothing to stop", () => {
    const news = { ...base, restore: { generation: 1, source: { file: "/s.db" } } };
    const steps = transitionSteps(transitionOf(undefined, news, []), news, false);
    expect(steps.join("\n")).not.toMatch(/stop kube-apiserver/);
    expect(steps[0]).toMatch(/restore stacked:cp-etcd from the snapshot \/s.db/);
  });
});

it("state names sort by number and carry the time", () => {
  expect(stateName(3, new Date("2026-12-03T10:45:00.123Z"))).toBe("s3-20261203T104500Z");
});

describe("revisions never go backwards for a client", () => {
  it("a switch (the snapshot is the head): the usual bump", () => {
    expect(bumpFor(5_000, 5_000, 1e9)).toBe(1e9);
  });
  it("an older state or backup: raised so the new head is a bump above the highest revision seen", () => {
    const highest = 2_000_010_000;
    const bump = bumpFor(highest, 4_000, 1e9);
    expect(4_000 + bump).toBe(highest + 1e9);
  });
  it("a backup whose revision is not known yet: counted as 0", () => {
    expect(bumpFor(3_000, undefined, 1e9)).toBe(3_000 + 1e9);
  });
});
