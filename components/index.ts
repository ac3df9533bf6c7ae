export { HostConnection } from "./connection";
export { Certificate, CertificateArgs, HostScript, HostScriptArgs, HostScriptStep } from "./resources";
export { EtcdCA, EtcdCAArgs, ClientCertificate } from "./etcdCA";
export { EtcdMember, EtcdMemberArgs, MemberCertificates } from "./etcdMember";
export { EtcdCluster, EtcdClusterArgs, EtcdClusterMember, ClusterMemberInfo } from "./etcdCluster";
export { TrustedCaFile, TrustedCaFileArgs } from "./trustedCaFile";
export { Tuning } from "../planning/etcdConfig";
export { Ports } from "../planning/ports";
