import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { Bootstrap, clientUrls, initialCluster, MemberLayout, peerUrls, renderConfig, renderUnit } from "../../planning/etcd/etcdConfig";
import { DEFAULT_PORTS } from "../../planning/etcd/ports";

// js-yaml comes with @pulumi/pulumi; the structural checks skip if it ever goes away.
const yaml = (() => {
  try {
    return createRequire(__filename)("js-yaml") as { load(text: string): unknown };
  } catch {
    return undefined;
  }
})();
const parse = (text: string) => yaml!.load(text) as Record<string, unknown>;

const member = (name: string, addresses: string[]): MemberLayout => ({
  name,
  addresses,
  ports: DEFAULT_PORTS,
  dataDir: "/var/lib/etcd",
  version: "3.6.9",
});
const alpha = member("alpha", ["10.0.0.1"]);
const beta = member("beta", ["fd77::b"]);
const gamma = member("gamma", ["node3.example"]);
const boot: Bootstrap = {
  initialCluster: initialCluster([alpha, beta, gamma].map((m) => ({ name: m.name, peerUrls: peerUrls(m) }))),
  token: "tok-1",
  state: "new",
};
const TUNING_KEYS = [
  "heartbeat-interval",
  "election-timeout",
  "quota-backend-bytes",
  "snapshot-count",
  "auto-compaction-mode",
  "auto-compaction-retention",
];

describe("initialCluster", () => {
  it("lists name=peer-URL pairs, IPv6 bracketed", () => {
    expect(boot.initialCluster).toBe("alpha=https://10.0.0.1:2380,beta=https://[fd77::b]:2380,gamma=https://node3.example:2380");
  });
  it("repeats the name for each peer URL of a member", () => {
    expect(initialCluster([{ name: "a", peerUrls: ["https://10.0.0.1:2380", "https://10.1.0.1:2380"] }])).toBe(
      "a=https://10.0.0.1:2380,a=https://10.1.0.1:2380",
    );
    expect(initialCluster([])).toBe("");
  });
  it("peers on the first address and serves clients on all", () => {
    const m = { addresses: ["10.0.0.1", "fd77::a"], ports: { ...DEFAULT_PORTS, client: 12379, peer: 12380 } };
    expect(peerUrls(m)).toEqual(["https://10.0.0.1:12380"]);
    expect(clientUrls(m)).toEqual(["https://10.0.0.1:12379", "https://[fd77::a]:12379"]);
  });
});

