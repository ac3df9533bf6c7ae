// Which version changes of a running member this release carries out (one hop per up).
import { describe, expect, it } from "vitest";
import { versionChangeProblem } from "../../planning/etcd/versionChange";

describe("versionChangeProblem", () => {
  it("lets a patch and one minor up from its minimum through", () => {
    expect(versionChangeProblem("3.6.14", "3.6.16")).toBeUndefined();
    expect(versionChangeProblem("3.6.16", "3.7.3")).toBeUndefined();
    expect(versionChangeProblem("3.5.35", "3.6.16")).toBeUndefined();
    expect(versionChangeProblem("v3.6.16", "3.6.16")).toBeUndefined();
  });
  it("names the first hop when several are needed", () => {
    expect(versionChangeProblem("3.5.21", "3.6.16")).toMatch(
      /takes 2 hops \(3\.5\.21 → 3\.5\.\d+ → 3\.6\.16\).*declare version 3\.5\.\d+, run pulumi up/,
    );
    expect(versionChangeProblem("3.5.35", "3.7.3")).toMatch(/takes 2 hops \(3\.5\.35 → 3\.6\.\d+ → 3\.7\.3\)/);
    expect(versionChangeProblem("3.6.9", "3.7.3")).toMatch(/declare version 3\.6\.\d+/);
  });
  it("refuses downgrades and unsupported versions", () => {
    expect(versionChangeProblem("3.7.3", "3.6.16")).toMatch(/is a downgrade.*keep version 3\.7\.3/);
    expect(versionChangeProblem("3.6.16", "3.8.0")).toMatch(/is refused: /);
  });
});
