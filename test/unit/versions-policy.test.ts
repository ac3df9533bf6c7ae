import { describe, expect, it } from "vitest";
import { RELEASE_CHECKSUMS } from "../../planning/etcd/releaseChecksums";
import { checksumsFor, DEFAULT_VERSION, normalize, parseVersion, versionProblem } from "../../planning/etcd/versions";

const SHA = "0123456789abcdef".repeat(4);

describe("versionProblem", () => {
  it.each(["3.4.23", "3.7.0", "2.3.8", "4.0.0"])("refuses the unsupported version %s", (v) => {
    expect(versionProblem(v, SHA)).toBe(`etcd ${v} is not supported (supported: 3.5.3 and later 3.5.x, 3.6.x)`);
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
    expect(DEFAULT_VERSION).toBe("3.6.9");
    expect(RELEASE_CHECKSUMS["3.6.9"]).toBeDefined();
    expect(versionProblem("3.6.9")).toBeUndefined();
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
    expect(problem).toContain("3.6.9");
    expect(problem).toContain("give the release tarball's sha256 as `sha256`");
    expect(versionProblem("3.5.3")).toContain("pins no checksum for etcd 3.5.3");
  });
  it("accepts an unpinned version with a 64-hex sha256", () => {
    expect(versionProblem("3.6.16", SHA)).toBeUndefined();
    expect(versionProblem("3.5.3", SHA)).toBeUndefined();
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
