#!/usr/bin/env node
// The root package's `prepare` script: builds @keyless/scanner (tsc -b scanner) so that the keyless-scan bin
// works wherever this repository is installed as a package, which is how pre-commit installs a `language: node`
// hook (`npm install -g git+file://...`). In the workspace, after `npm ci`, TypeScript is in node_modules. In a
// git dependency that npm packs it is not (npm runs `prepare` there without the devDependencies), so the pinned
// versions of TypeScript and @types/node (the root's devDependencies) and the scanner's own dependencies are
// installed into scanner/node_modules first. Node built-ins only.
const { spawnSync } = require("node:child_process");
const { existsSync, readFileSync } = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..", "..");
const scanner = path.join(root, "scanner");
const tscIn = (dir) => path.join(dir, "node_modules", "typescript", "bin", "tsc");

function run(cmd, args, env = process.env) {
  const res = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env });
  if (res.status !== 0) {
    process.stderr.write(
      `keyless-scan prepare: ${path.basename(cmd)} ${args.join(" ")} failed (${res.status ?? res.error?.message})\n`,
    );
    process.exit(1);
  }
}

let tsc = [tscIn(root), tscIn(scanner)].find(existsSync);
if (tsc === undefined) {
  const rootPkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
  const scannerPkg = JSON.parse(readFileSync(path.join(scanner, "package.json"), "utf8"));
  const pins = Object.entries({
    typescript: rootPkg.devDependencies.typescript,
    "@types/node": rootPkg.devDependencies["@types/node"],
    ...scannerPkg.dependencies,
  }).map(([name, version]) => `${name}@${version}`);
  // The installing npm's global prefix must not leak into this local install.
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^npm_config_(prefix|global|location)$/i.test(k)) delete env[k];
  const npm = process.env.npm_execpath;
  const [cmd, pre] = npm?.endsWith(".js") ? [process.execPath, [npm]] : ["npm", []];
  run(
    cmd,
    [
      ...pre,
      "install",
      "--prefix",
      scanner,
      "--no-save",
      "--no-package-lock",
      "--ignore-scripts",
      "--no-audit",
      "--no-fund",
      ...pins,
    ],
    env,
  );
  tsc = tscIn(scanner);
}
run(process.execPath, [tsc, "-b", "scanner"]);
