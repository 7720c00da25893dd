"use strict";
// Module resolution shared by the language host and the launchers: a program (or policy pack, or
// plugin) directory's own @pulumi/pulumi wins; the repository's node_modules is the fallback.
// Node built-ins only.

const fs = require("node:fs");
const Module = require("node:module");
const path = require("node:path");

/** The repository root (tools/language-host/../..). */
const repoRoot = path.resolve(__dirname, "..", "..");
const repoNodeModules = path.join(repoRoot, "node_modules");

class ModuleNotFound extends Error {}

/**
 * Resolves `request` (e.g. "@pulumi/pulumi/cmd/run") the way `node -e "require.resolve(...)"` run in
 * `dir` would, then from the repository. Returns { path, fromRepo }.
 */
function resolveFrom(request, dir) {
  const tried = [];
  for (const [base, fromRepo] of [
    [dir, false],
    [repoRoot, true],
  ]) {
    if (!base) continue;
    tried.push(base);
    try {
      return { path: require.resolve(request, { paths: [base] }), fromRepo };
    } catch (err) {
      if (err?.code !== "MODULE_NOT_FOUND") throw err;
    }
  }
  throw new ModuleNotFound(
    `cannot find module '${request}' from ${tried.join(" nor from ")}: ` +
      "It looks like the Pulumi SDK (@pulumi/pulumi) has not been installed. " +
      "Run `npm install` in the program's directory (or `pulumi install`), or `npm install` in the repository.",
  );
}

/** NODE_PATH with the repository's node_modules appended (so a program outside the repo finds its packages). */
function nodePathWithRepo(current) {
  const parts = (current ?? "").split(path.delimiter).filter(Boolean);
  if (!parts.includes(repoNodeModules)) parts.push(repoNodeModules);
  return parts.join(path.delimiter);
}

/** Applies nodePathWithRepo to this very process (for in-process requires). */
function useRepoNodePath() {
  process.env.NODE_PATH = nodePathWithRepo(process.env.NODE_PATH);
  // Module._initPaths re-reads NODE_PATH; it is how Node itself applies the variable at startup.
  Module._initPaths();
}

/** The directory of the @pulumi/pulumi package that `request` resolved into. */
function packageDirOf(resolved) {
  let dir = path.dirname(resolved);
  while (dir !== path.dirname(dir)) {
    const pj = path.join(dir, "package.json");
    if (fs.existsSync(pj)) {
      try {
        if (JSON.parse(fs.readFileSync(pj, "utf8")).name === "@pulumi/pulumi") return dir;
      } catch {
        // keep looking
      }
    }
    dir = path.dirname(dir);
  }
  return undefined;
}

module.exports = {
  repoRoot,
  repoNodeModules,
  ModuleNotFound,
  resolveFrom,
  nodePathWithRepo,
  useRepoNodePath,
  packageDirOf,
};
