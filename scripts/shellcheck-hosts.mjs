// Shellchecks each host script as the host receives it: with its `# include:` libraries inlined
// (so a function a script calls but no library defines is caught too).
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { hostScript } = require("../dist/provider/host/scripts.js");
let failed = 0;
for (const file of readdirSync(new URL("../hosts", import.meta.url)).filter((f) => f.endsWith(".sh"))) {
  const name = file.replace(/\.sh$/, "");
  const r = spawnSync("shellcheck", ["-s", "bash", "-"], { input: hostScript(name).text, encoding: "utf8" });
  if (r.status !== 0) {
    failed++;
    console.error(`hosts/${file} (expanded):\n${r.stdout}${r.stderr}`);
  }
}
process.exit(failed ? 1 : 0);
