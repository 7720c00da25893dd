#!/usr/bin/env node
// The root package's `prepare` script: builds @keyless/scanner (tsc -b scanner) so that the keyless-scan bin
// works wherever this repository is installed as a package, which is how pre-commit installs a `language: node`
// hook (`npm install -g git+file://...`). In the workspace, after `npm ci`, TypeScript is in node_modules. In a
// git dependency that npm packs it is not (npm runs `prepare` there without the devDependencies), so the pinned
// versions of TypeScript and @types/node (the root's devDependencies) and the scanner's own dependencies are
// installed into scanner/node_modules first; a dependency that is a package of this repository (@keyless/iam-rules) is
// not on the registry before a release, so it is linked from its folder instead, and its own dependencies installed
// there (`tsc -b scanner` builds it too, through the scanner's project reference). Node built-ins only.
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
  const manifest = (dir) => JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
  const scannerPkg = manifest(scanner);
  /** This repository's packages by name: the workspaces. */
  const local = new Map(rootPkg.workspaces.map((ws) => [manifest(path.join(root, ws)).name, path.join(root, ws)]));
  const typesNode = `@types/node@${rootPkg.devDependencies["@types/node"]}`;
  const pins = Object.entries({ typescript: rootPkg.devDependencies.typescript, ...scannerPkg.dependencies }).map(
    ([name, version]) => (local.has(name) ? `${name}@file:${local.get(name)}` : `${name}@${version}`),
  );
  // The installing npm's global prefix must not leak into this local install.
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^npm_config_(prefix|global|location)$/i.test(k)) delete env[k];
  const npm = process.env.npm_execpath;
  const [cmd, pre] = npm?.endsWith(".js") ? [process.execPath, [npm]] : ["npm", []];
  const install = (dir, specs) =>
    run(
      cmd,
      [
        ...pre,
        "install",
        "--prefix",
        dir,
        "--no-save",
        "--no-package-lock",
        "--ignore-scripts",
        "--no-audit",
        "--no-fund",
        // A symlink, not a packed copy (pre-commit runs npm with --install-links): the copy would lack dist/.
        "--install-links=false",
        ...specs,
      ],
      env,
    );
  // npm links a folder outside the prefix without installing its dependencies: install them in the folder itself.
  for (const name of Object.keys(scannerPkg.dependencies)) if (local.has(name)) install(local.get(name), [typesNode]);
  install(scanner, [typesNode, ...pins]);
  tsc = tscIn(scanner);
}
run(process.execPath, [tsc, "-b", "scanner"]);
