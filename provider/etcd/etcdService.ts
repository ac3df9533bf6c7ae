// Writes a member's config and unit and (re)starts etcd through hosts/etcd/etcd-service.sh: the one way
// the provider starts a member (bootstrap, join, config update, and after a restore).
import { Bootstrap, MemberLayout, renderConfig, renderUnit, Tuning } from "../../planning/etcd/etcdConfig";
import { HostStep, Progress, runHostStep } from "../common/hostStep";
import { SshConnection } from "../common/ssh";

export interface ServiceStart {
  layout: MemberLayout;
  boot: Bootstrap;
  tuning?: Tuning;
  /** create: a failed start is rolled back; update: the previous config is put back. */
  phase: "create" | "update";
  /** The member joins anew: data an earlier incarnation left is archived first. */
  fresh: boolean;
  startTimeoutSeconds?: number;
  /** The token the data dir is recorded under when it is not boot.token (see restoreCluster). */
  identityToken?: string;
}

/** The etcd unit's state and journal tail: added to the error of a failed start or health wait. */
export function etcdJournal(lines = 20): NonNullable<HostStep["diagnose"]> {
  return { script: "etcd-journal", env: { PE_LINES: String(lines) }, title: "journal of etcd.service" };
}

export async function runEtcdService(progress: Progress, conn: SshConnection, s: ServiceStart): Promise<void> {
  const timeout = s.startTimeoutSeconds ?? 300;
  await runHostStep(progress, conn, {
    script: "etcd-service",
    env: {
      PE_PHASE: s.phase,
      PE_NAME: s.layout.name,
      PE_TOKEN: s.identityToken ?? s.boot.token,
      PE_DATA_DIR: s.layout.dataDir,
      PE_CONFIG: renderConfig(s.layout, s.boot, s.tuning),
      PE_UNIT: renderUnit(s.layout),
      PE_START_TIMEOUT: String(timeout),
      PE_FRESH: s.fresh ? "true" : "false",
    },
    timeoutMs: (timeout + 120) * 1000,
    diagnose: etcdJournal(),
  });
}
