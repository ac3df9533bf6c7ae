// etcd:cluster:Bootstrap: what a cluster knows only at its birth, the initial member set and a
// unique initial-cluster-token. Created once and never updated: later member changes must not
// rewrite the bootstrap-time initial cluster of the members that stay (that would restart them),
// and members added later join the running cluster instead of bootstrapping. It also records the
// default etcd version at birth: a cluster that declares none keeps it when a later release of the
// package moves the default.
import { randomBytes } from "node:crypto";
import { initialCluster as formatInitialCluster } from "../../planning/etcd/etcdConfig";
import { clusterRegistry } from "./clusterRegistry";
import { reveal } from "../common/secrets";
import { ResourceHandler } from "../common/handler";
import { BootstrapInputs } from "../../planning/etcd/resourceTypes";

type Inputs = BootstrapInputs;

export const bootstrapResource: ResourceHandler = {
  async check(news) {
    const failures = [];
    const members = (news.members ?? []) as unknown[];
    if (!Array.isArray(members) || members.length === 0) failures.push({ property: "members", reason: "at least one member is required" });
    return { inputs: news, failures };
  },
  // Never a change: the bootstrap facts are fixed for the life of the cluster.
  async diff() {
    return { changes: false };
  },
  async create(ctx, wire) {
    const inputs = reveal<Inputs>(wire);
    const token = `${inputs.clusterName}-${randomBytes(8).toString("hex")}`;
    const initialCluster = formatInitialCluster(inputs.members);
    clusterRegistry.markFresh(token);
    await ctx.log("bootstrap", inputs.clusterName, `new cluster: ${inputs.members.length} initial member(s), token ${token}`);
    const outs = { token, initialCluster, initialMembers: inputs.members.map((m) => m.name), version: inputs.defaultVersion };
    return { id: token, outs };
  },
  async update(_ctx, _id, olds) {
    return { outs: olds };
  },
  async delete() {},
};
