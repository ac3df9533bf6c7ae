// Golden files: the exact etcd config and systemd unit the package puts on a member's host, for
// etcd 3.5, 3.6 and 3.7. A change to these files restarts etcd on every existing cluster after an
// upgrade of the package, so it must be deliberate: the diff shows here first.
//   UPDATE_GOLDEN=1 npx vitest run test/unit/golden.test.ts      rewrites test/unit/golden/*.txt
//   GOLDEN_COMPARE_ROOT=<checkout of a release, built> ...        also renders the same inputs with
//     that release's dist/ (0.1.0 kept planning/etcdConfig.js, later ones planning/etcd/etcdConfig.js)
//     and expects the very same text, e.g. to show a refactor rendered identical files.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import * as current from "../../planning/etcd/etcdConfig";
import { Bootstrap, MemberLayout, Tuning } from "../../planning/etcd/etcdConfig";

const GOLDEN = path.join(__dirname, "golden");
type Renderer = Pick<typeof current, "renderConfig" | "renderUnit">;

// A member with two addresses (IPv4 first, then IPv6), non-default ports and data dir, joining an
// existing cluster; and every tuning knob set (the snapshot catch-up flag is spelled differently by
// 3.5 and 3.6), extra flags of each scalar kind.
const layout = (version: string): MemberLayout => ({
  name: "etcd-b",
  addresses: ["10.0.0.12", "fd00::12"],
  ports: { client: 12379, peer: 12380, metrics: 12381 },
  dataDir: "/data/etcd",
  version,
});
const boot: Bootstrap = {
  initialCluster: "etcd-a=https://10.0.0.11:12380,etcd-b=https://10.0.0.12:12380,etcd-c=https://[fd00::13]:12380",
  token: "prod-0123456789abcdef",
  state: "existing",
};
const tuning: Tuning = {
  heartbeatIntervalMs: 250,
  electionTimeoutMs: 2500,
  quotaBackendBytes: 8589934592,
  snapshotCount: 50000,
  snapshotCatchupEntries: 20000,
  autoCompactionMode: "periodic",
  autoCompactionRetention: "1h",
  extraFlags: { "max-txn-ops": "512", "enable-pprof": "false", "cipher-suites": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" },
};
// The defaults: one IPv4 address, etcd's ports, a new cluster, no tuning.
const plain: MemberLayout = {
  name: "etcd-a",
  addresses: ["10.0.0.11"],
  ports: { client: 2379, peer: 2380, metrics: 2381 },
  dataDir: "/var/lib/etcd",
  version: "3.6.16",
};
const plainBoot: Bootstrap = { initialCluster: "etcd-a=https://10.0.0.11:2380", token: "solo-fedcba9876543210", state: "new" };

// Settings etcd 3.5 spells experimental-* (booleans that became feature gates, renamed flags; a
// duration in nanoseconds, as etcd's config file takes it) next to a feature gate: 3.5 and 3.6 members
// get them as written, 3.7 members the 3.6 names and one feature-gates line.
const experimental: Tuning = {
  heartbeatIntervalMs: 250,
  extraFlags: {
    "experimental-compaction-batch-limit": "1000",
    "experimental-initial-corrupt-check": "true",
    "experimental-compact-hash-check-enabled": "true",
    "experimental-txn-mode-write-with-shared-buffer": "false",
    "experimental-watch-progress-notify-interval": "600000000000",
    "max-txn-ops": "512",
  },
};
const gated: Tuning = { extraFlags: { ...experimental.extraFlags, "feature-gates": "StopGRPCServiceOnDefrag=true" } };

const CASES: Record<string, (r: Renderer) => string> = {
  "etcd-3.5-config.txt": (r) => r.renderConfig(layout("3.5.35"), boot, tuning),
  "etcd-3.5-unit.txt": (r) => r.renderUnit(layout("3.5.35")),
  "etcd-3.5-config-experimental.txt": (r) => r.renderConfig(layout("3.5.35"), boot, experimental),
  "etcd-3.6-config.txt": (r) => r.renderConfig(layout("3.6.16"), boot, tuning),
  "etcd-3.6-unit.txt": (r) => r.renderUnit(layout("3.6.16")),
  "etcd-3.6-config-defaults.txt": (r) => r.renderConfig(plain, plainBoot),
  "etcd-3.6-config-experimental.txt": (r) => r.renderConfig(layout("3.6.16"), boot, gated),
  "etcd-3.7-config.txt": (r) => r.renderConfig(layout("3.7.3"), boot, tuning),
  "etcd-3.7-unit.txt": (r) => r.renderUnit(layout("3.7.3")),
  "etcd-3.7-config-defaults.txt": (r) => r.renderConfig({ ...plain, version: "3.7.3" }, plainBoot),
  "etcd-3.7-config-experimental.txt": (r) => r.renderConfig(layout("3.7.3"), boot, gated),
};
/** Cases an earlier release rendered differently, on purpose: etcd 3.7 reads no experimental-* key. */
const DIFFERS_FROM_EARLIER_RELEASES = new Set(["etcd-3.7-config-experimental.txt"]);

/** Another build's renderer, where that release kept it. */
function rendererAt(root: string): Renderer {
  for (const rel of ["dist/planning/etcd/etcdConfig.js", "dist/planning/etcdConfig.js"]) {
    const file = path.join(root, rel);
    if (existsSync(file)) return require(file) as Renderer; // eslint-disable-line @typescript-eslint/no-require-imports
  }
  throw new Error(`no built etcdConfig.js under ${root}/dist (build it: npx tsc -p tsconfig.json)`);
}

describe("golden files: etcd config and unit as rendered", () => {
  for (const [file, render] of Object.entries(CASES)) {
    it(file, () => {
      const text = render(current);
      const golden = path.join(GOLDEN, file);
      if (process.env.UPDATE_GOLDEN === "1") {
        mkdirSync(GOLDEN, { recursive: true });
        writeFileSync(golden, text);
      }
      expect(text).toBe(readFileSync(golden, "utf8"));
    });
  }

  it.runIf(process.env.GOLDEN_COMPARE_ROOT)("renders the same files as the build in GOLDEN_COMPARE_ROOT", () => {
    const other = rendererAt(path.resolve(process.env.GOLDEN_COMPARE_ROOT!));
    for (const [file, render] of Object.entries(CASES)) {
      if (!DIFFERS_FROM_EARLIER_RELEASES.has(file)) expect(render(other), file).toBe(readFileSync(path.join(GOLDEN, file), "utf8"));
    }
  });
});
