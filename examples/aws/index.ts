// EC2 instances and the etcd CA on them, in one program. See README.md.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { generateKeyPairSync } from "node:crypto";
import { EtcdCA, TrustedCaFile } from "@pulumi-etcd/etcd";

const config = new pulumi.Config();
const count = config.getNumber("members") ?? 3;
const sshPublicKey = config.require("sshPublicKey");
const sshKey = config.requireSecret("sshKey");
const subnetId = config.require("subnetId");
const securityGroupId = config.require("securityGroupId");

const ami = aws.ec2.getAmiOutput({
  mostRecent: true,
  owners: ["136693071363"], // Debian
  filters: [{ name: "name", values: ["debian-12-amd64-*"] }],
});

const instances = Array.from({ length: count }, (_, i) => {
  // The host key is made here, so it can be pinned before the instance exists.
  const hostKey = generateKeyPairSync("ed25519");
  const priv = pulumi.secret(hostKey.privateKey.export({ type: "pkcs8", format: "pem" }).toString());
  const pub = hostKey.publicKey.export({ type: "spki", format: "der" });
  // OpenSSH wire format of an ed25519 public key: string "ssh-ed25519", string key (last 32 bytes of SPKI).
  const blob = Buffer.concat([u32str(Buffer.from("ssh-ed25519")), u32str(pub.subarray(pub.length - 32))]);
  const hostKeyLine = `ssh-ed25519 ${blob.toString("base64")}`;
  const userData = pulumi.interpolate`#cloud-config
ssh_keys:
  ed25519_private: |
${priv.apply((p) => p.replace(/^/gm, "    "))}
  ed25519_public: ${hostKeyLine}
ssh_authorized_keys:
  - ${sshPublicKey}
`;
  const instance = new aws.ec2.Instance(`etcd-${i + 1}`, {
    ami: ami.id,
    instanceType: "t3.small",
    subnetId,
    vpcSecurityGroupIds: [securityGroupId],
    userData,
    tags: { Name: `etcd-${i + 1}` },
  });
  return { instance, hostKeyLine };
});

function u32str(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

const ca = new EtcdCA("etcd");
new TrustedCaFile("etcd-ca", {
  certPem: ca.certPem,
  hosts: instances.map(({ instance, hostKeyLine }) => ({
    host: instance.privateIp,
    user: "admin",
    privateKey: sshKey,
    hostKey: hostKeyLine,
  })),
});

export const privateIps = instances.map(({ instance }) => instance.privateIp);
