// E2E program: one EtcdMember used alone, with the user's own certificates and bootstrap facts.
import * as pulumi from "@pulumi/pulumi";
import { EtcdMember } from "../../../../dist/components";

const config = new pulumi.Config();
const host = config.require("host");
// The user's own PKI (secret config): the CA certificate and the member's server and peer pairs.
const certs = config.requireSecretObject<Record<string, string>>("certificates");
const pem = (k: string) => certs.apply((c) => c[k]);
const member = new EtcdMember("lone", {
  memberName: "lone",
  connection: { host, user: "root", privateKey: config.requireSecret("sshKey"), hostKey: config.require("hostKey") },
  version: config.require("version"),
  sha256: config.require("sha256"),
  downloadUrl: config.require("downloadUrl"),
  bootstrap: { initialCluster: `lone=https://${host}:2380`, token: "lone-member-e2e", state: "new" },
  certificates: {
    caCertPem: pem("caCertPem"),
    serverCertPem: pem("serverCertPem"),
    serverKeyPem: pem("serverKeyPem"),
    peerCertPem: pem("peerCertPem"),
    peerKeyPem: pem("peerKeyPem"),
  },
});

export const clientUrls = member.clientUrls;
export const etcdSha256 = member.etcdSha256;
