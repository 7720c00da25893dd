"use strict";
// Runtime of the shell launchers written by tools/launchers.mjs:
//
//   node launch.cjs policy   <engine-address> <pack dir> [-opt=value...]   (pulumi-analyzer-policy[-nodejs])
//   node launch.cjs dynamic  <engine-address>                              (pulumi-resource-pulumi-nodejs)
//
// Like the official shell scripts, it runs @pulumi/pulumi/cmd/run-policy-pack or
// @pulumi/pulumi/cmd/dynamic-provider with node; the module comes from the working directory the
// engine gives (the policy pack's directory / the program's directory) and, failing that, from the
// repository's node_modules. The module runs in this process: no extra node between engine and plugin.

const { ModuleNotFound, resolveFrom, useRepoNodePath } = require("./resolve.cjs");

const modules = {
  policy: "@pulumi/pulumi/cmd/run-policy-pack",
  dynamic: "@pulumi/pulumi/cmd/dynamic-provider",
};

function main() {
  const [mode, ...args] = process.argv.slice(2);
  const request = modules[mode];
  if (!request) {
    console.error(`launch.cjs: unknown mode '${mode}' (expected one of: ${Object.keys(modules).join(", ")})`);
    process.exit(2);
  }
  let resolved;
  try {
    resolved = resolveFrom(request, process.cwd());
  } catch (err) {
    if (err instanceof ModuleNotFound) {
      // The engine shows a plugin's stderr; for policy packs it recognises this exact phrase.
      console.error(`${err.message}\n(Error: Cannot find module '${request}')`);
      process.exit(1);
    }
    throw err;
  }
  if (resolved.fromRepo) useRepoNodePath();
  process.argv = [process.argv[0], resolved.path, ...args];
  require(resolved.path);
}

main();
