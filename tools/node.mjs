// The Node.js that keyless's scripts, tests, language host and policy packs run under: the current LTS line.
// When the machine's node is older, the official build is installed from the npm registry (a binary shipped inside a
// registry package, pinned with its integrity in tools/node/package-lock.json) into .tools/node, and the script that
// asked re-runs itself under it. Node built-ins only: this runs before `npm ci`, on a fresh clone.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { capture, exists, root, run, step, toolsDir } from "./lib.mjs";

/** The major version keyless is tested under. */
export const NODE_MAJOR = 24;

const pinned = path.join(root, "tools", "node");
const installDir = path.join(toolsDir, "node");

/** The exact version tools/node/package.json pins for this platform's package, or undefined when none is pinned. */
function pinnedBuild() {
  const name = `node-${process.platform}-${process.arch}`;
  const { optionalDependencies } = JSON.parse(readFileSync(path.join(pinned, "package.json"), "utf8"));
  const version = optionalDependencies[name];
  return version && { name, version, binary: path.join(installDir, "node_modules", name, "bin", "node") };
}

function major(version) {
  return Number(version.replace(/^v/, "").split(".")[0]);
}

/** Installs the pinned build into .tools/node (once) and returns its path. */
export async function ensureNode() {
  const build = pinnedBuild();
  if (!build) {
    throw new Error(
      `keyless runs under Node.js ${NODE_MAJOR} LTS; this node is ${process.version} and no build is pinned for ` +
        `${process.platform}-${process.arch} in tools/node/package.json: install Node.js ${NODE_MAJOR} and run again`,
    );
  }
  if (exists(build.binary) && capture(build.binary, ["--version"]) === `v${build.version}`) return build.binary;
  await step(`Node.js ${build.version} (${build.name} from the npm registry, into .tools/node)`, () => {
    mkdirSync(installDir, { recursive: true });
    for (const file of ["package.json", "package-lock.json"]) {
      copyFileSync(path.join(pinned, file), path.join(installDir, file));
    }
    // `npm ci` checks the tarball against the lockfile's integrity; only this platform's package is installed.
    run("npm", ["ci", "--no-audit", "--no-fund", "--ignore-scripts"], { cwd: installDir });
  });
  const reported = capture(build.binary, ["--version"]);
  if (reported !== `v${build.version}`) {
    throw new Error(`.tools/node: ${build.name} reports ${reported ?? "nothing"}, expected v${build.version}`);
  }
  return build.binary;
}

/**
 * Makes the calling script run under Node.js {@link NODE_MAJOR} or newer: returns at once when it already does,
 * otherwise installs the pinned build, re-runs the same script with the same arguments under it (its directory first
 * on PATH, so that npm, the engine's plugins and every child find the same node) and exits with its status.
 */
export async function useSupportedNode() {
  if (major(process.version) >= NODE_MAJOR) return;
  const node = await ensureNode();
  const env = { ...process.env, PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH ?? ""}` };
  const res = spawnSync(node, [...process.execArgv, ...process.argv.slice(1)], { stdio: "inherit", env });
  if (res.error) throw res.error;
  process.exit(res.status ?? 1);
}
