import { readFileSync } from "node:fs";
import { it } from "vitest";
import { bedTarballSha256, membersConfig } from "./cluster";
import { bedDown, bedUp, Stack } from "./harness";
it("scratch", async () => {
  const bed = await bedUp(3);
  const stack = await Stack.create("cluster-ts", "scr");
  try {
    await stack.setConfig("sshKey", readFileSync(bed.key, "utf8"), true);
    await stack.setConfig("version", "3.5.35");
    await stack.setConfig("sha256", bedTarballSha256(bed, "3.5.35"));
    await stack.setConfig("downloadUrl", `${bed.mirror}/etcd/etcd-v{version}-linux-{arch}.tar.gz`);
    await stack.setConfig("members", membersConfig(bed, [0, 1, 2], ["m1", "m2", "m3"]));
    const up = await stack.up();
    console.log(up.stdout.slice(-4000), up.stderr.slice(-2000));
    console.log(JSON.stringify(Object.keys(await stack.outputs())));
  } finally {
    await stack.cleanup();
    await bedDown();
  }
}, 600_000);
