// planning/kube/kubeadmConfig.ts: the ClusterConfiguration (kube-system/kubeadm-config) and the
// KubeletConfiguration (kube-system/kubelet-config) `kubeadm join` reads, parsed back as YAML and
// compared with what kubeadm 1.37 writes (cmd/kubeadm/app/phases/uploadconfig, componentconfigs/kubelet.go).
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { hostPort, KubeadmClusterFacts, renderClusterConfiguration, renderKubeletConfiguration } from "../../planning/kube/kubeadmConfig";

// js-yaml comes with @pulumi/pulumi (kubeRender.test.ts uses it the same way).
const yaml = createRequire(__filename)("js-yaml") as { load(text: string): unknown };
const parse = (text: string) => yaml.load(text) as Record<string, unknown>;

const facts: KubeadmClusterFacts = {
  kubernetesVersion: "1.37.2",
  controlPlaneEndpoint: "https://10.0.0.30:6443",
  clusterName: "prod",
  serviceCidr: "10.96.0.0/12",
  dnsDomain: "cluster.local",
  etcdEndpoints: ["https://10.0.0.11:2379", "https://10.0.0.12:2379", "https://[fd00::13]:2379"],
  keyAlgorithm: "ECDSA-P256",
};

// The fields of kubeadm.k8s.io/v1beta4 ClusterConfiguration (apis/kubeadm/v1beta4/types.go, 1.37.2):
// kubeadm decodes the ConfigMap strictly and warns about any other field.
const V1BETA4_FIELDS = [
  "apiVersion",
  "kind",
  "etcd",
  "networking",
  "kubernetesVersion",
  "controlPlaneEndpoint",
  "apiServer",
  "controllerManager",
  "scheduler",
  "dns",
  "proxy",
  "certificatesDir",
  "imageRepository",
  "featureGates",
  "clusterName",
  "encryptionAlgorithm",
  "certificateValidityPeriod",
  "caCertificateValidityPeriod",
];

describe("renderClusterConfiguration", () => {
  it("is a v1beta4 ClusterConfiguration with the cluster's real values", () => {
    expect(parse(renderClusterConfiguration(facts))).toEqual({
      apiServer: {},
      apiVersion: "kubeadm.k8s.io/v1beta4",
      certificatesDir: "/etc/kubernetes/pki",
      clusterName: "prod",
      controlPlaneEndpoint: "10.0.0.30:6443",
      controllerManager: {},
      dns: { disabled: true },
      encryptionAlgorithm: "ECDSA-P256",
      etcd: {
        external: {
          caFile: "/etc/kubernetes/pki/etcd/ca.crt",
          certFile: "/etc/kubernetes/pki/apiserver-etcd-client.crt",
          endpoints: ["https://10.0.0.11:2379", "https://10.0.0.12:2379", "https://[fd00::13]:2379"],
          keyFile: "/etc/kubernetes/pki/apiserver-etcd-client.key",
        },
      },
      kind: "ClusterConfiguration",
      kubernetesVersion: "v1.37.2",
      networking: { dnsDomain: "cluster.local", serviceSubnet: "10.96.0.0/12" },
      proxy: { disabled: true },
      scheduler: {},
    });
  });

  it("uses only v1beta4 fields, in the order kubeadm marshals them (sorted)", () => {
    const keys = Object.keys(parse(renderClusterConfiguration(facts)));
    for (const k of keys) expect(V1BETA4_FIELDS, k).toContain(k);
    expect(keys).toEqual([...keys].sort());
  });

  it("takes the endpoint as a URL or host:port, IPv6 and DNS names included, always as a string", () => {
    const endpoint = (controlPlaneEndpoint: string) =>
      parse(renderClusterConfiguration({ ...facts, controlPlaneEndpoint })).controlPlaneEndpoint;
    expect(endpoint("https://[fd00::30]:6443")).toBe("[fd00::30]:6443");
    expect(endpoint("kube-api.elb.eu-west-1.amazonaws.com:443")).toBe("kube-api.elb.eu-west-1.amazonaws.com:443");
    expect(endpoint("https://127.0.0.1:6443")).toBe("127.0.0.1:6443");
    expect(hostPort("https://10.0.0.30:6443/")).toBe("10.0.0.30:6443");
    for (const bad of ["https://10.0.0.30", "10.0.0.30", "http://10.0.0.30:6443", "https://a b:1"])
      expect(() => hostPort(bad), bad).toThrow("is not https://host:port or host:port");
  });

  it("writes values YAML could read as something else as quoted strings", () => {
    const text = renderClusterConfiguration({ ...facts, clusterName: "yes", dnsDomain: "on.example" });
    expect(text).toContain('clusterName: "yes"\n');
    expect(text).toContain('  serviceSubnet: "10.96.0.0/12"\n');
    expect(parse(text).clusterName).toBe("yes");
    expect((parse(text).networking as Record<string, unknown>).dnsDomain).toBe("on.example");
  });

  it("states the key algorithm of the certificates issued here", () => {
    expect(parse(renderClusterConfiguration({ ...facts, keyAlgorithm: undefined })).encryptionAlgorithm).toBe("ECDSA-P256"); // the package's default
    for (const keyAlgorithm of ["RSA-2048", "RSA-4096"])
      expect(parse(renderClusterConfiguration({ ...facts, keyAlgorithm })).encryptionAlgorithm).toBe(keyAlgorithm);
    expect(() => renderClusterConfiguration({ ...facts, keyAlgorithm: "ed25519" })).toThrow(
      'keyAlgorithm "ed25519" is not one of ECDSA-P256, RSA-2048, RSA-4096',
    );
  });

  it("refuses a version that is not x.y.z and an empty etcd list", () => {
    expect(() => renderClusterConfiguration({ ...facts, kubernetesVersion: "v1.37.2" })).toThrow(
      'kubernetesVersion "v1.37.2" is not x.y.z',
    );
    expect(() => renderClusterConfiguration({ ...facts, etcdEndpoints: [] })).toThrow("needs the etcd endpoints");
  });
});

describe("renderKubeletConfiguration", () => {
  it("has kubeadm's defaults: DNS at the 10th service address, webhook auth, no anonymous access, systemd, rotation", () => {
    expect(parse(renderKubeletConfiguration(facts))).toEqual({
      apiVersion: "kubelet.config.k8s.io/v1beta1",
      authentication: {
        anonymous: { enabled: false },
        webhook: { enabled: true },
        x509: { clientCAFile: "/etc/kubernetes/pki/ca.crt" },
      },
      authorization: { mode: "Webhook" },
      cgroupDriver: "systemd",
      clusterDNS: ["10.96.0.10"],
      clusterDomain: "cluster.local",
      healthzBindAddress: "127.0.0.1",
      healthzPort: 10248,
      kind: "KubeletConfiguration",
      rotateCertificates: true,
      staticPodPath: "/etc/kubernetes/manifests",
    });
  });

  it("follows the service CIDR and the DNS domain", () => {
    const k = parse(renderKubeletConfiguration({ serviceCidr: "172.20.0.0/16", dnsDomain: "k8s.example.org" }));
    expect(k.clusterDNS).toEqual(["172.20.0.10"]);
    expect(k.clusterDomain).toBe("k8s.example.org");
    const v6 = parse(renderKubeletConfiguration({ serviceCidr: "fd00:10:96::/108", dnsDomain: "cluster.local" }));
    expect(new URL(`http://[${(v6.clusterDNS as string[])[0]}]/`).hostname).toBe("[fd00:10:96::a]");
  });
});
