// Client-side classes of the provider's Kubernetes custom resources. The CRUD logic is in provider/kube/*Handler.ts.
import * as t from "../../planning/kube/resourceTypes";
import { customResource, InputObject } from "../common/customResource";

export type DataSwitchArgs = InputObject<t.DataSwitchInputs>;

/** Moves a control plane's data when its etcd changes, restores it, or brings back a saved state. */
export const DataSwitch = customResource<t.DataSwitchInputs, t.DataSwitchOutputs>("etcd:kube:DataSwitch");
export type DataSwitch = InstanceType<typeof DataSwitch>;

export type KubeRolloutArgs = InputObject<t.KubeRolloutInputs>;

/** Rolls a control plane's version change out in the order of the version-skew policy (apiservers, controller-managers, schedulers). */
export const KubeRollout = customResource<t.KubeRolloutInputs, t.KubeRolloutOutputs>("etcd:kube:Rollout");
export type KubeRollout = InstanceType<typeof KubeRollout>;
