// Hosts you already have, listed in stack config:
//   pulumi config set hosts '[{"ip":"10.0.0.11","hostKey":"ssh-ed25519 AAAA..."}, ...]'
//   pulumi config set --secret sshKey < ~/.ssh/id_ed25519
// A package consumer imports "@pulumi-etcd/etcd"; inside this repository the example uses the build.
import * as pulumi from "@pulumi/pulumi";
import { EtcdCA, HostConnection, TrustedCaFile } from "../../dist/components";

interface Host {
  ip: string;
  hostKey: string;
  user?: string;
}
const config = new pulumi.Config();
const hosts = config.requireObject<Host[]>("hosts");
const sshKey = config.requireSecret("sshKey");
const connections: HostConnection[] = hosts.map((h) => ({ host: h.ip, user: h.user ?? "root", privateKey: sshKey, hostKey: h.hostKey }));

const ca = new EtcdCA("etcd");
const trust = new TrustedCaFile("etcd-ca", { certPem: ca.certPem, hosts: connections });

export const caNotAfter = ca.notAfter;
export const adminCertNotAfter = ca.admin.notAfter;
export const caFileSha256 = trust.sha256;
