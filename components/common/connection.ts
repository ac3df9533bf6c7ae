import { HostConnection as Wire } from "../../planning/common/resourceTypes";
import { InputObject } from "./customResource";

/** How the provider reaches a host: SSH with a key, and the host key pinned (never unchecked). */
export type HostConnection = InputObject<Wire>;