describe("renderConfig", () => {
  it("renders an IPv4 member exactly", () => {
    expect(renderConfig(alpha, boot)).toBe(
      [
        "# Managed by pulumi-etcd: changes here are overwritten by the next `pulumi up`.",
        "name: 'alpha'",
        "data-dir: '/var/lib/etcd'",
        "listen-peer-urls: 'https://10.0.0.1:2380'",
        "listen-client-urls: 'https://10.0.0.1:2379,https://127.0.0.1:2379'",
        "listen-metrics-urls: 'http://127.0.0.1:2381'",
        "initial-advertise-peer-urls: 'https://10.0.0.1:2380'",
        "advertise-client-urls: 'https://10.0.0.1:2379'",
        "initial-cluster: 'alpha=https://10.0.0.1:2380,beta=https://[fd77::b]:2380,gamma=https://node3.example:2380'",
        "initial-cluster-token: 'tok-1'",
        "initial-cluster-state: 'new'",
        "strict-reconfig-check: true",
        "client-transport-security:",
        "  cert-file: '/etc/etcd/pki/server.crt'",
        "  key-file: '/etc/etcd/pki/server.key'",
        "  trusted-ca-file: '/etc/etcd/pki/ca.crt'",
        "  client-cert-auth: true",
        "peer-transport-security:",
        "  cert-file: '/etc/etcd/pki/peer.crt'",
        "  key-file: '/etc/etcd/pki/peer.key'",
        "  trusted-ca-file: '/etc/etcd/pki/ca.crt'",
        "  client-cert-auth: true",
        "tls-min-version: 'TLS1.2'",
        "logger: 'zap'",
        "log-outputs: ['stderr']",
        "",
      ].join("\n"),
    );
  });

  it("brackets an IPv6 member's URLs and listens on its address", () => {
    const text = renderConfig(beta, boot);
    expect(text).toContain("\nlisten-peer-urls: 'https://[fd77::b]:2380'\n");
    expect(text).toContain("\nlisten-client-urls: 'https://[fd77::b]:2379,https://127.0.0.1:2379'\n");
    expect(text).toContain("\ninitial-advertise-peer-urls: 'https://[fd77::b]:2380'\n");
    expect(text).toContain("\nadvertise-client-urls: 'https://[fd77::b]:2379'\n");
    expect(text).toContain("\nlisten-metrics-urls: 'http://127.0.0.1:2381'\n");
  });

  it("listens on all IPv4 addresses for a DNS name, without a second listener on 127.0.0.1", () => {
    const text = renderConfig(gamma, boot);
    expect(text).toContain("\nlisten-peer-urls: 'https://0.0.0.0:2380'\n");
    // etcd fails with "address already in use" when told to listen on 0.0.0.0 and 127.0.0.1 on one port.
    expect(text).toContain("\nlisten-client-urls: 'https://0.0.0.0:2379'\n");
    expect(text).toContain("\ninitial-advertise-peer-urls: 'https://node3.example:2380'\n");
    expect(text).toContain("\nadvertise-client-urls: 'https://node3.example:2379'\n");
  });

  it("listens on all addresses, IPv6 included, for a DNS name next to an IPv6 address", () => {
    const text = renderConfig(member("delta", ["node4.example", "fd77::d"]), boot);
    expect(text).toContain("\nlisten-peer-urls: 'https://[::]:2380'\n");
    expect(text).toContain("\nlisten-client-urls: 'https://[::]:2379'\n");
    expect(text).toContain("\ninitial-advertise-peer-urls: 'https://node4.example:2380'\n");
    expect(text).toContain("\nadvertise-client-urls: 'https://node4.example:2379,https://[fd77::d]:2379'\n");
  });

  it("listens on every IP address of a member, and on 127.0.0.1 once", () => {
    const text = renderConfig({ ...member("eps", ["10.0.0.5", "127.0.0.1"]), ports: { client: 12379, peer: 12380, metrics: 12381 } }, boot);
    expect(text).toContain("\nlisten-peer-urls: 'https://10.0.0.5:12380,https://127.0.0.1:12380'\n");
    expect(text).toContain("\nlisten-client-urls: 'https://10.0.0.5:12379,https://127.0.0.1:12379'\n");
    expect(text).toContain("\nlisten-metrics-urls: 'http://127.0.0.1:12381'\n");
    expect(text).toContain("\ninitial-advertise-peer-urls: 'https://10.0.0.5:12380'\n");
  });

  it("leaves tuning to etcd's defaults when none is given", () => {
    const text = renderConfig(alpha, boot, {});
    for (const key of TUNING_KEYS) expect(text).not.toContain(`\n${key}:`);
    expect(text).toBe(renderConfig(alpha, boot));
  });

  it("renders the tuning given, numbers bare and strings quoted", () => {
    const text = renderConfig(
      alpha,
      { ...boot, state: "existing" },
      {
        heartbeatIntervalMs: 200,
        electionTimeoutMs: 2000,
        quotaBackendBytes: 8589934592,
        snapshotCount: 10000,
        autoCompactionMode: "periodic",
        autoCompactionRetention: "1h",
      },
    );
    expect(text.split("\n").slice(-8)).toEqual([
      "log-outputs: ['stderr']",
      "heartbeat-interval: 200",
      "election-timeout: 2000",
      "quota-backend-bytes: 8589934592",
      "snapshot-count: 10000",
      "auto-compaction-mode: 'periodic'",
      "auto-compaction-retention: '1h'",
      "",
    ]);
    expect(text).toContain("\ninitial-cluster-state: 'existing'\n");
    expect(renderConfig(alpha, boot, { snapshotCount: 5000 })).toMatch(/\nlog-outputs: \['stderr'\]\nsnapshot-count: 5000\n$/);
  });

  it("renders extraFlags sorted, numbers and booleans bare, other strings quoted", () => {
    const text = renderConfig(alpha, boot, {
      extraFlags: {
        "max-txn-ops": "256",
        "auth-token": "it's",
        "enable-pprof": "false",
        "b-ratio": "-0.5",
        "c-exp": "1e3",
        "d-null": "null",
      },
    });
    expect(text.split("\n").slice(-7)).toEqual([
      "auth-token: 'it''s'",
      "b-ratio: -0.5",
      "c-exp: '1e3'",
      "d-null: 'null'",
      "enable-pprof: false",
      "max-txn-ops: 256",
      "",
    ]);
  });

  it("quotes a name and token with quotes in them", () => {
    const text = renderConfig(member("o'neil", ["10.0.0.1"]), { ...boot, token: "a'b: c" });
    expect(text).toContain("\nname: 'o''neil'\n");
    expect(text).toContain("\ninitial-cluster-token: 'a''b: c'\n");
  });

  describe.skipIf(!yaml)("parsed as YAML", () => {
    it("has the structure etcd expects", () => {
      const c = parse(renderConfig(beta, boot));
      expect(c).toMatchObject({
        name: "beta",
        "data-dir": "/var/lib/etcd",
        "listen-client-urls": "https://[fd77::b]:2379,https://127.0.0.1:2379",
        "initial-cluster": boot.initialCluster,
        "initial-cluster-state": "new",
        "strict-reconfig-check": true,
        "tls-min-version": "TLS1.2",
        "log-outputs": ["stderr"],
      });
      for (const [section, kind] of [
        ["client-transport-security", "server"],
        ["peer-transport-security", "peer"],
      ]) {
        expect(c[section]).toEqual({
          "cert-file": `/etc/etcd/pki/${kind}.crt`,
          "key-file": `/etc/etcd/pki/${kind}.key`,
          "trusted-ca-file": "/etc/etcd/pki/ca.crt",
          "client-cert-auth": true,
        });
      }
    });

    it("keeps the types of tuning and extraFlags, and odd strings intact", () => {
      const c = parse(
        renderConfig(member("o'neil", ["10.0.0.1"]), boot, {
          heartbeatIntervalMs: 250,
          autoCompactionRetention: "5m",
          extraFlags: { "max-txn-ops": "256", "enable-pprof": "true", "cipher-suites": "a,'b'", "d-null": "null", "e-yes": "yes" },
        }),
      );
      expect(c).toMatchObject({
        name: "o'neil",
        "heartbeat-interval": 250,
        "auto-compaction-retention": "5m",
        "max-txn-ops": 256,
        "enable-pprof": true,
        "cipher-suites": "a,'b'",
        "d-null": "null",
        "e-yes": "yes",
      });
    });
  });
});

