import { describe, expect, it } from "vitest";
import { CHECKSUM_SOURCES, RELEASE_CHECKSUMS } from "../../planning/etcd/releaseChecksums";
import {
  checksumsFor,
  compareVersions,
  DEFAULT_VERSION,
  minorOf,
  newestPinned,
  normalize,
  parseVersion,
  pinnedSummary,
  pinnedVersions,
  undeclaredVersion,
  LEGACY_DEFAULT_VERSION,
  supportProblem,
  versionProblem,
} from "../../planning/etcd/versions";

const SHA = "0123456789abcdef".repeat(4);

describe("versionProblem", () => {
  it.each(["3.4.23", "3.8.0", "2.3.8", "4.0.0"])("refuses the unsupported version %s", (v) => {
    expect(versionProblem(v, SHA)).toBe(`etcd ${v} is not supported (supported: 3.5.3 and later 3.5.x, 3.6.x, 3.7.x)`);
  });
  it.each(["3.5.3", "3.5.35", "3.6.0", "3.6.16", "3.7.0", "3.7.3"])("supports %s", (v) => {
    expect(supportProblem(v)).toBeUndefined();
    expect(versionProblem(v, SHA)).toBeUndefined();
  });
  it.each(["3.6", "latest", "3.6.9-rc.0", "", " 3.6.9"])("refuses %j as not a release version", (v) => {
    expect(versionProblem(v)).toBe(`version ${JSON.stringify(v)} is not an etcd release version like "3.6.16"`);
  });
  it.each(["3.5.0", "3.5.2"])("refuses %s for its data-inconsistency bug, even with a sha256", (v) => {
    const problem = versionProblem(v, SHA);
    expect(problem).toContain(`etcd ${v} has a known data-inconsistency bug`);
    expect(problem).toContain("etcd-io/etcd#13766");
    expect(problem).toContain("use 3.5.3 or later");
  });
  it("installs the pinned default version without a sha256", () => {
    expect(DEFAULT_VERSION).toBe("3.6.14");
    expect(RELEASE_CHECKSUMS[DEFAULT_VERSION]).toBeDefined();
    expect(versionProblem(DEFAULT_VERSION)).toBeUndefined();
  });
  it("keeps a cluster that names no version on the version recorded at its birth, or on 0.1.0's default", () => {
    expect(undeclaredVersion({ token: "t", version: "3.6.14" })).toBe("3.6.14");
    expect(undeclaredVersion({ token: "t", version: "v3.6.12" })).toBe("3.6.12");
    // Born before versions were recorded: a token, no version.
    expect(undeclaredVersion({ token: "t" })).toBe("3.6.9");
    expect(undeclaredVersion({ token: "t", version: "" })).toBe("3.6.9");
    // Being created (a preview has no token yet) or unknown to the engine: the default it will record.
    expect(undeclaredVersion({ defaultVersion: DEFAULT_VERSION } as never)).toBe(DEFAULT_VERSION);
    expect(undeclaredVersion(undefined)).toBe(DEFAULT_VERSION);
    // 0.1.0 (release/previous.json) created such clusters with 3.6.9, a version it pinned.
    expect(LEGACY_DEFAULT_VERSION).toBe("3.6.9");
    expect(versionProblem(LEGACY_DEFAULT_VERSION)).toBeUndefined();
  });
  it("accepts a leading v", () => {
    expect(versionProblem("v3.6.9")).toBeUndefined();
    expect(normalize("v3.6.9")).toBe("3.6.9");
    expect(normalize("3.6.9")).toBe("3.6.9");
    expect(parseVersion("v3.5.21")).toEqual({ major: 3, minor: 5, patch: 21 });
  });
  it("asks for a sha256 for a version without a pinned checksum", () => {
    expect(RELEASE_CHECKSUMS["3.6.16"]).toBeUndefined();
    const problem = versionProblem("3.6.16");
    expect(problem).toContain("the package pins no checksum for etcd 3.6.16");
    expect(problem).toContain(`(pinned: ${pinnedSummary()})`);
    expect(problem).toContain("give the release tarball's sha256 as `sha256`");
    expect(versionProblem("3.7.3")).toContain("pins no checksum for etcd 3.7.3");
  });
  it("accepts an unpinned version with a 64-hex sha256", () => {
    expect(versionProblem("3.6.16", SHA)).toBeUndefined();
    expect(versionProblem("3.7.3", SHA)).toBeUndefined();
  });
  it.each([SHA.toUpperCase(), SHA.slice(1), `${SHA}0`, `${SHA.slice(1)}g`, ""])("rejects the sha256 %j", (sha) => {
    expect(versionProblem("3.6.16", sha)).toBe("sha256 must be 64 lowercase hex digits");
    expect(versionProblem("3.6.9", sha)).toBe("sha256 must be 64 lowercase hex digits");
  });
});

