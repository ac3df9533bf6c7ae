// The inputs and outputs of the provider's Kubernetes custom resources, declared once (see
// planning/common/resourceTypes.ts).
import { HostConnection } from "../common/resourceTypes";
import { Tuning } from "../etcd/etcdConfig";
import { ClientTls } from "../etcd/liveCluster";
import { RestoreMember, SnapshotSource } from "../etcd/resourceTypes";

/** A control-plane host, as the data switch stops and starts its components. */
export interface DataSwitchHost {
  /** The host's name. */
  name: string;
  /** How the provider reaches the host. */
  connection: HostConnection;
}

/** The etcd a control plane's data is on. */
export interface DataSwitchEtcd {
  /** What it is: "stacked:<cluster>" or "external:<cluster>" (a change of it moves the data). */
  id: string;
  /** Its client URLs. */
  endpoints: string[];
  /** An admin client of it: the snapshot is taken and the restored cluster checked with it. */
  adminTls: ClientTls;
  /** Its members, when the package reaches their hosts (an EtcdCluster): needed to move data onto or off it. */
  members: RestoreMember[];
  /** The token its members' data dirs are recorded under (kept by a restore, so the members stay theirs). */
  token: string;
  /** Its tuning, rendered into the members' config after a restore. */
  tuning?: Tuning;
  /** Its etcd version. */
  version: string;
}

/** Restore the control plane's etcd from a snapshot (disaster recovery); again whenever generation changes. */
export interface DataSwitchRestore {
  /** A new generation performs a new restore. */
  generation: number;
  /** Where the snapshot comes from. */
  source: SnapshotSource;
  /** sha256 of the file as stored. */
  sha256?: string;
  /** Needed for a raw db file copied from a data dir. */
  skipHashCheck?: boolean;
}

export interface DataSwitchInputs {
  /** The control plane's name. */
  controlPlane: string;
  /** The control-plane hosts. */
  hosts: DataSwitchHost[];
  /** The etcd the apiservers are to use. */
  etcd: DataSwitchEtcd;
  /** The apiservers' etcd client certificate for that etcd: checked against it before anything stops. */
  apiserverTls: ClientTls;
  /** Allow a switch onto an etcd that already holds Kubernetes data (it is replaced; its earlier data archived). */
  allowOverwrite?: boolean;
  /** Restore from a snapshot. */
  restore?: DataSwitchRestore;
  /** Bring back a state listed in `states`, by name. */
  restoreState?: string;
  /** Kubernetes version, serviceCidr and the encryption key's fingerprint: what a state must match to be brought back. */
  kubeVersion: string;
  /** The Service network. */
  serviceCidr: string;
  /**
   * The Secrets encryption key ("" when off): states record its fingerprint.
   * @secret
   */
  encryptionKey: string;
  /** Seconds each apiserver may take to be ready again after a failed switch; default 180. */
  startTimeoutSeconds?: number;
}

/** A saved state: the data and configuration the control plane had before a switch or restore. */
export interface ControlPlaneState {
  /** Its name (bring it back with restoreState). */
  name: string;
  /** When it was taken (ISO 8601). */
  takenAt: string;
  /** Why it was taken. */
  reason: string;
  /** The etcd the data was on. */
  etcd: string;
  /** host:path of each copy of the snapshot (one per control-plane host). */
  snapshots: string[];
  /** sha256 of the snapshot. */
  sha256: string;
  /** The snapshot's revision. */
  revision: string;
  /** host:path of each host's archived /etc/kubernetes (certificates, kubeconfigs, units). */
  configArchives: string[];
  /** host:path of each etcd member's data dir as it was before the restore that followed (archived, not deleted). */
  etcdArchives: string[];
  /** The Kubernetes version then. */
  kubeVersion: string;
  /** The Service network then. */
  serviceCidr: string;
  /** The encryption key's fingerprint then ("" when off). */
  encryptionKeyFingerprint: string;
}

export interface DataSwitchOutputs {
  /** Changes whenever the data under the apiservers was replaced: the members restart on it. "" before any. */
  epoch: string;
  /** The etcd the apiservers use (its id). */
  current: string;
  /** Every state taken, oldest first. */
  states: ControlPlaneState[];
  /** What the last switch or restore did, in one line. */
  lastTransition: string;
  /** The etcd revision right after the last switch or restore ("" before any): the next one starts above it. */
  revision: string;
}

/** The units of one host's components for the declared version. */
export interface KubeRolloutUnits {
  /** kube-apiserver.service. */
  apiserver: string;
  /** kube-controller-manager.service. */
  controllerManager: string;
  /** kube-scheduler.service. */
  scheduler: string;
}

/** A control-plane host, as a version rollout restarts its components. */
export interface KubeRolloutHost {
  /** The host's name. */
  name: string;
  /** How the provider reaches the host. */
  connection: HostConnection;
  /** This apiserver's /readyz URL (its own address, not the load balancer). */
  readyzUrl: string;
  /** Its units for the declared version. */
  units: KubeRolloutUnits;
}

export interface KubeRolloutInputs {
  /** The control plane's name. */
  controlPlane: string;
  /** The declared Kubernetes version: a change of it is rolled out, one component at a time. */
  version: string;
  /** The control-plane hosts, in declaration order (the restart order within each component). */
  hosts: KubeRolloutHost[];
  /** Seconds after a restarted apiserver is ready, for the load balancer to take it back; default 0. */
  settleSeconds?: number;
  /** Seconds each component may take to be ready; default 180. */
  startTimeoutSeconds?: number;
}

export interface KubeRolloutOutputs {
  /** The version the control plane was last brought to. */
  running: string;
  /** What the last rollout did, in one line ("" before any). */
  lastRollout: string;
  /** Seconds from each apiserver's restart to ready in the last rollout, by host (restarted ones only). */
  apiserverReadySeconds: Record<string, string>;
}
