// Client-side classes of the provider's etcd custom resources. The CRUD logic is in provider/etcd/*Handler.ts.
import * as t from "../../planning/etcd/resourceTypes";
import { customResource, InputObject } from "../common/customResource";

export type BootstrapArgs = InputObject<t.BootstrapInputs>;
export type HealthGateArgs = InputObject<t.HealthGateInputs>;
export type MemberResourceArgs = InputObject<t.MemberInputs>;
export type RestoreResourceArgs = InputObject<t.RestoreInputs>;

/** The facts fixed at a cluster's birth: the initial members and a unique cluster token. Never updated. */
export const Bootstrap = customResource<t.BootstrapInputs, t.BootstrapOutputs>("etcd:cluster:Bootstrap");
export type Bootstrap = InstanceType<typeof Bootstrap>;

/** Waits until the members form one healthy cluster with exactly one leader. */
export const HealthGate = customResource<t.HealthGateInputs, t.HealthGateOutputs>("etcd:cluster:HealthGate");
export type HealthGate = InstanceType<typeof HealthGate>;

/** A member's place in the cluster and its service, changed through the etcd API in etcd's order. */
export const Member = customResource<t.MemberInputs, t.MemberOutputs>("etcd:cluster:Member");
export type Member = InstanceType<typeof Member>;

/** Restores every member from one snapshot into a new cluster; again whenever `generation` changes. */
export const Restore = customResource<t.RestoreInputs, t.RestoreOutputs>("etcd:cluster:Restore");
export type Restore = InstanceType<typeof Restore>;

/** Brings every member to the declared etcd version, one at a time, through every hop etcd needs. */
export const Rollout = customResource<t.RolloutInputs, t.RolloutOutputs>("etcd:cluster:Rollout");
export type Rollout = InstanceType<typeof Rollout>;

/** Defragments every member when `trigger` changes, and recovers from a NOSPACE alarm on `pulumi up` (diff reads the alarms). */
export const Maintenance = customResource<t.MaintenanceInputs, t.MaintenanceOutputs>("etcd:cluster:Maintenance");
export type Maintenance = InstanceType<typeof Maintenance>;
