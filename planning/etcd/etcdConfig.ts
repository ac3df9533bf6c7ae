// What goes on a member's host: its etcd config file and systemd unit, rendered from the inputs.
// Pure functions, so the exact files are unit-tested and their changes show up in `pulumi preview`.
import { httpsUrl, isIpAddress, isIPv6 } from "../common/addresses";
import { extraFlagEntries } from "./flagNames";
import { Ports } from "./ports";

/** etcd's tuning knobs; anything left out keeps etcd's own default. */
export interface Tuning {
  /** Leader heartbeat interval in ms (etcd default 100). */
  heartbeatIntervalMs?: number;
  /** Election timeout in ms (etcd default 1000; at least 5 heartbeats). */
  electionTimeoutMs?: number;
  /** Backend size quota in bytes (etcd default 2 GiB). */
  quotaBackendBytes?: number;
  /** Applied entries between snapshots of the raft log (etcd default 10000). */
  snapshotCount?: number;
  /**
   * Raft entries the leader keeps after a snapshot for slow followers (etcd default 5000). A member
   * joining under sustained writes needs more than writes/s × its snapshot transfer time, or it
   * is sent snapshot after snapshot and never catches up.
   */
  snapshotCatchupEntries?: number;
  /** periodic or revision (etcd default periodic). */
  autoCompactionMode?: "periodic" | "revision";
  /** What auto-compaction keeps: a duration (periodic, e.g. 1h) or a number of revisions. */
  autoCompactionRetention?: string;
  /** More etcd config-file keys (flag names without "--"), for options without an input here; security and identity keys are refused. */
  extraFlags?: Record<string, string>;
}

/** What a member's config and unit are rendered from. */
export interface MemberLayout {
  /** The etcd member name. */
  name: string;
  /** Addresses the member is reached at; the first one is its peer URL. */
  addresses: string[];
  /** The member's ports. */
  ports: Ports;
  /** The member's data dir. */
  dataDir: string;
  /** The etcd version, e.g. 3.6.16. */
  version: string;
}

/** The facts a member's etcd starts with. */
export interface Bootstrap {
  /** etcd's initial-cluster value. */
  initialCluster: string;
  /** The cluster's initial-cluster-token. */
  token: string;
  /** new (bootstrap with the initial members) or existing (join a running cluster). */
  state: "new" | "existing";
}

export const PKI_DIR = "/etc/etcd/pki";
export const CONFIG_PATH = "/etc/etcd/etcd.conf.yml";
export const DEFAULT_DATA_DIR = "/var/lib/etcd";

/** Config keys this package sets itself; extraFlags may not override them (they are security or identity). */
export const MANAGED_KEYS = [
  "name",
  "data-dir",
  "listen-peer-urls",
  "listen-client-urls",
  "listen-metrics-urls",
  "initial-advertise-peer-urls",
  "advertise-client-urls",
  "initial-cluster",
  "initial-cluster-token",
  "initial-cluster-state",
  "client-transport-security",
  "peer-transport-security",
  "tls-min-version",
  "strict-reconfig-check",
  "heartbeat-interval",
  "election-timeout",
  "quota-backend-bytes",
  "snapshot-count",
  "snapshot-catchup-entries",
  "experimental-snapshot-catchup-entries",
  "auto-compaction-mode",
  "auto-compaction-retention",
  "logger",
  "log-outputs",
];

export function peerUrls(m: Pick<MemberLayout, "addresses" | "ports">): string[] {
  return [httpsUrl(m.addresses[0], m.ports.peer)];
}

export function clientUrls(m: Pick<MemberLayout, "addresses" | "ports">): string[] {
  return m.addresses.map((a) => httpsUrl(a, m.ports.client));
}

export function initialCluster(members: { name: string; peerUrls: string[] }[]): string {
  return members.flatMap((m) => m.peerUrls.map((u) => `${m.name}=${u}`)).join(",");
}

/** Listen on each IP address given; a DNS name can't be bound, so then on all addresses. */
function listenHosts(addresses: string[]): string[] {
  if (addresses.every(isIpAddress)) return addresses;
  return addresses.some(isIPv6) ? ["::"] : ["0.0.0.0"];
}

function yamlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

function yamlScalar(v: string): string {
  return /^(-?\d+(\.\d+)?|true|false)$/.test(v) ? v : yamlString(v);
}

