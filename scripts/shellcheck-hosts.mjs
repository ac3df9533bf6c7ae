// Shellchecks each host script as the host receives it: with its `# include:` libraries and
// `# embed:` scripts expanded (so a function a script calls but no library defines is caught too).
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { hostScript, hostScriptFiles } = require("../dist/provider/common/hostScripts.js");
let failed = 0;
for (const [name, file] of hostScriptFiles()) {
  const r = spawnSync("shellcheck", ["-s", "bash", "-"], { input: hostScript(name).text, encoding: "utf8" });
  if (r.status !== 0) {
    failed++;
    console.error(`${file} (expanded):\n${r.stdout}${r.stderr}`);
  }
}
process.exit(failed ? 1 : 0);
