export { HostConnection } from "./connection";
export { Certificate, CertificateArgs, HostScript, HostScriptArgs, HostScriptStep } from "./resources";
export { EtcdCA, EtcdCAArgs, ClientCertificate } from "./etcdCA";
export { TrustedCaFile, TrustedCaFileArgs } from "./trustedCaFile";