describe("checksumsFor", () => {
  it("uses the pinned checksums per architecture", () => {
    const pinned = RELEASE_CHECKSUMS["3.6.9"];
    expect(checksumsFor("3.6.9")).toEqual({ amd64: pinned.amd64, arm64: pinned.arm64 });
    expect(checksumsFor("v3.6.9")).toEqual(checksumsFor("3.6.9"));
    expect(checksumsFor("3.6.9").amd64).toMatch(/^[0-9a-f]{64}$/);
    expect(checksumsFor("3.6.9").amd64).not.toBe(checksumsFor("3.6.9").arm64);
  });
  it("uses the user's sha256 for every architecture, over a pinned one", () => {
    expect(checksumsFor("3.6.16", SHA)).toEqual({ amd64: SHA, arm64: SHA });
    expect(checksumsFor("3.6.9", SHA)).toEqual({ amd64: SHA, arm64: SHA });
  });
  it("gives empty checksums when nothing is known (the install then refuses)", () => {
    expect(checksumsFor("3.6.16")).toEqual({ amd64: "", arm64: "" });
  });
});

describe("pinned checksums", () => {
  it("names a source for every pin, with two distinct 64-hex checksums of a supported version", () => {
    const sources = Object.values(CHECKSUM_SOURCES) as string[];
    for (const [v, pin] of Object.entries(RELEASE_CHECKSUMS)) {
      expect(supportProblem(v), v).toBeUndefined();
      expect(pin.amd64, v).toMatch(/^[0-9a-f]{64}$/);
      expect(pin.arm64, v).toMatch(/^[0-9a-f]{64}$/);
      expect(pin.amd64, v).not.toBe(pin.arm64);
      expect(sources, v).toContain(pin.source);
    }
    for (const s of sources) expect(s).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40} \S+$/);
  });
  it("never pins one checksum for two versions", () => {
    const sums = Object.values(RELEASE_CHECKSUMS).flatMap((p) => [p.amd64, p.arm64]);
    expect(new Set(sums).size).toBe(sums.length);
  });
  it("lists the pinned versions newest first and summarizes them as runs", () => {
    const list = pinnedVersions();
    expect(new Set(list)).toEqual(new Set(Object.keys(RELEASE_CHECKSUMS)));
    for (let i = 1; i < list.length; i++) expect(compareVersions(list[i - 1], list[i])).toBeGreaterThan(0);
    // Every pinned version falls in exactly one run of the summary, and nothing else does.
    const runs = pinnedSummary()
      .split(", ")
      .map((r) => r.split("-"));
    const inRun = (v: string) =>
      runs.filter(([a, b = a]) => minorOf(a) === minorOf(v) && compareVersions(v, a) >= 0 && compareVersions(v, b) <= 0);
    for (const v of list) expect(inRun(v), v).toHaveLength(1);
    for (const [a, b = a] of runs) {
      const span = parseVersion(b)!.patch - parseVersion(a)!.patch + 1;
      expect(list.filter((v) => inRun(v)[0]?.[0] === a)).toHaveLength(span);
    }
  });
  it("defaults to the newest pinned version", () => {
    expect(RELEASE_CHECKSUMS[DEFAULT_VERSION]).toBeDefined();
    for (const v of Object.keys(RELEASE_CHECKSUMS)) expect(compareVersions(v, DEFAULT_VERSION)).toBeLessThanOrEqual(0);
    for (const minor of ["3.5", "3.6"]) {
      const newest = newestPinned(minor)!;
      expect(minorOf(newest)).toBe(minor);
      for (const v of Object.keys(RELEASE_CHECKSUMS).filter((v) => minorOf(v) === minor))
        expect(compareVersions(v, newest)).toBeLessThanOrEqual(0);
    }
    expect(newestPinned("3.4")).toBeUndefined();
  });
});

describe("compareVersions and minorOf", () => {
  it.each([
    ["3.5.9", "3.5.10", -1],
    ["3.6.0", "3.5.35", 1],
    ["v3.6.2", "3.6.2", 0],
    ["3.7.0", "4.0.0", -1],
  ])("orders %s against %s", (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b))).toBe(sign);
    expect(Math.sign(compareVersions(b, a))).toBe(-sign || 0);
  });
  it("gives the minor of a release version only", () => {
    expect(minorOf("v3.7.3")).toBe("3.7");
    expect(minorOf("3.7")).toBeUndefined();
  });
});
