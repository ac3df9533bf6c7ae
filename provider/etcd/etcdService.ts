// Writes a member's config and unit and (re)starts etcd through hosts/etcd/etcd-service.sh: the one way
// the provider starts a member (bootstrap, join, config update, and after a restore).
import { Bootstrap, MemberLayout, renderConfig, renderUnit, Tuning } from "../../planning/etcd/etcdConfig";
import { hostScript } from "../common/hostScripts";
import { runScript, SshConnection } from "../common/ssh";

export interface ServiceStart {
  layout: MemberLayout;
  boot: Bootstrap;
  tuning?: Tuning;
  /** create: a failed start is rolled back; update: the previous config is put back. */
  phase: "create" | "update";
  /** The member joins anew: data an earlier incarnation left is archived first. */
  fresh: boolean;
  startTimeoutSeconds?: number;
}

export async function runEtcdService(conn: SshConnection, s: ServiceStart, onProgress: (line: string) => void): Promise<void> {
  const timeout = s.startTimeoutSeconds ?? 300;
  const r = await runScript(conn, {
    script: hostScript("etcd-service").text,
    name: "etcd-service",
    env: {
      PE_PHASE: s.phase,
      PE_NAME: s.layout.name,
      PE_TOKEN: s.boot.token,
      PE_DATA_DIR: s.layout.dataDir,
      PE_CONFIG: renderConfig(s.layout, s.boot, s.tuning),
      PE_UNIT: renderUnit(s.layout),
      PE_START_TIMEOUT: String(timeout),
      PE_FRESH: s.fresh ? "true" : "false",
    },
    timeoutMs: (timeout + 120) * 1000,
    onProgress,
  });
  if (r.code !== 0) {
    const tail = r.stderr.trim().split("\n").slice(-20).join("\n");
    throw new Error(`etcd-service failed on ${conn.host} (exit ${r.code}):\n${tail}`);
  }
}
