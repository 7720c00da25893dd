// Writes the Node.js plugin launchers next to the Pulumi CLI in .tools/bin, where the engine looks first:
//
//   pulumi-language-nodejs         our LanguageRuntime (tools/language-host/host.cjs); the engine finds it as the
//                                  bundled language plugin `nodejs` (workspace.IsPluginBundled) or on PATH.
//   pulumi-analyzer-policy-nodejs  the engine's fallback for policy packs when no `nodejs` language plugin is found:
//                                  analyzer plugin "policy-" + runtime (analyzer_plugin.go, NewPolicyAnalyzer).
//   pulumi-analyzer-policy         the same, under the name the official distribution ships.
//   pulumi-resource-pulumi-nodejs  Node.js dynamic providers (bundled resource plugin `pulumi-nodejs`).
//
// Each launcher runs with the node that ran this script (process.execPath: Node.js 24 LTS, see tools/node.mjs); the policy and dynamic-provider ones
// resolve @pulumi/pulumi from their working directory first, then from this repository (tools/language-host/launch.cjs).
//
// Usage: node tools/launchers.mjs   (idempotent: rewrites a launcher only when its content changed)
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { binDir, root, step } from "./lib.mjs";
import { useSupportedNode } from "./node.mjs";

const hostDir = path.join(root, "tools", "language-host");

/** Single-quotes a string for /bin/sh. */
function sh(s) {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

function script(target, ...fixedArgs) {
  const fixed = fixedArgs.map((a) => ` ${sh(a)}`).join("");
  return [
    "#!/bin/sh",
    "# Written by tools/launchers.mjs; do not edit.",
    `exec ${sh(process.execPath)} ${sh(target)}${fixed} "$@"`,
    "",
  ].join("\n");
}

/** The launchers, by file name. */
export function launchers() {
  const host = path.join(hostDir, "host.cjs");
  const launch = path.join(hostDir, "launch.cjs");
  return {
    "pulumi-language-nodejs": script(host),
    "pulumi-analyzer-policy-nodejs": script(launch, "policy"),
    "pulumi-analyzer-policy": script(launch, "policy"),
    "pulumi-resource-pulumi-nodejs": script(launch, "dynamic"),
  };
}

function writeIfChanged(file, content) {
  let current;
  try {
    current = readFileSync(file, "utf8");
  } catch {
    current = undefined;
  }
  const changed = current !== content;
  if (changed) writeFileSync(file, content);
  if (changed || (statSync(file).mode & 0o777) !== 0o755) chmodSync(file, 0o755);
  return changed;
}

/** Writes (or refreshes) the launchers in .tools/bin. Returns the names of the files it changed. */
export async function ensureLaunchers() {
  return step("Node.js plugin launchers in .tools/bin", () => {
    mkdirSync(binDir, { recursive: true });
    const changed = [];
    for (const [name, content] of Object.entries(launchers())) {
      if (writeIfChanged(path.join(binDir, name), content)) changed.push(name);
    }
    console.log(
      changed.length
        ? `[keyless] wrote ${changed.join(", ")} in ${binDir}`
        : `[keyless] launchers already up to date in ${binDir}`,
    );
    return changed;
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  useSupportedNode()
    .then(ensureLaunchers)
    .catch((err) => {
      console.error(`[keyless] ${err.message}`);
      process.exit(1);
    });
}
