import { describe, expect, it } from "vitest";
import { DEFAULT_PORTS, portProblems, withDefaults } from "../../planning/etcd/ports";

describe("withDefaults", () => {
  it("uses etcd's ports when none are given", () => {
    expect(withDefaults(undefined)).toEqual({ client: 2379, peer: 2380, metrics: 2381 });
    expect(withDefaults({})).toEqual(DEFAULT_PORTS);
  });
  it("overrides only the ports given, and ignores undefined ones", () => {
    expect(withDefaults({ peer: 12380, client: undefined })).toEqual({ client: 2379, peer: 12380, metrics: 2381 });
  });
  it("does not change DEFAULT_PORTS", () => {
    withDefaults({ client: 1 });
    expect(DEFAULT_PORTS).toEqual({ client: 2379, peer: 2380, metrics: 2381 });
  });
});

describe("portProblems", () => {
  it("finds nothing wrong with the defaults or 1 and 65535", () => {
    expect(portProblems(DEFAULT_PORTS)).toEqual([]);
    expect(portProblems({ client: 1, peer: 65535, metrics: 2381 })).toEqual([]);
  });
  it.each([
    ["client", 0, "0"],
    ["peer", 65536, "65536"],
    ["metrics", -1, "-1"],
    ["client", 2379.5, "2379.5"],
  ] as const)("refuses ports.%s = %s", (key, value, shown) => {
    const problems = portProblems({ ...DEFAULT_PORTS, [key]: value });
    expect(problems).toEqual([`ports.${key} must be an integer from 1 to 65535, got ${shown}`]);
  });
  it("refuses a port that is not a number", () => {
    const problems = portProblems({ ...DEFAULT_PORTS, peer: "2380" as unknown as number });
    expect(problems).toEqual(['ports.peer must be an integer from 1 to 65535, got "2380"']);
  });
  it("refuses two listeners on one port, naming both", () => {
    expect(portProblems({ client: 2379, peer: 2380, metrics: 2379 })).toEqual([
      "ports.metrics and ports.client are both 2379: each listener needs its own port",
    ]);
  });
});
