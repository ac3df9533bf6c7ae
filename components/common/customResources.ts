// Client-side class of the provider's HostScript resource (provider/common/hostScriptHandler.ts).
import * as plan from "../../planning/common/resourceTypes";
import { customResource, InputObject } from "./customResource";

/** One step of a HostScript: a script of the package and its parameters. */
export type HostScriptStep = InputObject<plan.HostScriptStep>;
export type HostScriptArgs = InputObject<plan.HostScriptInputs>;

/** Runs one of the package's host scripts over SSH on create/update, and its delete script on delete. */
export const HostScript = customResource<plan.HostScriptInputs, plan.HostScriptOutputs>("etcd:host:HostScript");
export type HostScript = InstanceType<typeof HostScript>;
