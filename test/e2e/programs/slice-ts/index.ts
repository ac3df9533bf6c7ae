// E2E program: an EtcdCA and its certificate written to every bed host.
import * as pulumi from "@pulumi/pulumi";
import { EtcdCA, HostConnection, TrustedCaFile } from "../../../../dist/components";

interface BedHost {
  ip: string;
  hostKey: string;
}
const config = new pulumi.Config();
const hosts = config.requireObject<BedHost[]>("hosts");
const sshKey = config.requireSecret("sshKey");

const connections: HostConnection[] = hosts.map((h) => ({ host: h.ip, user: "root", privateKey: sshKey, hostKey: h.hostKey }));
const ca = new EtcdCA("slice", { validityHours: config.getNumber("caValidityHours") });
const file = new TrustedCaFile("slice-ca", {
  certPem: ca.certPem,
  hosts: connections,
  path: config.get("path") ?? "/etc/pulumi-etcd-slice/ca.crt",
  mode: "0640",
  owner: "root",
  group: "adm",
});

export const caCertPem = ca.certPem;
export const caNotAfter = ca.notAfter;
export const adminCertPem = ca.admin.certPem;
export const adminNotAfter = ca.admin.notAfter;
export const fileSha256 = file.sha256;