/**
 * The key snapshotCatchupEntries is written under: 3.6 renamed the experimental flag. etcd 3.5's config
 * file knows it only as experimental-snapshot-catch-up-entries (its struct tag) and ignores this key;
 * correcting it would restart every 3.5 member that sets it, so preview warns instead and names the
 * working key for tuning.extraFlags (clusterSpec.ts catchupOn35Warning).
 */
export function snapshotCatchupKey(version: string): string {
  return version.startsWith("3.5.") ? "experimental-snapshot-catchup-entries" : "snapshot-catchup-entries";
}

export function renderConfig(m: MemberLayout, boot: Bootstrap, tuning: Tuning = {}): string {
  const listen = listenHosts(m.addresses);
  // A wildcard already covers 127.0.0.1, and etcd fails to start ("address already in use") when asked for both.
  const loopback = listen.some((h) => h === "0.0.0.0" || h === "::") ? [] : [httpsUrl("127.0.0.1", m.ports.client)];
  const clientListen = [...new Set([...listen.map((h) => httpsUrl(h, m.ports.client)), ...loopback])];
  const tls = (kind: "server" | "peer", clientAuthKey: string) =>
    [
      `${kind === "server" ? "client" : "peer"}-transport-security:`,
      `  cert-file: ${yamlString(`${PKI_DIR}/${kind}.crt`)}`,
      `  key-file: ${yamlString(`${PKI_DIR}/${kind}.key`)}`,
      `  trusted-ca-file: ${yamlString(`${PKI_DIR}/ca.crt`)}`,
      `  ${clientAuthKey}: true`,
    ].join("\n");
  const list = (urls: string[]) => yamlString(urls.join(","));
  const lines = [
    "# Managed by pulumi-etcd: changes here are overwritten by the next `pulumi up`.",
    `name: ${yamlString(m.name)}`,
    `data-dir: ${yamlString(m.dataDir)}`,
    `listen-peer-urls: ${list(listen.map((h) => httpsUrl(h, m.ports.peer)))}`,
    `listen-client-urls: ${list(clientListen)}`,
    `listen-metrics-urls: ${yamlString(`http://127.0.0.1:${m.ports.metrics}`)}`,
    `initial-advertise-peer-urls: ${list(peerUrls(m))}`,
    `advertise-client-urls: ${list(clientUrls(m))}`,
    `initial-cluster: ${yamlString(boot.initialCluster)}`,
    `initial-cluster-token: ${yamlString(boot.token)}`,
    `initial-cluster-state: ${yamlString(boot.state)}`,
    "strict-reconfig-check: true",
    tls("server", "client-cert-auth"),
    tls("peer", "client-cert-auth"),
    "tls-min-version: 'TLS1.2'",
    "logger: 'zap'",
    "log-outputs: ['stderr']",
  ];
  const opt = (key: string, v: string | number | undefined) => {
    if (v !== undefined) lines.push(`${key}: ${typeof v === "number" ? String(v) : yamlString(v)}`);
  };
  opt("heartbeat-interval", tuning.heartbeatIntervalMs);
  opt("election-timeout", tuning.electionTimeoutMs);
  opt("quota-backend-bytes", tuning.quotaBackendBytes);
  opt("snapshot-count", tuning.snapshotCount);
  opt(snapshotCatchupKey(m.version), tuning.snapshotCatchupEntries);
  opt("auto-compaction-mode", tuning.autoCompactionMode);
  opt("auto-compaction-retention", tuning.autoCompactionRetention);
  for (const [k, v] of extraFlagEntries(m.version, tuning.extraFlags ?? {})) lines.push(`${k}: ${yamlScalar(v)}`);
  return lines.join("\n") + "\n";
}

export function binDir(version: string): string {
  return `/opt/etcd/v${version}`;
}

export function renderUnit(m: Pick<MemberLayout, "name" | "version">): string {
  return [
    "# Managed by pulumi-etcd: changes here are overwritten by the next `pulumi up`.",
    "[Unit]",
    `Description=etcd member ${m.name} (managed by pulumi-etcd)`,
    "Documentation=https://etcd.io/docs/",
    "After=network-online.target",
    "Wants=network-online.target",
    "",
    "[Service]",
    // etcd tells systemd when it has joined the cluster and serves clients.
    "Type=notify",
    "User=etcd",
    "Group=etcd",
    `ExecStart=${binDir(m.version)}/etcd --config-file ${CONFIG_PATH}`,
    "Restart=on-failure",
    "RestartSec=5s",
    // A member of a new cluster waits for a quorum of its peers before it is ready.
    "TimeoutStartSec=300",
    "LimitNOFILE=65536",
    "NoNewPrivileges=yes",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}
