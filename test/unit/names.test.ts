import { describe, expect, it } from "vitest";
import { memberNameProblem } from "../../planning/etcd/names";

describe("memberNameProblem", () => {
  it.each(["alpha", "m-1", "node1.example", "a", "0", "x".repeat(63)])("accepts %j", (name) => {
    expect(memberNameProblem(name)).toBeUndefined();
  });
  it.each([undefined, null, 7, ""])("requires a name (%j)", (name) => {
    expect(memberNameProblem(name)).toBe("a member name is required");
  });
  it.each(["a,b", "a=b", "Alpha", "-a", "a-", "a_b", "a b", "a\n", "x".repeat(64)])("rejects %j, quoting it", (name) => {
    const problem = memberNameProblem(name);
    expect(problem).toContain(`member name ${JSON.stringify(name)} is not allowed`);
    expect(problem).toContain("1-63 lowercase letters, digits, '-' or '.'");
  });
});
