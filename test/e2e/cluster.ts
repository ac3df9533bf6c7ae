// Helpers for E2E tests that look at a live cluster from outside, the way a user would: etcd3
// over mTLS, and plain shell on the hosts.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { Etcd3 } from "etcd3";
import { ClientTls, etcdClient, probeMember } from "../../provider/etcd/client";
import { Bed, onHost, Stack } from "./harness";

export interface ClusterOutputs {
  clientEndpoints: string[];
  caCertPem: string;
  adminCertPem: string;
  adminKeyPem: string;
  memberList: { name: string; host: string; peerUrls: string[]; clientUrls: string[] }[];
  clusterId: string;
  etcdSha256: string[];
}

export async function clusterOutputs(stack: Stack): Promise<ClusterOutputs> {
  return (await stack.outputs()) as unknown as ClusterOutputs;
}

export function adminTls(out: ClusterOutputs): ClientTls {
  return { caCertPem: out.caCertPem, certPem: out.adminCertPem, keyPem: out.adminKeyPem };
}

export async function withClient<T>(endpoints: string[], tls: ClientTls, fn: (c: Etcd3) => Promise<T>): Promise<T> {
  const client = etcdClient(endpoints, tls);
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

/** How many members consider themselves the leader (each asked on its own endpoint). */
export async function leaderCount(out: ClusterOutputs): Promise<number> {
  const probes = await Promise.all(out.clientEndpoints.map((e) => probeMember(e, adminTls(out))));
  for (const p of probes) if (!p.ok) throw new Error(`${p.endpoint}: ${p.error}`);
  return probes.filter((p) => p.memberId === p.leaderId).length;
}

/** Config for the cluster-ts program: members on the given bed hosts. */
export function membersConfig(bed: Bed, hostIndexes: number[], names: string[], addresses?: (h: Bed["hosts"][number]) => string[]): string {
  return JSON.stringify(
    hostIndexes.map((i, k) => ({
      name: names[k],
      ip: bed.hosts[i].ip,
      hostKey: bed.hosts[i].hostKey,
      addresses: addresses?.(bed.hosts[i]),
    })),
  );
}

/** The members config from "m1@1,m2@2": member name @ bed host number (1-based). */
export function membersSpec(bed: Bed, spec: string): string {
  const pairs = spec.split(",").map((s) => s.split("@"));
  return membersConfig(
    bed,
    pairs.map(([, host]) => Number(host) - 1),
    pairs.map(([name]) => name),
  );
}

/** sshd sessions a host has accepted so far (this check's own session included). */
export async function sshSessions(host: number): Promise<number> {
  return Number((await onHost(host, "journalctl -u ssh --no-pager | grep -c 'Accepted publickey' || true")).trim());
}

/** sha256 of the etcd binary inside a release tarball. */
export function releaseBinarySha256(tarball: string, version: string): string {
  const bin = execFileSync("tar", ["-xzOf", tarball, `etcd-v${version}-linux-amd64/etcd`], { maxBuffer: 256 * 1024 * 1024 });
  return createHash("sha256").update(bin).digest("hex");
}

/** sha256 of the bed's etcd release tarball for a version (the bed builds its own, so its own sums). */
export function bedTarballSha256(bed: Bed, version: string): string {
  const sums = readFileSync(path.join(bed.etcdDist, "SHA256SUMS"), "utf8");
  const m = new RegExp(`^([0-9a-f]{64})\\s+etcd-v${version.replace(/\./g, "\\.")}-linux-amd64\\.tar\\.gz$`, "m").exec(sums);
  if (!m) throw new Error(`no etcd ${version} in ${bed.etcdDist}/SHA256SUMS`);
  return m[1];
}