describe("renderUnit", () => {
  const unit = renderUnit({ name: "alpha", version: "3.6.9" });
  const lines = unit.split("\n");

  it("runs the version's etcd binary with the config file", () => {
    expect(lines).toContain("ExecStart=/opt/etcd/v3.6.9/etcd --config-file /etc/etcd/etcd.conf.yml");
    expect(renderUnit({ name: "alpha", version: "3.5.21" })).toContain(
      "\nExecStart=/opt/etcd/v3.5.21/etcd --config-file /etc/etcd/etcd.conf.yml\n",
    );
  });

  it("runs as a notify service of the etcd user that restarts on failure", () => {
    const service = lines.slice(lines.indexOf("[Service]"), lines.indexOf("[Install]"));
    expect(service).toEqual(
      expect.arrayContaining(["Type=notify", "User=etcd", "Group=etcd", "Restart=on-failure", "LimitNOFILE=65536", "TimeoutStartSec=300"]),
    );
    expect(lines.slice(lines.indexOf("[Install]"))).toContain("WantedBy=multi-user.target");
  });

  it("names the member and is marked as managed", () => {
    expect(lines[0]).toBe("# Managed by pulumi-etcd: changes here are overwritten by the next `pulumi up`.");
    expect(lines).toContain("Description=etcd member alpha (managed by pulumi-etcd)");
    expect(unit.endsWith("\n")).toBe(true);
  });
});
