// etcd:cluster:HealthGate: `pulumi up` returns only when the declared members form one healthy
// cluster with exactly one leader. On failure the error shows the failing members' journal tails.
import { reveal, sameValue } from "../common/secrets";
import { ResourceHandler } from "../common/handler";
import { clusterRegistry } from "./clusterRegistry";
import { waitForHealth } from "./healthWait";
import { HealthGateInputs } from "../../planning/etcd/resourceTypes";

type Inputs = HealthGateInputs;

export const healthGateResource: ResourceHandler = {
  async check(news) {
    return { inputs: news };
  },
  // The gate belongs to the cluster's birth: later member changes gate themselves (each member
  // resource waits for a healthy cluster after its change), so they do not show up here. A restore
  // is a new birth (a new token): the gate checks the restored cluster and reports its new ID.
  async diff(olds, news) {
    return { changes: !sameValue(olds.token, news.token) };
  },
  async create(ctx, wire) {
    const result = await waitForHealth(ctx, reveal<Inputs>(wire));
    return { id: `${reveal<Inputs>(wire).clusterName}-health`, outs: { ...wire, ...result } };
  },
  async update(ctx, _id, _olds, news) {
    return { outs: { ...news, ...(await waitForHealth(ctx, reveal<Inputs>(news))) } };
  },
  // Deleted first when the whole cluster is destroyed (it depends on every member): from then on
  // the members are stopped without membership changes.
  async delete(ctx, _id, props) {
    const { token, clusterName } = reveal<Inputs>(props);
    if (token) clusterRegistry.markDestroying(token);
    await ctx.log("destroy", clusterName, "the cluster is destroyed as a whole: members are stopped without membership changes");
  },
};
