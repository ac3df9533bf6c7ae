export { HostConnection } from "./common/connection";
export { Certificate, CertificateArgs, RandomSecret } from "./pki/customResources";
export { HostScript, HostScriptArgs, HostScriptStep } from "./common/customResources";
export { EtcdCA, EtcdCAArgs, ClientCertificate } from "./pki/etcdCA";
export { EtcdInstallOptions, EtcdMember, EtcdMemberArgs, MemberCertificates, MemberHostOptions } from "./etcd/etcdMember";
export { EtcdCluster, EtcdClusterArgs, EtcdClusterMember, ClusterMemberInfo, ClusterMaintenance } from "./etcd/etcdCluster";
export { TrustedCaFile, TrustedCaFileArgs } from "./pki/trustedCaFile";
export { Tuning } from "../planning/etcd/etcdConfig";
export { Ports } from "../planning/etcd/ports";
export { EtcdSnapshot, EtcdSnapshotArgs, SnapshotSchedule, SnapshotScheduleArgs, S3Target } from "./etcd/snapshotSchedule";
export { KubePki, KubePkiArgs, KeyPair, ServiceAccountKey, KubeMemberPki, CertKeyPair, ServiceAccountKeyPair } from "./kube/kubePki";
export { KubeControlPlaneMember, KubeControlPlaneMemberArgs, KubeInstallOptions, KubeMemberEtcd } from "./kube/kubeControlPlaneMember";
export { KubeLoadBalancer, KubeLoadBalancerArgs, LoadBalancerBackend, LoadBalancerHost } from "./kube/kubeLoadBalancer";
export {
  KubeControlPlane,
  KubeControlPlaneArgs,
  KubeControlPlaneHost,
  KubeEtcd,
  KubeExternalEtcd,
  KubeStackedEtcd,
  KubeLoadBalancerChoice,
} from "./kube/kubeControlPlane";
export { ControlPlaneSettings, ExtraArgs } from "../planning/kube/flags";
