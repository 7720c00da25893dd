// `npm run bench`: builds, then runs every bench/*.ts (or the ones named on the command line)
// one after the other. Benchmarks print their own figures; none of them is a test.
import { readdirSync } from "node:fs";
import path from "node:path";
import { buildPackages, ensureNodeModules } from "./bootstrap.mjs";
import { npmBin, root, run, step, toolsEnv } from "./lib.mjs";
import { useSupportedNode } from "./node.mjs";

async function main() {
  await useSupportedNode();
  await ensureNodeModules();
  await buildPackages();
  const wanted = process.argv.slice(2);
  const files = readdirSync(path.join(root, "bench"))
    .filter((f) => f.endsWith(".ts"))
    .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
    .sort();
  for (const file of files) {
    await step(`bench ${file}`, () => run(npmBin("tsx"), [path.join("bench", file)], { cwd: root, env: toolsEnv() }));
  }
}

main().catch((err) => {
  console.error(`[keyless] ${err.message}`);
  process.exit(1);
});
