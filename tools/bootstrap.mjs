// Installs the npm workspace when node_modules is missing or older than the lockfile.
// Idempotent: a second run does nothing.
import { statSync } from "node:fs";
import path from "node:path";
import { exists, npmBin, root, run, step } from "./lib.mjs";

function mtime(p) {
  return exists(p) ? statSync(p).mtimeMs : 0;
}

export async function ensureNodeModules() {
  const marker = path.join(root, "node_modules", ".package-lock.json");
  if (mtime(marker) >= mtime(path.join(root, "package-lock.json"))) return;
  // `npm ci` honours package.json's allowScripts, so approved install scripts run unattended.
  await step("npm ci", () => run("npm", ["ci", "--no-audit", "--no-fund"], { cwd: root }));
}

/** Compiles every workspace package (`tsc -b`, incremental). */
export async function buildPackages() {
  await step("build (tsc -b)", () => run(npmBin("tsc"), ["-b"], { cwd: root }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  ensureNodeModules().catch((err) => {
    console.error(`[keyless] ${err.message}`);
    process.exit(1);
  });
}
