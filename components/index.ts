export { HostConnection } from "./connection";
export { Certificate, CertificateArgs, HostScript, HostScriptArgs, HostScriptStep } from "./resources";
export { EtcdCA, EtcdCAArgs, ClientCertificate } from "./etcdCA";
export { EtcdInstallOptions, EtcdMember, EtcdMemberArgs, MemberCertificates, MemberHostOptions } from "./etcdMember";
export { EtcdCluster, EtcdClusterArgs, EtcdClusterMember, ClusterMemberInfo } from "./etcdCluster";
export { TrustedCaFile, TrustedCaFileArgs } from "./trustedCaFile";
export { Tuning } from "../planning/etcdConfig";
export { Ports } from "../planning/ports";
export { EtcdSnapshot, EtcdSnapshotArgs, SnapshotSchedule, SnapshotScheduleArgs, S3Target } from "./snapshotSchedule";
