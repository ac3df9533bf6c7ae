// EC2 instances, an etcd cluster on them, and its backups in S3 (instance role, no keys), in one
// program. See README.md.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { generateKeyPairSync } from "node:crypto";
import { EtcdCluster, KubeControlPlane, SnapshotSchedule } from "@pulumi-etcd/etcd";

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

// Backups: a bucket, and an instance role that may read and write it (the members take their
// credentials from the EC2 metadata service, IMDSv2; no keys in the program or on the hosts).
// A fixed bucket name (config): the snapshot settings are validated when the program runs.
const bucketName = config.require("backupBucket");
const bucket = new aws.s3.BucketV2("etcd-backups", { bucket: bucketName, forceDestroy: false });
const role = new aws.iam.Role("etcd-member", {
  assumeRolePolicy: JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
  }),
});
new aws.iam.RolePolicy("etcd-backups", {
  role: role.id,
  policy: bucket.arn.apply((arn) =>
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: ["s3:ListBucket"], Resource: arn },
        { Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource: `${arn}/*` },
      ],
    }),
  ),
});
const profile = new aws.iam.InstanceProfile("etcd-member", { role: role.name });

const instances = Array.from({ length: count }, (_, i) => debianHost(`etcd-${i + 1}`, profile.name));

// An EC2 instance whose SSH host key is made here, so it can be pinned before the instance exists.
function debianHost(name: string, instanceProfile?: pulumi.Input<string>) {
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
# The host scripts run as root (systemd units, /etc/etcd): let the key log in as root.
disable_root: false
ssh_authorized_keys:
  - ${sshPublicKey}
`;
  const instance = new aws.ec2.Instance(name, {
    ami: ami.id,
    instanceType: "t3.small",
    subnetId,
    vpcSecurityGroupIds: [securityGroupId],
    iamInstanceProfile: instanceProfile,
    metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 },
    userData,
    tags: { Name: name },
  });
  return { instance, hostKeyLine };
}

function u32str(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

const etcd = new EtcdCluster("etcd", {
  members: instances.map(({ instance, hostKeyLine }, i) => ({
    name: `etcd-${i + 1}`,
    connection: { host: instance.privateIp, user: "root", privateKey: sshKey, hostKey: hostKeyLine },
  })),
  // After a disaster: uncomment, name a snapshot from the bucket, `pulumi up`. Keep the block afterwards.
  // restore: { generation: 1, source: { s3: { endpoint: `https://s3.${aws.config.region}.amazonaws.com`, bucket: bucketName, key: "prod/etcd-...db.gz" } } },
});

// The timer needs the bucket and the role in place first.
new SnapshotSchedule(
  "etcd-backups",
  {
    cluster: etcd,
    keep: 14,
    localDir: "",
    s3: {
      endpoint: `https://s3.${aws.config.region}.amazonaws.com`,
      region: aws.config.region,
      bucket: bucketName,
      prefix: "prod/",
    },
  },
  { dependsOn: [bucket, profile] },
);

export const privateIps = instances.map(({ instance }) => instance.privateIp);
export const clientEndpoints = etcd.clientEndpoints;
export const backupBucket = bucket.bucket;

// A Kubernetes control plane on 2 more instances, on this etcd, behind an NLB whose target group
// checks each apiserver's /readyz over HTTPS (anonymous /readyz answers 200, as kubeadm sets it).
// The component waits 30 s between hosts on a config change (settleSeconds), the NLB's
// interval × healthy threshold below, so one apiserver always serves.
const cpHosts = [1, 2].map((i) => debianHost(`kube-cp-${i}`));
const nlb = new aws.lb.LoadBalancer("kube-api", { loadBalancerType: "network", internal: true, subnets: [subnetId] });
const apiTargets = new aws.lb.TargetGroup("kube-api", {
  port: 6443,
  protocol: "TCP",
  targetType: "instance",
  vpcId: aws.ec2.getSubnetOutput({ id: subnetId }).vpcId,
  healthCheck: { protocol: "HTTPS", path: "/readyz", port: "6443", interval: 10, healthyThreshold: 2, unhealthyThreshold: 2 },
  deregistrationDelay: 10,
});
new aws.lb.Listener("kube-api", {
  loadBalancerArn: nlb.arn,
  port: 6443,
  protocol: "TCP",
  defaultActions: [{ type: "forward", targetGroupArn: apiTargets.arn }],
});
cpHosts.forEach(
  ({ instance }, i) =>
    new aws.lb.TargetGroupAttachment(`kube-api-${i + 1}`, { targetGroupArn: apiTargets.arn, targetId: instance.id, port: 6443 }),
);

const kube = new KubeControlPlane("kube", {
  hosts: cpHosts.map(({ instance, hostKeyLine }, i) => ({
    name: `kube-cp-${i + 1}`,
    connection: { host: instance.privateIp, user: "root", privateKey: sshKey, hostKey: hostKeyLine },
  })),
  version: "1.36.3", // checksums pinned by the package
  etcd: { external: { cluster: etcd } },
  loadBalancer: { endpoint: pulumi.interpolate`${nlb.dnsName}:6443`, settleSeconds: 30 },
});
export const kubeEndpoint = kube.endpoint;
export const kubeconfig = kube.adminKubeconfig;
