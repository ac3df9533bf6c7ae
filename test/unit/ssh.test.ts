import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { commandLine, parseHostKey, parseOutputs } from "../../provider/common/ssh";

describe("commandLine", () => {
  it("delivers hostile parameter values to the script verbatim, as data", () => {
    const hostile = `a'b"c $(touch /tmp/pe-pwned) \`id\` ; rm -rf / \n next`;
    const line = commandLine({ script: 'printf "%s" "$PE_VALUE"', name: "t", env: { PE_VALUE: hostile } });
    // The same command line an SSH server would hand to the user's shell.
    expect(execFileSync("sh", ["-c", line], { encoding: "utf8" })).toBe(hostile);
  });

  it("refuses parameter names that are not shell variable names", () => {
    expect(() => commandLine({ script: "true", name: "t", env: { "A;B": "x" } })).toThrow(/invalid parameter name/);
  });
});

describe("parseHostKey / parseOutputs", () => {
  it("takes the key blob from a known_hosts style key", () => {
    expect(parseHostKey("ssh-ed25519 AAAA host").toString("base64")).toBe("AAAA");
    expect(() => parseHostKey("ssh-ed25519 not*base64")).toThrow(/hostKey must look like/);
  });

  it("reads only ::output lines", () => {
    expect(parseOutputs("noise\n::output sha256=abc\n::output bad-name=1\n::output v=a=b\n")).toEqual({ sha256: "abc", v: "a=b" });
  });
});
